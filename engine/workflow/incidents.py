"""Retrying an incident: the failed step of an instance, or a timer that ran out of attempts — one transaction."""

from __future__ import annotations

from sqlalchemy import ColumnElement, update
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Conflict, IncidentRaised, NotFound
from engine.store.audit import audit
from engine.store.instances import load_instance
from engine.store.tables import Incident, Timer
from engine.store.uow import UnitOfWork
from engine.workflow.runs import load_run, save_run
from engine.workflow.timers import START_TIMER_REF


def retry_incident(ctx: Context, incident_id: int, *, actor: str | None = None) -> str:
    """Run the failed step again; returns the instance status afterwards ("programado" for a start timer)."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = session.get(Incident, incident_id)
        if row is None:
            raise NotFound(f"No existe el incidente {incident_id}.")
        if row.resolved_at is not None:
            raise Conflict(f"El incidente {incident_id} ya fue resuelto.")
        ref = row.spiff_id or ""
        if row.kind == "timer" and row.instance_id is None and ref.startswith(START_TIMER_REF):
            _rearm_timers(session, Timer.id == int(ref.removeprefix(START_TIMER_REF)))
            _resolve(ctx, session, incident_id, actor)
            uow.commit()
            return "programado"
        if row.instance_id is None:
            raise NotFound(f"No existe el proceso del incidente {incident_id}.")
        instance_id, bpmn_id, kind = row.instance_id, row.bpmn_id, row.kind
        instance = load_instance(session, instance_id)
        assert instance is not None
        run = load_run(ctx, session, instance)
        run.retry(row.spiff_id)
        _resolve(ctx, session, incident_id, actor)
        incident = run.advance(ctx.clock, ctx.services)
        status = save_run(ctx, session, instance, run, incident=incident)
        if (
            kind == "timer" and incident is None
        ):  # still waiting (not due yet after all): back in the scheduler's hands
            _rearm_timers(session, (Timer.instance_id == instance_id) & (Timer.bpmn_id == bpmn_id))
        audit(
            session,
            ctx,
            instance_id=instance_id,
            action="incident_retried",
            actor=actor,
            summary=f"Reintentó el incidente {incident_id}",
        )
        uow.commit()
    if incident is not None:
        raise IncidentRaised(f"El reintento falló: {incident.message}")
    return status


def _resolve(ctx: Context, session: Session, incident_id: int, actor: str | None) -> None:
    session.execute(
        update(Incident)
        .where(Incident.id == incident_id)
        .values(resolved_at=ctx.clock.now(), resolved_by=actor)
    )


def _rearm_timers(session: Session, which: ColumnElement[bool]) -> None:
    session.execute(update(Timer).where(which, Timer.status == "waiting").values(attempts=0, retry_at=None))
