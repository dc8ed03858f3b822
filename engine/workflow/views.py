"""Read models of the workflow: SELECTs over the query tables only, never a deserialized workflow.

Functions taking a `Session` run inside the caller's transaction (a use case may need the same shapes);
those taking a `Context` open their own read transaction, for the CLI, the web and the API."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

from sqlalchemy import Select, and_, bindparam, case, func, or_, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, NotFound
from engine.identity import access
from engine.identity.users import UserView
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import (
    AuditEvent,
    Incident,
    ProcessDefinition,
    ProcessInstance,
    Task,
    Timer,
)
from engine.store.uow import UnitOfWork
from engine.workflow import task_pages
from engine.workflow.records import (
    AuditRecord,
    DefinitionRecord,
    IncidentRecord,
    InstanceDetail,
    InstanceRecord,
    TaskRecord,
    TimerRecord,
)


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


# What a task of a PQRSD case shows of its case: the case's legal clock drives the task's semáforo.
_CASE_COLUMNS = (
    PqrsdCase.radicado,
    PqrsdCase.radicacion_date,
    PqrsdCase.due_at.label("case_due_at"),
    PqrsdCase.amarillo_at,
    PqrsdCase.alerta_at,
)


# What a task list reads of a task: what `task_dict` shows.
_TASK_COLUMNS = (
    Task.id, Task.instance_id, Task.process_key, Task.name, Task.state, Task.assignee, Task.candidate_groups,
    Task.candidate_users, Task.due_at, Task.priority, Task.form, Task.bpmn_id, Task.lane, Task.created_at,
    Task.follow_up_at, Task.claimed_at, Task.completed_at, Task.completed_by,
)  # fmt: skip


def task_dict(task: Any, case: Any = None) -> TaskRecord:
    """`task`: a `Task`, or a row of `_TASK_COLUMNS`; `case`: the row of `_CASE_COLUMNS` for a task of a
    PQRSD case (None otherwise)."""
    return {
        "id": task.id,
        "instance_id": task.instance_id,
        "process_key": task.process_key,
        "name": task.name,
        "state": task.state,
        "assignee": task.assignee,
        "candidate_groups": list(task.candidate_groups),
        "candidate_users": list(task.candidate_users),
        "due_at": iso(task.due_at),
        "priority": task.priority,
        "form": task.form,
        "bpmn_id": task.bpmn_id,
        "lane": task.lane,
        "created_at": iso(task.created_at),
        "follow_up_at": iso(task.follow_up_at),
        "claimed_at": iso(task.claimed_at),
        "completed_at": iso(task.completed_at),
        "completed_by": task.completed_by,
        "radicado": case.radicado if case is not None else None,
        "term_start": case.radicacion_date.isoformat() if case is not None else None,
        "term_due_at": iso(case.case_due_at) if case is not None else None,
        "amarillo_at": iso(case.amarillo_at) if case is not None else None,
        "alerta_at": iso(case.alerta_at) if case is not None else None,
    }


@dataclass(frozen=True)
class TaskFilter:
    """Who is asking decides what they may see; the other fields narrow it."""

    username: str | None = None
    groups: Sequence[str] = ()
    see_all: bool = False
    supervisor: bool = False
    assignee_me: bool = False
    candidate_me: bool = False
    process_key: str | None = None
    instance_id: int | None = None
    overdue_at: datetime | None = None
    due_before: datetime | None = None
    min_priority: int | None = None
    max_priority: int | None = None
    text: str | None = None
    state: str = "ready"
    order: str = "due"
    limit: int = 50
    offset: int = 0
    cursor: str | None = None  # a `next` cursor of task_pages: the page after it (offset ignored)

    @property
    def seekable(self) -> bool:
        """Open tasks without text search or an instance: served from the visibility rows."""
        return self.state == "ready" and self.instance_id is None and not self.text


def _visible(f: TaskFilter) -> Any:
    if f.candidate_me:
        return and_(Task.assignee.is_(None), access.candidate_sql(f.username, f.groups))
    if f.assignee_me:
        return Task.assignee == f.username
    return access.visible_tasks_sql(f.username, f.groups, see_all=f.see_all, supervisor=f.supervisor)


def _task_query(f: TaskFilter) -> Select[Any]:
    columns: tuple[Any, ...] = (Task, *_CASE_COLUMNS)
    query: Select[Any] = select(*columns).outerjoin(PqrsdCase, PqrsdCase.instance_id == Task.instance_id)
    visible = _visible(f)
    if visible is not None:
        query = query.where(visible)
    if f.state != "all":
        query = query.where(Task.state == f.state)
    if f.process_key:
        query = query.where(Task.process_key == f.process_key)
    if f.instance_id is not None:
        query = query.where(Task.instance_id == f.instance_id)
    if f.overdue_at is not None:
        query = query.where(Task.due_at < f.overdue_at)
    if f.due_before is not None:
        query = query.where(Task.due_at < f.due_before)
    if f.min_priority is not None:
        query = query.where(Task.priority >= f.min_priority)
    if f.max_priority is not None:
        query = query.where(Task.priority <= f.max_priority)
    if f.text:  # the task's name, or its case's radicado, asunto or peticionario
        like = f"%{f.text}%"
        query = query.where(
            or_(
                Task.name.ilike(like),
                PqrsdCase.radicado.ilike(like),
                PqrsdCase.subject.ilike(like),
                PqrsdCase.petitioner_name.ilike(like),
            )
        )
    return query


class TaskList(TypedDict):
    items: list[TaskRecord]
    total: int
    capped: bool  # more than `total` (task_pages.CAP) match
    next: str | None  # the cursor of the following page


def task_list(session: Session, f: TaskFilter) -> TaskList:
    """A page of open tasks by seeking on the visibility rows (capped total); other lists as `list_tasks`."""
    if not f.seekable:
        items, total = _listed(session, f)
        return TaskList(items=items, total=total, capped=False, next=None)
    if session.get_bind().dialect.name == "postgresql":
        task_pages.jit_off(session)
    order = "priority" if f.order == "priority" else "due"
    who = task_pages.principals(
        f.username, f.groups, see_all=f.see_all, supervisor=f.supervisor,
        assignee_me=f.assignee_me, candidate_me=f.candidate_me,
    )  # fmt: skip
    narrow = task_pages.narrowing(f.process_key, f.overdue_at, f.due_before, f.min_priority, f.max_priority)
    after = task_pages.decode_cursor(f.cursor, order) if f.cursor else None
    if after is None and f.offset > task_pages.MAX_OFFSET:
        raise BadInput(
            f"Solo las primeras {task_pages.MAX_OFFSET:,} tareas se alcanzan por número de página: "
            "siga el enlace «siguiente» (cursor) para ir más allá.".replace(",", "."),
            {"offset": "Use el cursor de la página anterior."},
        )
    found, total, capped = task_pages.page_and_total(
        session, who, narrow, _TASK_COLUMNS + _CASE_COLUMNS, order=order, after=after, limit=f.limit,
        offset=0 if after is not None else f.offset,
    )  # fmt: skip
    items = [task_dict(row, row if row.radicado is not None else None) for row in found.rows]
    following = task_pages.encode_cursor(order, found.next) if found.next is not None else None
    return TaskList(items=items, total=total, capped=capped, next=following)


def list_tasks(session: Session, f: TaskFilter) -> tuple[list[TaskRecord], int]:
    listed = task_list(session, f)
    return listed["items"], listed["total"]


def _listed(session: Session, f: TaskFilter) -> tuple[list[TaskRecord], int]:
    query = _task_query(f)
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    if f.order == "priority":
        query = query.order_by(Task.priority.desc(), Task.due_at.asc().nulls_last(), Task.id)
    else:
        query = query.order_by(Task.due_at.asc().nulls_last(), Task.priority.desc(), Task.id)
    rows = session.execute(query.limit(f.limit).offset(f.offset)).all()
    return [task_dict(row[0], row if row.radicado is not None else None) for row in rows], total


_MINE = Task.assignee == bindparam("cand_user")
_NEXT_TASK = (
    select(Task.id)
    .where(
        Task.instance_id == bindparam("iid"),
        Task.state == "ready",
        or_(_MINE, and_(Task.assignee.is_(None), access.CANDIDATE_BOUND)),
    )
    .order_by(case((_MINE, 0), else_=1), Task.due_at.asc().nulls_last(), Task.priority.desc(), Task.id)
    .limit(1)
)  # built once: constructing it cost more than running it


def next_task_id(session: Session, user: UserView, instance_id: int) -> int | None:
    """The instance's next task for this user: theirs first, else an unclaimed one they may take."""
    params = {"iid": instance_id, **access.candidate_params(user.username, user.groups)}
    return session.execute(_NEXT_TASK, params).scalar()


def get_task(session: Session, task_id: int) -> TaskRecord | None:
    task = session.get(Task, task_id)
    return task_dict(task) if task is not None else None


def instance_dict(row: ProcessInstance) -> InstanceRecord:
    return {
        "id": row.id,
        "process_key": row.process_key,
        "version": row.version,
        "status": row.status,
        "business_key": row.business_key,
        "started_at": iso(row.started_at),
        "started_by": row.started_by,
        "updated_at": iso(row.updated_at),
        "ended_at": iso(row.ended_at),
    }


def list_instances(
    session: Session, *, process_key: str | None = None, status: str | None = None, limit: int = 100
) -> list[InstanceRecord]:
    query = select(ProcessInstance).order_by(ProcessInstance.id.desc()).limit(limit)
    if process_key:
        query = query.where(ProcessInstance.process_key == process_key)
    if status:
        query = query.where(ProcessInstance.status == status)
    return [instance_dict(r) for r in session.scalars(query)]


def instance_detail(session: Session, instance_id: int) -> InstanceDetail | None:
    row = session.get(ProcessInstance, instance_id)
    if row is None:
        return None
    tasks = session.scalars(select(Task).where(Task.instance_id == instance_id).order_by(Task.id))
    timers = session.scalars(
        select(Timer)
        .where(Timer.instance_id == instance_id, Timer.status == "waiting")
        .order_by(Timer.due_at)
    )
    incidents = session.scalars(
        select(Incident).where(Incident.instance_id == instance_id).order_by(Incident.id)
    )
    history = session.scalars(
        select(AuditEvent).where(AuditEvent.instance_id == instance_id).order_by(AuditEvent.id)
    )
    return InstanceDetail(
        **instance_dict(row),
        completed_activities=list(row.completed_activities),
        tasks=[task_dict(t) for t in tasks],
        timers=[timer_dict(t) for t in timers],
        incidents=[incident_dict(i) for i in incidents],
        history=[audit_dict(a) for a in history],
    )


def timer_dict(t: Timer) -> TimerRecord:
    return {
        "id": t.id,
        "instance_id": t.instance_id,
        "activity": t.bpmn_id,
        "name": t.name,
        "kind": t.kind,
        "timer_type": t.timer_type,
        "interrupting": t.interrupting,
        "due_at": iso(t.due_at),
        "status": t.status,
    }


def list_timers(
    session: Session, *, overdue_at: datetime | None = None, limit: int | None = None
) -> list[TimerRecord]:
    query = select(Timer).where(Timer.status == "waiting").order_by(Timer.due_at, Timer.id).limit(limit)
    if overdue_at is not None:
        query = query.where(Timer.due_at <= overdue_at)
    return [timer_dict(t) for t in session.scalars(query)]


def incident_dict(i: Incident) -> IncidentRecord:
    return {
        "id": i.id,
        "instance_id": i.instance_id,
        "activity": i.bpmn_id,
        "kind": i.kind,
        "message": i.message,
        "created_at": iso(i.created_at),
        "resolved_at": iso(i.resolved_at),
    }


def list_incidents(session: Session, *, open_only: bool = True) -> list[IncidentRecord]:
    query = select(Incident).order_by(Incident.id)
    if open_only:
        query = query.where(Incident.resolved_at.is_(None))
    return [incident_dict(i) for i in session.scalars(query)]


def audit_dict(a: AuditEvent) -> AuditRecord:
    return {
        "at": iso(a.at),
        "actor": a.actor,
        "action": a.action,
        "summary": a.summary,
        "task_id": a.task_id,
        "data_before": a.data_before,
        "data_after": a.data_after,
    }


def list_definitions(session: Session) -> list[DefinitionRecord]:
    latest = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.execute(
        select(
            ProcessDefinition.id,
            ProcessDefinition.key,
            ProcessDefinition.version,
            ProcessDefinition.name,
            ProcessDefinition.file,
            ProcessDefinition.deployed_at,
        )
        .join(latest, and_(latest.c.key == ProcessDefinition.key, latest.c.v == ProcessDefinition.version))
        .order_by(ProcessDefinition.key)
    )
    return [
        {
            "id": r.id,
            "key": r.key,
            "version": r.version,
            "name": r.name,
            "file": r.file,
            "deployed_at": iso(r.deployed_at),
        }
        for r in rows
    ]


# ---- read transactions for the CLI, the web and the API ----------------------------------------
def task_filter_for(user: UserView, **criteria: Any) -> TaskFilter:
    return TaskFilter(
        username=user.username,
        groups=tuple(user.groups),
        see_all=user.is_admin,
        supervisor=user.has_role("supervisor"),
        **criteria,
    )


def tasks(ctx: Context, f: TaskFilter) -> tuple[list[TaskRecord], int]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list_tasks(uow.session, f)


def task_page(ctx: Context, f: TaskFilter) -> TaskList:
    with UnitOfWork(ctx.db, write=False, pipelined=True) as uow:  # BEGIN goes with the first statement
        return task_list(uow.session, f)


def task(ctx: Context, task_id: int) -> TaskRecord:
    with UnitOfWork(ctx.db, write=False) as uow:
        found = get_task(uow.session, task_id)
    if found is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    return found


def instances(ctx: Context, **criteria: Any) -> list[InstanceRecord]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list_instances(uow.session, **criteria)


def instance(ctx: Context, instance_id: int) -> InstanceDetail:
    """An instance with its tasks, waiting timers, incidents and history; who may see it is `access`'s."""
    with UnitOfWork(ctx.db, write=False) as uow:
        detail = instance_detail(uow.session, instance_id)
    if detail is None:
        raise NotFound(f"No existe el proceso {instance_id}.")
    return detail


def timers(ctx: Context, *, overdue: bool = False, limit: int | None = None) -> list[TimerRecord]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list_timers(uow.session, overdue_at=ctx.clock.now() if overdue else None, limit=limit)


def incidents(ctx: Context, *, open_only: bool = True) -> list[IncidentRecord]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list_incidents(uow.session, open_only=open_only)


def definitions(ctx: Context) -> list[DefinitionRecord]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list_definitions(uow.session)
