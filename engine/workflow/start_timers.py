"""Timer start events of deployed processes as timer rows (no instance), in step with the deployments.

A row per timer start event of each process key's latest version; a new version's deployment cancels the
old version's waiting rows. The scheduler calls `sync_start_timers` when something new is deployed; a
deployment may call `sync_start_timers_in` inside its own transaction. Firing them is in `timers`.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import FrozenClock
from engine.context import Context
from engine.runtime import timer_events
from engine.store import definitions
from engine.store import timers as store
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)


def sync_start_timers(ctx: Context) -> int:
    """Keep one timer row per timer start event of each process's latest version; returns rows changed."""
    with UnitOfWork(ctx.db) as uow:
        changed = sync_start_timers_in(ctx, uow.session)
        uow.commit()
    return changed


def sync_start_timers_in(ctx: Context, session: Session) -> int:
    """The same inside the caller's transaction (a deployment can call it before its commit)."""
    if not ctx.db.is_sqlite:
        store.lock_start_timer_sync(session)
    latest = store.latest_definitions(session)
    changed = store.cancel_stale_start_timers(session, list(latest))  # a new version replaces the old's
    known = store.start_timer_keys(session, list(latest))
    now = ctx.clock.now()
    for definition_id, deployed_at in latest.items():
        spec, subs = ctx.specs(definition_id, partial(definitions.spec_json, session, definition_id))
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
            repeat: dict[str, Any] | None = (
                {"cycles": start.cycles, "seconds": start.period_seconds}
                if start.cycles is not None
                else None
            )
            if repeat is not None and start.cron:
                repeat["cron"] = start.cron
            store.insert_start_timer(
                session, definition_id, start.bpmn_id, start.name, start.timer_type, start.due_at, repeat, now
            )
            changed += 1
    return changed


def definitions_marker(ctx: Context) -> int:
    """Changes when something is deployed: the scheduler re-syncs start timers only then."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return store.last_definition_id(uow.session)
