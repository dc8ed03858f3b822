"""Read-only use cases for the CLI and the web: each opens a read transaction over the query tables."""

from __future__ import annotations

from typing import Any

from engine.errors import Forbidden, NotFound
from engine.services.context import Context
from engine.services.users import UserView
from engine.store import queries
from engine.store.queries import TaskFilter
from engine.store.uow import UnitOfWork


def task_filter_for(user: UserView, **criteria: Any) -> TaskFilter:
    return TaskFilter(
        username=user.username,
        groups=tuple(user.groups),
        see_all=user.is_admin,
        supervisor=user.has_role("supervisor"),
        **criteria,
    )


def tasks(ctx: Context, f: TaskFilter) -> tuple[list[dict[str, Any]], int]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return queries.list_tasks(uow.session, f)


def task(ctx: Context, task_id: int) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        found = queries.get_task(uow.session, task_id)
    if found is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    return found


def instances(ctx: Context, **criteria: Any) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return queries.list_instances(uow.session, **criteria)


def instance(ctx: Context, instance_id: int, user: UserView | None = None) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        detail = queries.instance_detail(uow.session, instance_id)
    if detail is None:
        raise NotFound(f"No existe el proceso {instance_id}.")
    if user is not None and not (user.is_admin or user.has_role("supervisor", "analista")):
        involved = any(
            t["assignee"] == user.username
            or set(user.groups) & set(t["candidate_groups"])
            or user.username in t["candidate_users"]
            for t in detail["tasks"]
        )
        if not involved and detail["started_by"] != user.username:
            raise Forbidden(f"No tiene acceso al proceso {instance_id}.")
    return detail


def timers(ctx: Context, *, overdue: bool = False) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return queries.list_timers(uow.session, overdue_at=ctx.clock.now() if overdue else None)


def incidents(ctx: Context, *, open_only: bool = True) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return queries.list_incidents(uow.session, open_only=open_only)


def definitions(ctx: Context) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return queries.list_definitions(uow.session)
