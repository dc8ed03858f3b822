"""Starting an instance and delivering a message to one: each a single transaction."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView
from engine.limits import DataLimits, check_key
from engine.limits import check_data as check_bounds
from engine.runtime.execution import set_business_key
from engine.runtime.workflow import ProcessRun, check_json_native
from engine.store.audit import audit
from engine.store.definitions import DefinitionHead, latest_definition, spec_json
from engine.store.incidents import resolve_open_incidents
from engine.store.instances import load_instance, new_instance, waiting_for_message
from engine.store.tables import ProcessInstance, Task
from engine.store.uow import UnitOfWork
from engine.workflow.runs import advance, load_run, save_run


@dataclass(frozen=True)
class StartedInstance:
    id: int
    process_key: str
    version: int
    status: str
    business_key: str | None
    incident: str | None
    process_name: str = ""
    next_task_id: int | None = None  # when started by a person: their first task, if the process gave one

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "process_key": self.process_key,
            "version": self.version,
            "status": self.status,
        }


def check_data(data: Any, limits: DataLimits | None = None) -> dict[str, Any]:
    """Variables from outside, within `limits` (the settings' instance data limits): 422 naming the field."""
    if data is None:
        return {}
    if not isinstance(data, Mapping):
        raise BadInput('Los datos deben ser un objeto JSON, por ejemplo {"monto": 10}.')
    check_bounds(data, limits=limits)
    try:
        check_json_native(data)
    except ValueError as error:
        raise BadInput(str(error)) from error
    return copy.deepcopy(dict(data))


def check_start_allowed(ctx: Context, key: str, business_key: str | None) -> None:
    """A person starts any process but those a feature starts itself, with any key it does not hand out."""
    check_key(key, "process_key", "La clave del proceso")
    check_key(business_key, "business_key", "La clave de negocio")
    if key in ctx.reserved_starts:
        raise BadInput(ctx.reserved_starts[key], {"process_key": "Este proceso no se inicia a mano."})
    pattern = ctx.reserved_business_keys
    if business_key and pattern is not None and pattern.fullmatch(business_key.strip()):
        raise BadInput(
            f"La clave de negocio «{business_key}» tiene la forma de un radicado; los radicados los asigna la "
            "radicación de PQRSD.",
            {"business_key": "Use otra clave: esta forma está reservada a los radicados."},
        )


def start_process(
    ctx: Context, key: str, *, data: Any = None, business_key: str | None = None, actor: str | None = None
) -> StartedInstance:
    """A start by hand (CLI, API, tests of models go through `start_in`)."""
    check_start_allowed(ctx, key, business_key)
    initial = check_data(data, ctx.settings.data_limits)
    with UnitOfWork(ctx.db, pipelined=True) as uow:  # its one instance row is new: no one else sees it
        started = start_in(
            ctx, uow.session, latest_definition(uow.session, key), initial, business_key, actor
        )
        uow.commit()
    return started


def start_in(
    ctx: Context,
    session: Session,
    definition: DefinitionHead,
    initial: dict[str, Any],
    business_key: str | None,
    actor: str | None,
) -> StartedInstance:
    """Start an instance inside the caller's transaction and run it to its first wait."""
    spec, subs = ctx.specs(definition.id, lambda: spec_json(session, definition.id))
    run = ProcessRun.start(spec, subs, ctx.script_engine, initial)
    run.clock = ctx.clock
    set_business_key(run.workflow, business_key)  # JUEL's execution.getProcessBusinessKey()
    # written with its state by save_run (one INSERT), or before if a service handler asks for its id
    ref = new_instance(definition, business_key=business_key, actor=actor, now=ctx.clock.now())
    incident = advance(ctx, session, ref, run)
    status = save_run(ctx, session, ref, run, incident=incident)
    audit(session, ctx, instance_id=ref.id, action="instance_started", actor=actor,
          summary=f"Inició '{definition.name}' v{definition.version}", after=initial or None)  # fmt: skip
    return StartedInstance(
        ref.id,
        definition.key,
        definition.version,
        status,
        business_key,
        incident.message if incident else None,
        definition.name,
    )


def correlate_message(
    ctx: Context,
    name: str,
    *,
    business_key: str | None = None,
    instance_id: int | None = None,
    payload: Any = None,
    actor: str | None = None,
    user: UserView | None = None,
) -> int:
    """Deliver a message to the one instance waiting for it (by business key or id); returns its id.
    With `user` (the API), only someone `access.may_correlate` allows; without (CLI, engine), no check."""
    data = check_data(payload, ctx.settings.data_limits)
    check_key(name, "name", "El nombre del mensaje")
    check_key(business_key, "business_key", "La clave de negocio")
    with UnitOfWork(ctx.db) as uow:
        target = correlate_in(ctx, uow.session, name, business_key=business_key, instance_id=instance_id,
                              data=data, actor=actor, user=user)  # fmt: skip
        uow.commit()
    return target


def correlate_in(
    ctx: Context,
    session: Session,
    name: str,
    *,
    business_key: str | None,
    instance_id: int | None,
    data: dict[str, Any],
    actor: str | None,
    user: UserView | None = None,
) -> int:
    """`correlate_message` inside the caller's transaction."""
    targets = waiting_for_message(session, name, business_key=business_key, instance_id=instance_id, limit=2)
    if not targets:
        raise NotFound(
            f"Ningún proceso espera el mensaje '{name}'"
            + (f" con la clave de negocio '{business_key}'." if business_key else ".")
        )
    if len(targets) > 1:
        raise Conflict(f"Varios procesos esperan el mensaje '{name}': indique la clave de negocio.")
    if user is not None:
        _check_may_correlate(session, user, targets[0], name)
    ref = load_instance(session, targets[0])
    assert ref is not None
    run = load_run(ctx, session, ref)
    run.send_message(name, data)
    incident = advance(ctx, session, ref, run)
    save_run(ctx, session, ref, run, incident=incident)
    audit(session, ctx, instance_id=ref.id, action="message_correlated", actor=actor,
          summary=f"Recibió el mensaje '{name}'", after=data or None)  # fmt: skip
    return ref.id


def cancel_in(ctx: Context, session: Session, instance_id: int, *, reason: str, actor: str | None) -> None:
    """End a running instance where it stands (an admin's decision, with its reason): tasks, timers and waits
    are cancelled, its incidents closed. In the caller's transaction."""
    if not reason.strip():
        raise BadInput("Indique el motivo para cancelar el proceso.", {"motivo": "Es obligatorio."})
    ref = load_instance(session, instance_id)
    if ref is None:
        raise NotFound(f"No existe el proceso {instance_id}.")
    if ref.status in ("completed", "cancelled"):
        raise Conflict(f"El proceso {instance_id} ya terminó.")
    run = load_run(ctx, session, ref)
    run.cancel()
    save_run(ctx, session, ref, run, incident=None, status="cancelled")
    resolve_open_incidents(session, instance_id, ctx.clock.now(), actor)
    audit(session, ctx, instance_id=instance_id, action="instance_cancelled", actor=actor,
          summary=f"Canceló el proceso: {reason.strip()}", after={"motivo": reason.strip()})  # fmt: skip


def _check_may_correlate(session: Session, user: UserView, instance_id: int, name: str) -> None:
    started_by = session.scalar(select(ProcessInstance.started_by).where(ProcessInstance.id == instance_id))
    tasks = session.execute(
        select(Task.assignee, Task.candidate_users, Task.candidate_groups).where(
            Task.instance_id == instance_id
        )
    ).mappings()
    if not access.may_correlate(user, started_by, [dict(t) for t in tasks]):
        raise Forbidden(
            f"No puede entregar el mensaje '{name}' a ese proceso: no participa en él. Las integraciones usan "
            "un usuario con el rol 'mensajes'."
        )
