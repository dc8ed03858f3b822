"""Task rows as a reassignment changes them: who holds a ready task, and which dependencia it is offered to."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.store.tables import Task, TaskCandidate, User
from engine.store.tasks import TaskRow

_T, _C = cast(Table, Task.__table__), cast(Table, TaskCandidate.__table__)
_ROUTE = (
    update(_T)
    .where(
        _T.c.id == bindparam("task_id"),
        _T.c.state == "ready",
        _T.c.assignee.is_not_distinct_from(bindparam("old_assignee")),
    )
    .values(
        assignee=bindparam("new_assignee"),
        candidate_users=bindparam("users"),
        candidate_groups=bindparam("groups"),
        claimed_at=None,
        claimed_by=None,
    )
)
_DROP_CANDIDATES = delete(_C).where(_C.c.task_id == bindparam("task_id"))


def route_task(session: Session, task: TaskRow, *, assignee: str | None, group: str | None) -> bool:
    """Give a ready task to `assignee` and, with `group`, offer it to that dependencia alone (its candidates
    replaced); False when someone changed the task meanwhile."""
    users = list(task.candidate_users) if group is None else []
    groups = list(task.candidate_groups) if group is None else [group]
    conn = session.connection()
    params = {"task_id": task.id, "old_assignee": task.assignee, "new_assignee": assignee,
              "users": users, "groups": groups}  # fmt: skip
    if cast(CursorResult[Any], conn.execute(_ROUTE, params)).rowcount != 1:
        return False
    if group is not None:
        conn.execute(_DROP_CANDIDATES, {"task_id": task.id})
        conn.execute(insert(_C), [{"task_id": task.id, "kind": "group", "value": group}])
    return True


def active_members(session: Session, group: str) -> list[str]:
    """Active users of a dependencia (the user table is small; groups are a JSON list per user)."""
    rows = session.execute(select(User.username, User.groups).where(User.active.is_(True)))
    return sorted(name for name, groups in rows if group in (groups or ()))
