"""Timer start events of deployed processes as timer rows (no instance), in step with the deployments.

A row per timer start event of each process key's latest version; a new version's deployment cancels the
old version's waiting rows. The scheduler calls `sync_start_timers` when something new is deployed; a
deployment may call `sync_start_timers_in` inside its own transaction. Firing them is in `timers`.
"""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial
from typing import Any

from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from engine.clock import FrozenClock, utc
from engine.context import Context
from engine.runtime import timer_events
from engine.store.tables import ProcessDefinition, Timer
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)

_SYNC_LOCK_KEY = 0x70687661  # pg_advisory_xact_lock key: one start-timer sync at a time


def sync_start_timers(ctx: Context) -> int:
    """Keep one timer row per timer start event of each process's latest version; returns rows changed."""
    with UnitOfWork(ctx.db) as uow:
        changed = sync_start_timers_in(ctx, uow.session)
        uow.commit()
    return changed


def sync_start_timers_in(ctx: Context, session: Session) -> int:
    """The same inside the caller's transaction (a deployment can call it before its commit)."""
    if not ctx.db.is_sqlite:
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SYNC_LOCK_KEY})
    latest = _latest_definitions(session)
    # A new version replaces the old version's start timers.
    stale = list(
        session.scalars(
            select(Timer.id).where(
                Timer.instance_id.is_(None),
                Timer.status == "waiting",
                Timer.definition_id.not_in(list(latest)),
            )
        )
    )
    if stale:
        session.execute(update(Timer).where(Timer.id.in_(stale)).values(status="cancelled"))
    changed = len(stale)
    known = set(
        session.execute(
            select(Timer.definition_id, Timer.bpmn_id).where(
                Timer.instance_id.is_(None), Timer.definition_id.in_(list(latest))
            )
        ).all()
    )
    now = ctx.clock.now()
    for definition_id, deployed_at in latest.items():
        spec, subs = ctx.specs(definition_id, partial(_spec_json, session, definition_id))
        try:
            found = timer_events.start_timers(spec, subs, ctx.script_engine, FrozenClock(deployed_at))
        except Exception as error:  # a model error must not stop the other processes' timers
            log.error(
                "No se pudo programar el inicio por temporizador de la definición %s: %s",
                definition_id,
                error,
            )
            continue
        for start in found:
            if (definition_id, start.bpmn_id) in known:
                continue
            repeat = (
                {"cycles": start.cycles, "seconds": start.period_seconds}
                if start.cycles is not None
                else None
            )
            session.add(
                start_timer_row(
                    definition_id, start.bpmn_id, start.name, start.timer_type, start.due_at, repeat, now
                )
            )
            changed += 1
    return changed


def start_timer_row(
    definition_id: int,
    bpmn_id: str,
    name: str | None,
    timer_type: str,
    due_at: datetime,
    repeat: dict[str, Any] | None,
    now: datetime,
) -> Timer:
    """A waiting timer start event of a deployed version (no instance yet)."""
    return Timer(
        instance_id=None,
        definition_id=definition_id,
        spiff_id=None,
        bpmn_id=bpmn_id,
        name=name,
        kind="start",
        timer_type=timer_type,
        interrupting=True,
        due_at=due_at,
        status="waiting",
        created_at=now,
        attempts=0,
        repeat=repeat,
    )


def definitions_marker(ctx: Context) -> int:
    """Changes when something is deployed: the scheduler re-syncs start timers only then."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(select(func.max(ProcessDefinition.id))) or 0


def _latest_definitions(session: Session) -> dict[int, datetime]:
    top = (
        select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
        .group_by(ProcessDefinition.key)
        .subquery()
    )
    rows = session.execute(
        select(ProcessDefinition.id, ProcessDefinition.deployed_at).join(
            top, (top.c.key == ProcessDefinition.key) & (top.c.v == ProcessDefinition.version)
        )
    )
    return {definition_id: utc(at) for definition_id, at in rows}


def _spec_json(session: Session, definition_id: int) -> str:
    return (
        session.scalar(select(ProcessDefinition.spec_json).where(ProcessDefinition.id == definition_id)) or ""
    )
