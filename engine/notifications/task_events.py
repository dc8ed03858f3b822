"""Notices about tasks: a task given to someone, and new tasks of a dependencia, written in the save."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.notifications import events
from engine.notifications.notify import Notice, notify_many, notify_members


def task_assigned(
    session: Session,
    ctx: Context,
    *,
    task_id: int,
    name: str,
    instance_id: int,
    assignee: str,
    by: str | None,
) -> None:
    """Someone else gave `assignee` the task (assigning to oneself is claiming: no notice)."""
    if by == assignee:
        return
    who = f"{by} le asignó" if by else "Se le asignó"
    notify_many(session, ctx, [Notice(
        events.TASK_ASSIGNED, f"Tarea asignada: {name}", f"{who} la tarea «{name}».",
        f"/tareas/{task_id}", users=(assignee,), instance_id=instance_id, task_id=task_id,
    )])  # fmt: skip


def new_tasks(
    session: Session, ctx: Context, business_key: str | None, rows: Sequence[Mapping[str, Any]]
) -> None:
    """The tasks a save just created (rows given their "id"): its assignee, or else its candidates,
    hear of each: for one task, an INSERT … SELECT per table; for several, one query and one insert per
    table for all of them."""
    notices = [_notice(ctx, business_key, row) for row in rows if row.get("id") is not None]
    found = [n for n in notices if n is not None]
    if len(found) == 1:  # the usual save: one new task, its notices one INSERT … SELECT when it can be
        notify_members(session, ctx, found[0])
    elif found:
        notify_many(session, ctx, found)


def _notice(ctx: Context, business_key: str | None, row: Mapping[str, Any]) -> Notice | None:
    task_id, name = int(row["id"]), str(row["name"])
    case = f" ({business_key})" if business_key else ""
    due = _due_text(ctx, row.get("due_at"))
    if row.get("assignee"):
        return Notice(events.TASK_ASSIGNED, f"Tarea asignada: {name}{case}",
                      f"Se le asignó la tarea «{name}»{case}.{due}", f"/tareas/{task_id}",
                      users=(str(row["assignee"]),), instance_id=row.get("instance_id"), task_id=task_id,
                      key=f"tarea:{task_id}")  # fmt: skip
    groups, people = tuple(row.get("candidate_groups") or ()), tuple(row.get("candidate_users") or ())
    if not groups and not people:
        return None
    where = f" de {', '.join(groups)}" if groups else ""
    return Notice(events.GROUP_TASK, f"Nueva tarea{where}: {name}{case}",
                  f"Llegó la tarea «{name}»{case}{where}. Reclámela para atenderla.{due}", f"/tareas/{task_id}",
                  users=people, groups=groups, instance_id=row.get("instance_id"), task_id=task_id,
                  key=f"tarea:{task_id}")  # fmt: skip


def _due_text(ctx: Context, due_at: datetime | None) -> str:
    if due_at is None:
        return ""
    return f" Vence el {due_at.astimezone(ZoneInfo(ctx.settings.timezone)).strftime('%d/%m/%Y')}."
