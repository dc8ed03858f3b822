"""Broadcasting a signal by name, as Camunda 7 does: every instance waiting for it catches it, and every
process whose latest version has a signal start event for it starts. One transaction.

A signal thrown by a model (intermediate throw or end event) is broadcast the same way when its instance
is saved (`broadcast_thrown`, called by `runs.save_run`); the throwing instance has already delivered it
to itself. The instances to reach are found in the `signal_waits` rows, never by reading every workflow.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Forbidden
from engine.identity import access
from engine.identity.users import UserView
from engine.limits import check_key
from engine.runtime import signals as signal_events
from engine.runtime.workflow import ProcessRun
from engine.store import definitions
from engine.store.audit import audit
from engine.store.instances import insert_instance, load_instance, waiting_for_signal
from engine.store.tables import ProcessDefinition
from engine.store.timers import latest_definitions
from engine.store.uow import UnitOfWork
from engine.workflow.instances import check_data
from engine.workflow.runs import advance, load_run, save_run

MAX_CHAIN = 25  # signals that cause signals: deeper than this is a loop in the models
_depth: ContextVar[int] = ContextVar("phva_signal_depth", default=0)


@dataclass
class SignalOutcome:
    name: str
    delivered: list[int] = field(default_factory=list)  # instances that caught it
    started: list[int] = field(default_factory=list)  # instances its signal start events started

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "delivered_to": self.delivered, "started": self.started}


def send_signal(
    ctx: Context, name: str, *, payload: Any = None, actor: str | None = None, user: UserView | None = None
) -> SignalOutcome:
    """Broadcast signal `name` (CLI, API). With `user` (the API), only admins and the `mensajes` role: a
    broadcast reaches instances nobody in particular takes part in. Reaching nobody is not an error."""
    check_key(name, "name", "El nombre de la señal")
    if not (name or "").strip():
        raise BadInput("Indique el nombre de la señal.", {"name": "Es obligatorio."})
    data = check_data(payload, ctx.settings.data_limits)
    if user is not None and not access.may_signal(user):
        raise Forbidden(
            f"No puede emitir la señal '{name}': una señal llega a todos los procesos que la esperan; la emiten "
            "los administradores y las integraciones con el rol 'mensajes'."
        )
    with UnitOfWork(ctx.db) as uow:
        outcome = broadcast_in(ctx, uow.session, name.strip(), data, actor=actor)
        uow.commit()
    return outcome


def broadcast_signal(ctx: Context, name: str, *, payload: Any = None, actor: str | None = None) -> int:
    """`send_signal` without a user check (model tests, engine); returns how many instances it reached."""
    outcome = send_signal(ctx, name, payload=payload, actor=actor)
    return len(outcome.delivered) + len(outcome.started)


def broadcast_in(
    ctx: Context,
    session: Session,
    name: str,
    data: dict[str, Any],
    *,
    actor: str | None,
    origin: int | None = None,
) -> SignalOutcome:
    """`send_signal` inside the caller's transaction; `origin` (the thrower) caught it already."""
    outcome = SignalOutcome(name)
    with _chained(name):
        for instance_id in waiting_for_signal(session, name):
            if instance_id != origin and _deliver(ctx, session, instance_id, name, data, actor):
                outcome.delivered.append(instance_id)
        for definition_id in sorted(latest_definitions(session)):
            outcome.started.extend(_start_by_signal(ctx, session, definition_id, name, data, actor))
    return outcome


def broadcast_thrown(ctx: Context, session: Session, origin: int, names: list[str]) -> None:
    """The signals an instance's model threw, to every other instance and signal start event."""
    for name in names:
        broadcast_in(ctx, session, name, {}, actor=None, origin=origin)


@contextmanager
def _chained(name: str) -> Iterator[None]:
    depth = _depth.get() + 1
    if depth > MAX_CHAIN:
        raise BadInput(
            f"La señal '{name}' provoca señales en cadena sin fin (más de {MAX_CHAIN} seguidas): revise los "
            "modelos que la lanzan y la esperan. No se cambió nada."
        )
    token = _depth.set(depth)
    try:
        yield
    finally:
        _depth.reset(token)


def _deliver(
    ctx: Context, session: Session, instance_id: int, name: str, data: dict[str, Any], actor: str | None
) -> bool:
    ref = load_instance(session, instance_id)
    if ref is None or ref.status in ("completed", "cancelled"):
        return False
    run = load_run(ctx, session, ref)
    if run.send_signal(name, data) == 0:
        return False
    incident = advance(ctx, session, ref, run)
    save_run(ctx, session, ref, run, incident=incident)
    audit(session, ctx, instance_id=ref.id, action="signal_received", actor=actor,
          summary=f"Recibió la señal '{name}'", after=data or None)  # fmt: skip
    return True


def _start_by_signal(
    ctx: Context, session: Session, definition_id: int, name: str, data: dict[str, Any], actor: str | None
) -> list[int]:
    spec, subs = ctx.specs(definition_id, partial(definitions.spec_json, session, definition_id))
    started = []
    for start in signal_events.signal_starts(spec):
        if start.signal_name != name:
            continue
        definition = session.get(ProcessDefinition, definition_id)
        assert definition is not None
        run = ProcessRun.start_by_signal(spec, subs, ctx.script_engine, start.bpmn_id, data)
        ref = insert_instance(session, definition, business_key=None, actor=actor, now=ctx.clock.now())
        incident = advance(ctx, session, ref, run)
        save_run(ctx, session, ref, run, incident=incident)
        audit(session, ctx, instance_id=ref.id, action="instance_started", actor=actor,
              summary=f"Inició '{definition.name}' v{definition.version} por la señal '{name}'",
              after=data or None)  # fmt: skip
        started.append(ref.id)
    return started
