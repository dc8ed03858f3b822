"""Starting instances, reading them, messages and incidents: each a single transaction."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.errors import BadInput, Conflict, IncidentRaised, NotFound
from engine.runtime.workflow import ProcessRun, check_json_native
from engine.services.context import Context
from engine.services.persistence import InstanceRef, audit, insert_instance, load_instance, save_run
from engine.store.tables import Incident, MessageWait, ProcessDefinition, ProcessInstance
from engine.store.uow import UnitOfWork


@dataclass(frozen=True)
class StartedInstance:
    id: int
    process_key: str
    version: int
    status: str
    business_key: str | None
    incident: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "process_key": self.process_key,
            "version": self.version,
            "status": self.status,
        }


def check_data(data: Any) -> dict[str, Any]:
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BadInput('Los datos deben ser un objeto JSON, por ejemplo {"monto": 10}.')
    try:
        check_json_native(data)
    except ValueError as error:
        raise BadInput(str(error)) from error
    return copy.deepcopy(dict(data))


def latest_definition(session: Session, key: str) -> ProcessDefinition:
    row = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound(f"No hay un proceso desplegado con la clave '{key}'.")
    return row


def load_run(ctx: Context, session: Session, ref: InstanceRef) -> ProcessRun:
    spec, subs = ctx.specs(
        ref.definition_id,
        lambda: (
            session.scalar(
                select(ProcessDefinition.spec_json).where(ProcessDefinition.id == ref.definition_id)
            )
            or ""
        ),
    )
    return ProcessRun.load(ref.state, spec, subs, ctx.script_engine)


def start_process(
    ctx: Context, key: str, *, data: Any = None, business_key: str | None = None, actor: str | None = None
) -> StartedInstance:
    initial = check_data(data)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        definition = latest_definition(session, key)
        spec, subs = ctx.specs(definition.id, lambda: definition.spec_json)
        run = ProcessRun.start(spec, subs, ctx.script_engine, initial)
        now = ctx.clock.now()
        ref = insert_instance(session, definition, business_key=business_key, actor=actor, now=now)
        instance_id = ref.id
        incident = run.advance(ctx.clock, ctx.services)
        status = save_run(ctx, session, ref, run, incident=incident)
        audit(
            session,
            ctx,
            instance_id=instance_id,
            action="instance_started",
            actor=actor,
            summary=f"Inició '{definition.name}' v{definition.version}",
            after=initial or None,
        )
        uow.commit()
    return StartedInstance(
        instance_id, key, definition.version, status, business_key, incident.message if incident else None
    )


def correlate_message(
    ctx: Context,
    name: str,
    *,
    business_key: str | None = None,
    instance_id: int | None = None,
    payload: Any = None,
    actor: str | None = None,
) -> int:
    """Deliver a message to the one instance waiting for it (by business key or id); returns its id."""
    data = check_data(payload)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        query = select(MessageWait.instance_id).where(MessageWait.message_name == name).distinct()
        if business_key is not None:
            query = query.join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id).where(
                ProcessInstance.business_key == business_key
            )
        if instance_id is not None:
            query = query.where(MessageWait.instance_id == instance_id)
        targets = list(session.scalars(query.limit(2)))
        if not targets:
            raise NotFound(
                f"Ningún proceso espera el mensaje '{name}'"
                + (f" con la clave de negocio '{business_key}'." if business_key else ".")
            )
        if len(targets) > 1:
            raise Conflict(f"Varios procesos esperan el mensaje '{name}': indique la clave de negocio.")
        ref = load_instance(session, targets[0])
        assert ref is not None
        run = load_run(ctx, session, ref)
        run.send_message(name, data)
        incident = run.advance(ctx.clock, ctx.services)
        save_run(ctx, session, ref, run, incident=incident)
        audit(
            session,
            ctx,
            instance_id=ref.id,
            action="message_correlated",
            actor=actor,
            summary=f"Recibió el mensaje '{name}'",
            after=data or None,
        )
        uow.commit()
    return ref.id


def retry_incident(ctx: Context, incident_id: int, *, actor: str | None = None) -> str:
    """Run the failed step again; returns the instance status afterwards."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = session.get(Incident, incident_id)
        if row is None or row.instance_id is None:
            raise NotFound(f"No existe el incidente {incident_id}.")
        if row.resolved_at is not None:
            raise Conflict(f"El incidente {incident_id} ya fue resuelto.")
        ref = load_instance(session, row.instance_id)
        assert ref is not None
        run = load_run(ctx, session, ref)
        run.retry(row.spiff_id)
        session.execute(
            update(Incident)
            .where(Incident.id == incident_id)
            .values(resolved_at=ctx.clock.now(), resolved_by=actor)
        )
        incident = run.advance(ctx.clock, ctx.services)
        status = save_run(ctx, session, ref, run, incident=incident)
        audit(
            session,
            ctx,
            instance_id=ref.id,
            action="incident_retried",
            actor=actor,
            summary=f"Reintentó el incidente {incident_id}",
        )
        uow.commit()
    if incident is not None:
        raise IncidentRaised(f"El reintento falló: {incident.message}")
    return status
