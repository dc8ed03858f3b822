"""What a supervisor watches, and the dashboard's criteria, as SQL over the case and task tables.

Cases: `pqrsd_cases` of open states. Tasks: ready rows of `tasks`, LEFT JOIN their case (by instance), so a
task of a case has its case's term, type and channel.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select, text, union
from sqlalchemy.orm import Session, aliased

from engine.context import Context
from engine.errors import Forbidden
from engine.identity import access
from engine.identity.users import UserView
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import Task, TaskCandidate
from engine.store.visibility_tables import TaskVisibility
from engine.supervision import semaforo_sql as sem
from engine.supervision.filters import NONE, SupervisionQuery


@dataclass(frozen=True)
class Watch:
    """Who looks, from when, over which dependencias (None: the whole entity)."""

    user: UserView
    now: datetime
    groups: tuple[str, ...] | None
    amarillo_share: float

    @property
    def entity_wide(self) -> bool:
        return self.groups is None


def watch_for(ctx: Context, user: UserView) -> Watch:
    if not access.may_watch(user):
        raise Forbidden("El tablero de supervisión es para supervisores y administradores.")
    groups = access.supervision_scope(user, ctx.settings.supervision_group)
    return Watch(user, ctx.clock.now(), groups, ctx.settings.semaforo_amarillo)


def for_counting(session: Session) -> None:
    """PostgreSQL, for this read transaction only: no JIT (compiling these short aggregates took longer than
    running them) and room to hash the open tasks in memory instead of sorting them on disk."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT set_config('jit', 'off', true), set_config('work_mem', '32MB', true)"))


# A dependencia's supervisor watches what is offered to her dependencias and the cases they answer. As sets of
# ids (UNION, not OR): PostgreSQL starts from the few rows of one dependencia instead of scanning everything.
def watched_tasks(groups: tuple[str, ...]) -> Any:
    t, c = aliased(Task), aliased(PqrsdCase)
    of_cases = (
        select(t.id)
        .join(c, c.instance_id == t.instance_id)
        .where(t.state == "ready", c.dependencia.in_(list(groups) or [""]))
    )
    return union(_open_offered_to(groups), of_cases)


def _open_offered_to(groups: tuple[str, ...]) -> Any:
    """The open tasks offered to one of `groups`: their visibility rows (task_candidates keeps history too)."""
    return select(TaskVisibility.task_id).where(
        TaskVisibility.kind == "group", TaskVisibility.value.in_(list(groups) or [""])
    )


def watched_cases(groups: tuple[str, ...]) -> Any:
    t, c = aliased(Task), aliased(PqrsdCase)
    answered = select(c.id).where(c.dependencia.in_(list(groups) or [""]))
    offered = (
        select(c.id)
        .join(t, t.instance_id == c.instance_id)
        .where(t.state == "ready", t.id.in_(_open_offered_to(groups)))
    )
    return union(answered, offered)


def _open_task_of_case() -> Any:
    return and_(Task.instance_id == PqrsdCase.instance_id, Task.state == "ready")


def case_dependencia() -> ColumnElement[Any]:
    """The dependencia answering a case; until one is recorded, the one its open task is offered to."""
    offered = (
        select(func.min(TaskCandidate.value))
        .select_from(Task)
        .join(TaskCandidate, and_(TaskCandidate.task_id == Task.id, TaskCandidate.kind == "group"))
        .where(_open_task_of_case())
        .scalar_subquery()
    )
    return func.coalesce(PqrsdCase.dependencia, offered)


def _group_is(value: str | None = None, groups: tuple[str, ...] | None = None) -> ColumnElement[bool]:
    """The task is offered to dependencia `value`, to one of `groups`, or (neither given) to any."""
    clauses = [TaskCandidate.task_id == Task.id, TaskCandidate.kind == "group"]
    if value is not None:
        clauses.append(TaskCandidate.value == value)
    elif groups is not None:
        clauses.append(TaskCandidate.value.in_(list(groups) or [""]))
    return exists().where(*clauses)


def cases_query(session: Session, w: Watch, q: SupervisionQuery, *columns: Any) -> Select[Any]:
    query = select(*columns).select_from(PqrsdCase).where(sem.case_open())
    if w.groups is not None:
        query = query.where(PqrsdCase.id.in_(watched_cases(w.groups)))
    if q.semaforo is not None:
        query = query.where(sem.case_colour(w.now) == q.semaforo)
        window = sem.due_window(PqrsdCase.due_at.expression, q.semaforo, w.now)
        query = query.where(window) if window is not None else query
    if q.dependencia is not None:
        query = query.where(_equals(case_dependencia(), q.dependencia))
    if q.funcionario is not None:
        assigned = Task.assignee.is_not(None) if q.funcionario == NONE else Task.assignee == q.funcionario
        held = exists().where(_open_task_of_case(), assigned)
        query = query.where(not_(held) if q.funcionario == NONE else held)
    if q.q is not None:
        like = f"%{q.q}%"
        query = query.where(or_(PqrsdCase.radicado.ilike(like), PqrsdCase.subject.ilike(like)))
    return _case_columns(query, q)


def tasks_query(session: Session, w: Watch, q: SupervisionQuery, *columns: Any) -> Select[Any]:
    query = (
        select(*columns)
        .select_from(Task)
        .outerjoin(PqrsdCase, PqrsdCase.instance_id == Task.instance_id)
        .where(Task.state == "ready")
    )
    if w.groups is not None:
        query = query.where(Task.id.in_(watched_tasks(w.groups)))
    if q.semaforo is not None:
        query = query.where(task_colour(session, w) == q.semaforo)
    if q.dependencia is not None:
        query = query.where(not_(_group_is()) if q.dependencia == NONE else _group_is(q.dependencia))
    if q.funcionario is not None:
        query = query.where(_equals(Task.assignee, q.funcionario))
    if q.proceso is not None:
        query = query.where(Task.process_key == q.proceso)
    if q.q is not None:
        like = f"%{q.q}%"
        query = query.where(
            or_(Task.name.ilike(like), PqrsdCase.radicado.ilike(like), PqrsdCase.subject.ilike(like))
        )
    return _case_columns(query, q)


def task_colour(session: Session, w: Watch) -> ColumnElement[str]:
    return sem.task_colour(session, w.now, w.amarillo_share)


def _case_columns(query: Select[Any], q: SupervisionQuery) -> Select[Any]:
    if q.tipo is not None:
        query = query.where(_equals(PqrsdCase.kind, q.tipo))
    if q.canal is not None:
        query = query.where(_equals(PqrsdCase.channel, q.canal))
    return query


def _equals(column: Any, value: str) -> ColumnElement[bool]:
    return column.is_(None) if value == NONE else column == value  # type: ignore[no-any-return]
