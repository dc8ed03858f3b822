"""Retrying an incident: the failed step of an instance, or a timer that ran out of attempts — one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.context import Context
from engine.errors import BadInput, Conflict, IncidentRaised, NotFound
from engine.notifications import outbox
from engine.store.audit import audit
from engine.store.incidents import load_incident, resolve_incident
from engine.store.instances import load_instance
from engine.store.timers import rearm_activity_timers, rearm_timer
from engine.store.uow import UnitOfWork
from engine.workflow.runs import advance, load_run, save_run


def retry_incident(
    ctx: Context, incident_id: int, *, actor: str | None = None, corrections: Mapping[str, Any] | None = None
) -> str:
    """Run the failed step again, with `corrections` to its variables if given; returns the instance status
    afterwards ("programado" for a start timer)."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = load_incident(session, incident_id)
        if row is None:
            raise NotFound(f"No existe el incidente {incident_id}.")
        if row.resolved_at is not None:
            raise Conflict(f"El incidente {incident_id} ya fue resuelto.")
        if row.kind == "mail":  # the message goes out again; its process (if any) never stopped
            outbox.requeue(session, ctx, row.spiff_id)
            resolve_incident(session, incident_id, ctx.clock.now(), actor)
            uow.commit()
            return "reenviando"
        if row.kind == "timer" and row.instance_id is None and (timer_id := row.start_timer_id) is not None:
            rearm_timer(session, timer_id)
            resolve_incident(session, incident_id, ctx.clock.now(), actor)
            uow.commit()
            return "programado"
        if row.instance_id is None:
            raise NotFound(f"No existe el proceso del incidente {incident_id}.")
        instance_id = row.instance_id
        instance = load_instance(session, instance_id)
        assert instance is not None
        run = load_run(ctx, session, instance)
        if corrections:
            try:
                run.correct(row.spiff_id, corrections)
            except ValueError as error:
                raise BadInput(str(error)) from error
        run.retry(row.spiff_id)
        resolve_incident(session, incident_id, ctx.clock.now(), actor)
        incident = advance(ctx, session, instance, run)
        status = save_run(ctx, session, instance, run, incident=incident)
        if (
            row.kind == "timer" and incident is None
        ):  # still waiting, not due after all: the scheduler's again
            rearm_activity_timers(session, instance_id, row.bpmn_id)
        audit(
            session,
            ctx,
            instance_id=instance_id,
            action="incident_retried",
            actor=actor,
            summary=f"Reintentó el incidente {incident_id}"
            + (f" corrigiendo {', '.join(sorted(corrections))}" if corrections else ""),
            after=dict(corrections) if corrections else None,
        )
        uow.commit()
    if incident is not None:
        raise IncidentRaised(f"El reintento falló: {incident.message}")
    return status
