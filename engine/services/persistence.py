"""Saving one instance change: state, task rows, timer rows, message waits, audit and incident — one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import JSON, CursorResult, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.modeling.isotime import parse_duration_from
from engine.runtime.workflow import HumanTask, IncidentInfo, ProcessRun
from engine.services.context import Context
from engine.store.tables import (
    AuditEvent,
    Incident,
    MessageWait,
    ProcessInstance,
    Task,
    TaskCandidate,
    Timer,
    UtcDateTime,
)

DEFAULT_PRIORITY = 50

# Statements are built once: constructing them per call cost more than SQLite executing them.
_I, _T, _C = (cast(Table, m.__table__) for m in (ProcessInstance, Task, TaskCandidate))
_TM, _MW, _A = (cast(Table, m.__table__) for m in (Timer, MessageWait, AuditEvent))
_NOW = bindparam("p_now", type_=UtcDateTime())
_SELECT_INSTANCE = select(
    _I.c.id,
    _I.c.definition_id,
    _I.c.process_key,
    _I.c.version,
    _I.c.row_version,
    _I.c.state,
    _I.c.status,
    _I.c.completed_activities,
    _I.c.waits,
).where(_I.c.id == bindparam("iid"))
_UPDATE_INSTANCE = (
    update(_I)
    .where(_I.c.id == bindparam("iid"), _I.c.row_version == bindparam("expected"))
    .values(
        state=bindparam("p_state"),
        row_version=bindparam("p_version"),
        status=bindparam("p_status"),
        updated_at=_NOW,
        completed_activities=bindparam("p_activities", type_=JSON),
        waits=bindparam("p_waits"),
        ended_at=bindparam("p_ended", type_=UtcDateTime()),
    )
)
_OPEN_TASKS = select(_T.c.spiff_id, _T.c.id).where(
    _T.c.instance_id == bindparam("iid"), _T.c.state == "ready"
)
_CANCEL_TASKS = (
    update(_T)
    .where(_T.c.id.in_(bindparam("ids", expanding=True)))
    .values(state="cancelled", completed_at=_NOW)
)
_INSERT_TASK = insert(_T).returning(_T.c.id)
_INSERT_CANDIDATES = insert(_C)
_WAITING_TIMERS = select(_TM.c.id, _TM.c.spiff_id, _TM.c.bpmn_id, _TM.c.due_at, _TM.c.kind).where(
    _TM.c.instance_id == bindparam("iid"), _TM.c.status == "waiting"
)
_INSERT_TIMER = insert(_TM)
_END_TIMER = (
    update(_TM).where(_TM.c.id == bindparam("tid")).values(status=bindparam("p_status"), fired_at=_NOW)
)
_DELETE_WAITS = delete(_MW).where(_MW.c.instance_id == bindparam("iid"))
_INSERT_WAITS = insert(_MW)
_INSERT_AUDIT = insert(_A)


@dataclass
class InstanceRef:
    id: int
    definition_id: int
    process_key: str
    version: int
    row_version: int
    state: str
    status: str
    completed_activities: list[Any]
    waits: int = 0


TIMER_WAITS, MESSAGE_WAITS = 1, 2


def insert_instance(
    session: Session, definition: Any, *, business_key: str | None, actor: str | None, now: datetime
) -> InstanceRef:
    """The row of a new instance; its state is written by the save_run that follows in the same transaction."""
    instance_id = session.execute(
        insert(ProcessInstance)
        .values(
            definition_id=definition.id,
            process_key=definition.key,
            version=definition.version,
            business_key=business_key,
            status="running",
            state="{}",
            row_version=1,
            completed_activities=[],
            started_at=now,
            started_by=actor,
            updated_at=now,
        )
        .returning(ProcessInstance.id)
    ).scalar_one()
    return InstanceRef(instance_id, definition.id, definition.key, definition.version, 1, "{}", "running", [])


def load_instance(session: Session, instance_id: int) -> InstanceRef | None:
    row = session.connection().execute(_SELECT_INSTANCE, {"iid": instance_id}).one_or_none()
    return InstanceRef(*row) if row is not None else None


def save_run(
    ctx: Context,
    session: Session,
    ref: InstanceRef,
    run: ProcessRun,
    *,
    incident: IncidentInfo | None,
    extra_incidents: list[IncidentInfo] | None = None,
) -> str:
    """Write the run back under the optimistic lock; returns the new status."""
    now = ctx.clock.now()
    activities = sorted(set(ref.completed_activities) | run.finished_activity_ids())
    humans = run.human_tasks()
    timers, messages = run.timers(), run.messages()
    incidents = list(extra_incidents or [])
    task_values = [_task_values(ctx, run, ref, h, now, incidents) for h in humans]
    state = run.dump()
    if incident is not None:
        incidents.insert(0, incident)
    status = "completed" if run.completed else ("incident" if incident is not None else "running")
    if status == "running" and ref.status == "incident" and _has_open_incident(session, ref.id):
        status = "incident"
    conn = session.connection()
    result = cast(
        CursorResult[Any],
        conn.execute(
            _UPDATE_INSTANCE,
            {
                "iid": ref.id,
                "expected": ref.row_version,
                "p_state": state,
                "p_version": ref.row_version + 1,
                "p_status": status,
                "p_now": now,
                "p_activities": activities,
                "p_waits": (TIMER_WAITS if timers else 0) | (MESSAGE_WAITS if messages else 0),
                "p_ended": now if status == "completed" else None,
            },
        ),
    )
    if result.rowcount != 1:
        raise Conflict("Otro usuario cambió este proceso al mismo tiempo; vuelva a intentarlo.")
    ref.row_version += 1
    ref.status = status
    _sync_tasks(session, ref, task_values, now)
    if timers or ref.waits & TIMER_WAITS:
        _sync_timers(session, ref, timers, now)
    if ref.waits & MESSAGE_WAITS:
        conn.execute(_DELETE_WAITS, {"iid": ref.id})
    ref.waits = (TIMER_WAITS if timers else 0) | (MESSAGE_WAITS if messages else 0)
    if messages:
        conn.execute(
            _INSERT_WAITS,
            [
                {
                    "instance_id": ref.id,
                    "spiff_id": m.spiff_id,
                    "bpmn_id": m.bpmn_id,
                    "message_name": m.message_name,
                }
                for m in messages
            ],
        )
    for item in incidents:
        session.add(
            Incident(
                instance_id=ref.id,
                spiff_id=item.spiff_id,
                bpmn_id=item.bpmn_id,
                kind=item.kind,
                message=item.message,
                created_at=now,
            )
        )
    return status


def _has_open_incident(session: Session, instance_id: int) -> bool:
    return (
        session.scalar(
            select(Incident.id)
            .where(Incident.instance_id == instance_id, Incident.resolved_at.is_(None))
            .limit(1)
        )
        is not None
    )


def audit(
    session: Session,
    ctx: Context,
    *,
    instance_id: int | None,
    action: str,
    summary: str,
    actor: str | None,
    task_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    session.connection().execute(
        _INSERT_AUDIT,
        {
            "instance_id": instance_id,
            "task_id": task_id,
            "at": ctx.clock.now(),
            "actor": actor,
            "action": action,
            "summary": summary,
            "data_before": dict(before) if before is not None else None,
            "data_after": dict(after) if after is not None else None,
        },
    )


def data_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys that changed, so the audit shows what a step did without copying all data."""
    keys = {k for k in set(before) | set(after) if before.get(k, _MISSING) != after.get(k, _MISSING)}
    return (
        {k: before[k] for k in sorted(keys) if k in before},
        {k: after[k] for k in sorted(keys) if k in after},
    )


_MISSING = object()


def _task_values(
    ctx: Context,
    run: ProcessRun,
    ref: InstanceRef,
    human: HumanTask,
    now: datetime,
    incidents: list[IncidentInfo],
) -> dict[str, Any]:
    ext = human.extensions
    exprs: Mapping[str, str] = ext.get("expr") or {}

    def value(name: str) -> Any:
        source = exprs.get(name)
        if not source:
            return None
        try:
            return run.evaluate(human.spiff_id, source)
        except Exception as error:  # the task still appears; the model error is shown as an incident
            incidents.append(
                IncidentInfo(
                    human.spiff_id,
                    human.bpmn_id,
                    "expression",
                    f"No se pudo evaluar camunda:{name} de '{human.name}': {error}",
                )
            )
            return None

    assignee = value("assignee")
    return {
        "spiff_id": human.spiff_id,
        "instance_id": ref.id,
        "process_key": ref.process_key,
        "bpmn_id": human.bpmn_id,
        "name": human.name,
        "lane": human.lane,
        "state": "ready",
        "assignee": str(assignee).strip() or None if assignee else None,
        "candidate_users": _names(value("candidateUsers")),
        "candidate_groups": _names(value("candidateGroups")),
        "due_at": _moment(value("dueDate"), now, ctx.settings.timezone),
        "follow_up_at": _moment(value("followUpDate"), now, ctx.settings.timezone),
        "priority": _priority(value("priority")),
        "form": form_reference(ext),
        "created_at": now,
    }


def form_reference(ext: Mapping[str, Any]) -> str | None:
    if ext.get("formRef"):
        return str(ext["formRef"])
    if ext.get("formData"):
        return "formData"
    return str(ext["formKey"]) if ext.get("formKey") else None


def _names(value: Any) -> list[str]:
    if value is None:
        return []
    items = value if isinstance(value, list | tuple | set) else str(value).split(",")
    return sorted({str(i).strip() for i in items if str(i).strip()})


def _priority(value: Any) -> int:
    try:
        return int(value) if value is not None and value != "" else DEFAULT_PRIORITY
    except (TypeError, ValueError):
        return DEFAULT_PRIORITY


def _moment(value: Any, now: datetime, tz: str) -> datetime | None:
    """camunda:dueDate / followUpDate: an ISO duration from now, an ISO date(-time), or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.upper().startswith("P"):
            return parse_duration_from(text, now)
        moment = datetime.fromisoformat(text)
        if len(text) == 10:  # a bare date is due at the end of that day, local time
            moment = moment + timedelta(hours=23, minutes=59, seconds=59)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(tz))
    return moment.astimezone(now.tzinfo)


def _sync_tasks(session: Session, ref: InstanceRef, values: list[dict[str, Any]], now: datetime) -> None:
    conn = session.connection()
    open_rows = dict(conn.execute(_OPEN_TASKS, {"iid": ref.id}).all())
    current = {v["spiff_id"] for v in values}
    gone = [task_id for spiff_id, task_id in open_rows.items() if spiff_id not in current]
    if gone:
        conn.execute(_CANCEL_TASKS, {"ids": gone, "p_now": now})
    for row in values:
        if row["spiff_id"] in open_rows:
            continue
        task_id = conn.execute(_INSERT_TASK, row).scalar_one()
        candidates = [{"task_id": task_id, "kind": "user", "value": u} for u in row["candidate_users"]]
        candidates += [{"task_id": task_id, "kind": "group", "value": g} for g in row["candidate_groups"]]
        if candidates:
            conn.execute(_INSERT_CANDIDATES, candidates)


def _sync_timers(session: Session, ref: InstanceRef, timers: list[Any], now: datetime) -> None:
    # Keyed by (task, activity, due): a gateway's timers share one task; a new cycle occurrence is a new row.
    conn = session.connection()
    rows = conn.execute(_WAITING_TIMERS, {"iid": ref.id}).all()
    waiting = {(spiff_id, bpmn_id, due): timer_id for timer_id, spiff_id, bpmn_id, due, _ in rows}
    gateways = {spiff_id for _, spiff_id, _, _, kind in rows if kind == "event_gateway"}
    current = set()
    for timer in timers:
        key = (timer.spiff_id, timer.bpmn_id, timer.due_at)
        current.add(key)
        if _same_timer(key, waiting):
            continue
        conn.execute(
            _INSERT_TIMER,
            {
                "instance_id": ref.id,
                "spiff_id": timer.spiff_id,
                "bpmn_id": timer.bpmn_id,
                "name": timer.name,
                "kind": timer.kind,
                "timer_type": timer.timer_type,
                "interrupting": timer.interrupting,
                "due_at": timer.due_at,
                "status": "waiting",
                "created_at": now,
                "attempts": 0,
            },
        )
    gone = sorted((k[2], k[0], timer_id) for k, timer_id in waiting.items() if not _same_timer(k, current))
    taken: set[Any] = set()
    for due, spiff_id, timer_id in gone:
        # An event-based gateway takes one branch: its earliest due timer fired, the others were cancelled.
        fired = due < now and spiff_id not in taken
        if fired and spiff_id in gateways:
            taken.add(spiff_id)
        conn.execute(
            _END_TIMER, {"tid": timer_id, "p_status": "fired" if fired else "cancelled", "p_now": now}
        )


def _same_timer(key: tuple[Any, str, datetime], pool: Any) -> bool:
    spiff_id, bpmn_id, due = key
    return any(s == spiff_id and b == bpmn_id and _close(d, due) for s, b, d in pool)


def _close(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 0.001
