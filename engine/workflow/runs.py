"""A process run between the engine and the repository: restore it from its row, save it back as one change."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import ValidationFailed
from engine.limits import json_size
from engine.modeling.isotime import parse_duration_from
from engine.notifications import alerts, task_events
from engine.runtime.workflow import HumanTask, IncidentInfo, ProcessRun
from engine.store import definitions
from engine.store.audit import audit
from engine.store.instances import InstanceChange, InstanceRef, has_open_incident, save_instance, stored
from engine.workflow import ladder_arming
from engine.workflow.bindings import StoredDefinitions

DEFAULT_PRIORITY = 50
ENGINE_ACTOR = "phva"  # who fires a timer met while a use case advances the run (the scheduler names itself)


@dataclass(frozen=True)
class ServiceCall:
    """What a service-task handler registered `with_call` acts in: the use case's transaction and instance."""

    ctx: Context
    session: Session
    ref: InstanceRef

    @property
    def instance(self) -> InstanceRef:
        """The instance, its row written first when a start still holds it back (a handler may link to it)."""
        return stored(self.session, self.ref)


def advance(ctx: Context, session: Session, ref: InstanceRef, run: ProcessRun) -> IncidentInfo | None:
    """Run the instance to its next wait; service tasks registered with a call act in this transaction."""
    bound = StoredDefinitions(ctx, session)
    return run.advance(ctx.clock, ctx.services, ServiceCall(ctx, session, ref), bound)


def load_run(ctx: Context, session: Session, ref: InstanceRef) -> ProcessRun:
    spec, subs = ctx.specs(ref.definition_id, lambda: definitions.spec_json(session, ref.definition_id))
    bound = StoredDefinitions(ctx, session)
    run = ProcessRun.load(ref.state, spec, subs, ctx.script_engine, ctx.clock, bound.called_specs)
    run.definitions = bound  # a completed task can reach a call activity or a decision at once
    run.services = ctx.services  # a completed task's listeners may call registered handlers
    return run


def save_run(
    ctx: Context,
    session: Session,
    ref: InstanceRef,
    run: ProcessRun,
    *,
    incident: IncidentInfo | None,
    extra_incidents: list[IncidentInfo] | None = None,
    status: str | None = None,
    actor: str = ENGINE_ACTOR,
) -> str:
    """Write the run back under the optimistic lock; returns the new status (`status` forces one).
    Each timer that fired since the last save is audited here, once, whoever advanced the run (`actor`)."""
    check_data_size(ctx, run.data())
    now = ctx.clock.now()
    activities = sorted(set(ref.completed_activities) | run.finished_activity_ids())
    incidents = list(extra_incidents or [])
    humans = run.human_tasks()
    task_values = [_task_values(ctx, run, ref, h, now, incidents) for h in humans]
    default_due = ctx.default_task_due.get(ref.process_key)
    if default_due is not None and any(t["due_at"] is None for t in task_values):
        due = default_due(session, ref.business_key)  # read once per save, only when a task needs it
        for values in task_values:
            values["due_at"] = values["due_at"] or due
    if incident is not None:
        incidents.insert(0, incident)
    if status is None:
        status = "completed" if run.completed else ("incident" if incident is not None else "running")
        if status == "running" and ref.status == "incident" and has_open_incident(session, ref.id):
            status = "incident"
    cancelled = run.cancelled_task_ids()  # before dump prunes the history
    change = InstanceChange(
        cancelled=cancelled,
        state=run.dump(),
        status=status,
        completed_activities=activities,
        tasks=task_values,
        timers=run.timers(),
        messages=run.messages(),
        incidents=incidents,
        signals=run.signals(),
    )
    for timer in save_instance(session, ref, change, now):
        due_text = timer.due_at.isoformat()
        audit(
            session,
            ctx,
            instance_id=ref.id,
            action="timer_fired",
            actor=actor,
            summary=f"Se cumplió el temporizador '{timer.name or timer.bpmn_id}' (vencía {due_text})",
            after={"activity": timer.bpmn_id, "due_at": due_text, "fired_at": now.isoformat()},
        )
    # escalation ladders of new tasks, in this save
    ladder_arming.arm(ctx, session, ref, humans, task_values, now)
    task_events.new_tasks(session, ctx, ref.business_key, task_values)  # who must hear of new tasks
    if incidents:
        alerts.notify_incidents(session, ctx, ref.id, [i.message for i in incidents])
    thrown = run.thrown_signals()
    if thrown and ctx.broadcast_thrown is not None:  # to every instance, in this transaction, after this save
        ctx.broadcast_thrown(ctx, session, ref.id, thrown)
    return status


def check_data_size(ctx: Context, data: Mapping[str, Any]) -> None:
    """An instance's data stays under PHVA_MAX_INSTANCE_DATA_KB: past it the change is refused (422)."""
    limit = ctx.settings.data_limits.max_kb
    size = json_size(data)
    if size > limit * 1024:
        message = (
            f"Los datos de la instancia llegarían a {size // 1024} KB; el máximo es {limit} KB "
            "(PHVA_MAX_INSTANCE_DATA_KB). No se guardó ningún cambio."
        )
        raise ValidationFailed(message, {"data": f"Máximo {limit} KB en total."})


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
                    f"No se pudo evaluar {'el nombre' if name == 'name' else f'camunda:{name}'} "
                    f"de '{human.name}': {error}",
                )
            )
            return None

    assignee, title = value("assignee"), value("name")  # a name with ${…} is resolved at creation
    return {
        "spiff_id": human.spiff_id,
        "instance_id": ref.id,
        "process_key": ref.process_key,
        "bpmn_id": human.bpmn_id,
        "name": str(title)[:300] if title not in (None, "") else human.name,
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
