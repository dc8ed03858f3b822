"""Task rows as the task use cases read and change them, with prebuilt statements, and task drafts."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.store.prepared import Prepared
from engine.store.tables import Task, UtcDateTime
from engine.store.web_tables import TaskDraft

# Built once: statement construction dominates a completion's cost when done per call.
_T, _D = cast(Table, Task.__table__), cast(Table, TaskDraft.__table__)
_SELECT_TASK = select(
    _T.c.id,
    _T.c.instance_id,
    _T.c.spiff_id,
    _T.c.bpmn_id,
    _T.c.name,
    _T.c.state,
    _T.c.assignee,
    _T.c.candidate_users,
    _T.c.candidate_groups,
).where(_T.c.id == bindparam("task_id"))
_SELECT_TASK_AND_DRAFT = _SELECT_TASK.add_columns(_D.c.saved_at.label("draft_saved_at")).outerjoin(
    _D, (_D.c.task_id == _T.c.id) & (_D.c.username == bindparam("username"))
)
_COMPLETE_TASK = Prepared(
    update(_T)
    .where(_T.c.id == bindparam("task_id"), _T.c.state == "ready")
    .values(
        state="completed",
        completed_at=bindparam("now", type_=UtcDateTime()),
        completed_by=bindparam("user"),
        assignee=bindparam("new_assignee"),
    )
)
_SET_ASSIGNEE = (
    update(_T)
    .where(
        _T.c.id == bindparam("task_id"),
        _T.c.state == "ready",
        _T.c.assignee.is_not_distinct_from(bindparam("old_assignee")),
    )
    .values(
        assignee=bindparam("new_assignee"),
        claimed_at=bindparam("claimed_at", type_=UtcDateTime()),
        claimed_by=bindparam("claimed_by"),
    )
)
_SELECT_DRAFT = select(_D.c["values"], _D.c.saved_at).where(
    _D.c.task_id == bindparam("task_id"), _D.c.username == bindparam("username")
)
_DELETE_DRAFT = delete(_D).where(_D.c.task_id == bindparam("task_id"), _D.c.username == bindparam("username"))
_INSERT_DRAFT = insert(_D)


@dataclass(frozen=True)
class TaskRow:
    id: int
    instance_id: int
    spiff_id: str
    bpmn_id: str
    name: str
    state: str
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    has_draft: bool = False  # only known when loaded with `draft_of`


def load_task(session: Session, task_id: int, draft_of: str | None = None) -> TaskRow | None:
    """The task row; with `draft_of`, whether that user keeps a draft of it (same statement)."""
    query = _SELECT_TASK_AND_DRAFT if draft_of is not None else _SELECT_TASK
    row = session.connection().execute(query, {"task_id": task_id, "username": draft_of}).one_or_none()
    if row is None:
        return None
    has_draft = draft_of is not None and row.draft_saved_at is not None
    return TaskRow(
        row.id,
        row.instance_id,
        row.spiff_id,
        row.bpmn_id,
        row.name,
        row.state,
        row.assignee,
        tuple(row.candidate_users or ()),
        tuple(row.candidate_groups or ()),
        has_draft,
    )


def mark_completed(session: Session, task: TaskRow, by: str, now: datetime, *, locked: bool = False) -> bool:
    """False when someone completed it first. `locked`: the caller holds the instance's row lock and found
    the task ready in its state, so no one can have — the count is not waited for (pipelined, see store.db)."""
    params = {"task_id": task.id, "now": now, "user": by, "new_assignee": task.assignee or by}
    done = _COMPLETE_TASK.execute(session, params)  # sent whatever `locked` says; only the count is not read
    return locked or done == 1


def set_assignee(
    session: Session, task: TaskRow, assignee: str | None, *, claimed: bool, now: datetime
) -> bool:
    """Change who holds a ready task, only if nobody changed it meanwhile; False when someone did."""
    params = {
        "task_id": task.id,
        "old_assignee": task.assignee,
        "new_assignee": assignee,
        "claimed_at": now if claimed else None,
        "claimed_by": assignee if claimed else None,
    }
    return cast(CursorResult[Any], session.connection().execute(_SET_ASSIGNEE, params)).rowcount == 1


def load_draft(session: Session, task_id: int, username: str) -> tuple[dict[str, Any], datetime] | None:
    row = (
        session.connection().execute(_SELECT_DRAFT, {"task_id": task_id, "username": username}).one_or_none()
    )
    return (dict(row.values), row.saved_at) if row is not None else None


def store_draft(
    session: Session, task_id: int, username: str, values: Mapping[str, Any], now: datetime
) -> None:
    conn = session.connection()
    conn.execute(_DELETE_DRAFT, {"task_id": task_id, "username": username})
    conn.execute(
        _INSERT_DRAFT, {"task_id": task_id, "username": username, "values": dict(values), "saved_at": now}
    )


def delete_draft(session: Session, task_id: int, username: str) -> None:
    session.connection().execute(_DELETE_DRAFT, {"task_id": task_id, "username": username})
