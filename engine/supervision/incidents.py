"""The incidents page: what stopped (failed timers, scripts, service tasks, mail), for whom, and its repairs.

Who sees what (`access.supervision_scope`): administrators every incident; supervisors those of instances
with a task of their dependencias (the supervision dependencia: every instance). An incident with no
instance (a mail to nobody's process, a timer start event) is the administrators' alone. Supervisors may
retry and correct what they see; cancelling a process is the administrators' (a PQRSD is annulled with it).
The list is SQL over the incident, instance and timer rows; only the detail page restores its instance.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView
from engine.pqrsd import case_actions
from engine.store import definitions
from engine.store.instances import load_instance
from engine.store.legal_tables import PqrsdCase
from engine.store.notification_tables import MailOutbox
from engine.store.tables import Incident, ProcessDefinition, ProcessInstance, Task, TaskCandidate, Timer
from engine.store.uow import UnitOfWork
from engine.workflow.incidents import retry_incident
from engine.workflow.instances import cancel_in
from engine.workflow.runs import load_run

KINDS = {
    "timer": "Temporizador",
    "script": "Script",
    "service": "Tarea de servicio",
    "expression": "Expresión",
    "data": "Datos",
    "mail": "Correo",
    "escalamiento": "Escalamiento",
    "engine": "Motor",
}
LIMIT = 200


@dataclass(frozen=True)
class IncidentItem:
    id: int
    kind: str
    message: str
    created_at: datetime
    instance_id: int | None
    process_key: str | None
    process_name: str | None
    business_key: str | None
    element_id: str | None
    element_name: str | None
    attempts: int | None

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)


@dataclass(frozen=True)
class IncidentDetail:
    item: IncidentItem
    data: dict[str, Any]  # the instance's current variables (what "edit variables" starts from)
    radicado: str | None  # the PQRSD whose process this is: cancelling annuls it
    may_correct: bool  # variables only matter to a step of a process
    may_cancel: bool


# ---- reading ----------------------------------------------------------------------------------
def incidents_for(ctx: Context, user: UserView, *, kind: str | None = None) -> list[IncidentItem]:
    """Open incidents the user may see, newest first (at most LIMIT); four queries whatever their number."""
    with UnitOfWork(ctx.db, write=False) as uow:
        query = _scoped(ctx, user, _incident_query()).order_by(Incident.created_at.desc(), Incident.id.desc())
        if kind:
            query = query.where(Incident.kind == kind)
        return _items(ctx, uow.session, list(uow.session.execute(query.limit(LIMIT))))


def open_count(ctx: Context, user: UserView) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = _scoped(
            ctx, user, select(func.count()).select_from(Incident).where(Incident.resolved_at.is_(None))
        )
        return int(uow.session.scalar(query) or 0)


def incident_detail(ctx: Context, user: UserView, incident_id: int) -> IncidentDetail:
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        item = _visible(ctx, session, user, incident_id)
        data: dict[str, Any] = {}
        radicado = None
        if item.instance_id is not None:
            ref = load_instance(session, item.instance_id)
            if ref is not None:
                data = load_run(ctx, session, ref).data()
            radicado = session.scalar(
                select(PqrsdCase.radicado).where(PqrsdCase.instance_id == item.instance_id)
            )
        status = None if item.instance_id is None else _instance_status(session, item.instance_id)
    bound = item.instance_id is not None and item.kind != "mail"
    return IncidentDetail(
        item, data, radicado, bound, bound and user.is_admin and status not in ("completed", "cancelled")
    )


def _incident_query() -> Any:
    return (
        select(
            Incident.id,
            Incident.kind,
            Incident.message,
            Incident.created_at,
            Incident.instance_id,
            Incident.spiff_id,
            Incident.bpmn_id,
            ProcessInstance.process_key,
            ProcessInstance.business_key,
            ProcessInstance.definition_id,
            ProcessDefinition.name,
        )
        .outerjoin(ProcessInstance, ProcessInstance.id == Incident.instance_id)
        .outerjoin(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(Incident.resolved_at.is_(None))
    )


def _scoped(ctx: Context, user: UserView, query: Select[Any]) -> Select[Any]:
    if not access.may_watch(user):
        raise Forbidden("La página de incidentes es para administradores y supervisores.")
    if user.is_admin:
        return query
    groups = access.supervision_scope(user, ctx.settings.supervision_group)
    if groups is None:  # the supervision dependencia: every incident of a process
        return query.where(Incident.instance_id.is_not(None))
    of_groups = (
        select(Task.instance_id)
        .join(TaskCandidate, TaskCandidate.task_id == Task.id)
        .where(TaskCandidate.kind == "group", TaskCandidate.value.in_(list(groups) or [""]))
    )
    return query.where(Incident.instance_id.in_(of_groups))


def _visible(ctx: Context, session: Session, user: UserView, incident_id: int) -> IncidentItem:
    query = _scoped(ctx, user, _incident_query().where(Incident.id == incident_id))
    found = _items(ctx, session, list(session.execute(query)))
    if not found:
        raise NotFound(f"No hay un incidente abierto {incident_id} que usted pueda ver.")
    return found[0]


def _items(ctx: Context, session: Session, rows: list[Any]) -> list[IncidentItem]:
    timers, failures, mails = _attempts(session, rows)
    items = []
    for r in rows:
        timer = timers.get((r.instance_id, r.spiff_id)) or timers.get((None, r.spiff_id))
        if r.kind == "timer":
            attempts = timer[0] if timer else None
        elif r.kind == "mail":
            attempts = mails.get(r.spiff_id)
        else:
            attempts = failures.get((r.instance_id, r.bpmn_id))
        name = timer[1] if timer else _element_name(ctx, session, r.definition_id, r.bpmn_id)
        items.append(IncidentItem(r.id, r.kind, r.message, r.created_at, r.instance_id, r.process_key, r.name,
                                  r.business_key, r.bpmn_id, name, attempts))  # fmt: skip
    return items


def _attempts(
    session: Session, rows: list[Any]
) -> tuple[
    dict[tuple[int | None, str | None], tuple[int, str | None]], dict[tuple[int, str], int], dict[str, int]
]:
    """Failed firings of timers, failures recorded per step, and mail attempts of these incidents."""
    instances = sorted({r.instance_id for r in rows if r.instance_id is not None})
    start_timers = [int(r.spiff_id[6:]) for r in rows if (r.spiff_id or "").startswith("timer:")]
    timers: dict[tuple[Any, Any], tuple[int, str | None]] = {}
    if any(r.kind == "timer" for r in rows):
        query = select(Timer.id, Timer.instance_id, Timer.spiff_id, Timer.attempts, Timer.name).where(
            or_(Timer.instance_id.in_(instances or [0]), Timer.id.in_(start_timers or [0]))
        )
        for t in session.execute(query):
            key = (None, f"timer:{t.id}") if t.instance_id is None else (t.instance_id, t.spiff_id)
            timers[key] = (t.attempts, t.name)
    failures: dict[tuple[Any, Any], int] = {}
    if instances:
        counted = (
            select(Incident.instance_id, Incident.bpmn_id, func.count())
            .where(Incident.instance_id.in_(instances), Incident.kind.not_in(("timer", "mail")))
            .group_by(Incident.instance_id, Incident.bpmn_id)
        )
        failures = {(i, b): int(n) for i, b, n in session.execute(counted)}
    mail_ids = [
        int(r.spiff_id[5:]) for r in rows if r.kind == "mail" and (r.spiff_id or "").startswith("mail:")
    ]
    mails: dict[str, int] = {}
    if mail_ids:
        sent = select(MailOutbox.id, MailOutbox.attempts).where(MailOutbox.id.in_(mail_ids))
        mails = {f"mail:{i}": int(n) for i, n in session.execute(sent)}
    return timers, failures, mails


def _element_name(
    ctx: Context, session: Session, definition_id: int | None, bpmn_id: str | None
) -> str | None:
    """The step's name from the cached parsed spec of its version (parsed once per process, never per row)."""
    if definition_id is None or bpmn_id is None:
        return None
    spec, subs = ctx.specs(definition_id, lambda: definitions.spec_json(session, definition_id))
    for candidate in (spec, *subs.values()):
        task_spec = getattr(candidate, "task_specs", {}).get(bpmn_id)
        if task_spec is not None:
            return getattr(task_spec, "bpmn_name", None) or None
    return None


def _instance_status(session: Session, instance_id: int) -> str | None:
    return session.scalar(select(ProcessInstance.status).where(ProcessInstance.id == instance_id))


# ---- repairs ----------------------------------------------------------------------------------
def corrections_from(text: str | None, current: Mapping[str, Any]) -> dict[str, Any]:
    """The variables a person edited (a JSON object of them all, as shown): only what changed or is new."""
    raw = (text or "").strip()
    if not raw:
        return {}
    try:
        edited = json.loads(raw)
    except json.JSONDecodeError as error:
        raise BadInput(
            f"Las variables deben ser un objeto JSON: {error.msg} (línea {error.lineno}, columna {error.colno}).",
            {"variables": "JSON inválido."},
        ) from error
    if not isinstance(edited, dict):
        raise BadInput(
            'Las variables deben ser un objeto JSON, como {"monto": 10}.', {"variables": "No es un objeto."}
        )
    return {k: v for k, v in edited.items() if k not in current or current[k] != v}


def retry(
    ctx: Context, user: UserView, incident_id: int, variables: str | None = None
) -> tuple[str, list[str]]:
    """Run the failed step again, with the edited variables if any; returns the status and what was corrected.
    Audited by the retry (`incident_retried`, with the corrections)."""
    detail = incident_detail(ctx, user, incident_id)
    corrections = corrections_from(variables, detail.data) if detail.may_correct else {}
    status = retry_incident(ctx, incident_id, actor=user.username, corrections=corrections or None)
    return status, sorted(corrections)


def cancel(ctx: Context, user: UserView, incident_id: int, reason: str) -> str | None:
    """Cancel the incident's process with the reason (a PQRSD is annulled with it); returns its radicado."""
    detail = incident_detail(ctx, user, incident_id)
    if not user.is_admin:
        raise Forbidden("Solo un administrador cancela un proceso.")
    if not detail.may_cancel or detail.item.instance_id is None:
        raise BadInput("Este incidente no tiene un proceso en curso que cancelar.")
    if not reason.strip():
        raise BadInput("Indique el motivo para cancelar el proceso.", {"motivo": "Es obligatorio."})
    if detail.radicado is not None:
        case_actions.anular(ctx, detail.radicado, reason, user)
        return detail.radicado
    with UnitOfWork(ctx.db) as uow:
        cancel_in(ctx, uow.session, detail.item.instance_id, reason=reason, actor=user.username)
        uow.commit()
    return None
