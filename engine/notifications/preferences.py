"""Each user's channel per event (app, email, both, none): read with the defaults, and changed in one transaction."""

from __future__ import annotations

from collections.abc import Mapping

from engine.context import Context
from engine.errors import BadInput
from engine.notifications import events
from engine.store import notifications as store
from engine.store.uow import UnitOfWork


def preferences(ctx: Context, username: str) -> dict[str, str]:
    """Every event a user may choose for, with their choice or the event's default."""
    with UnitOfWork(ctx.db, write=False) as uow:
        stored = store.preferences_of(uow.session, username)
    return {event: stored.get(event, events.DEFAULTS[event]) for event in events.LABELS}


def set_preferences(ctx: Context, username: str, channels: Mapping[str, str]) -> dict[str, str]:
    """Keep the user's choices (events not given keep theirs); a bad event or channel changes nothing."""
    for event, channel in channels.items():
        if event not in events.LABELS:
            raise BadInput(f"No existe el aviso «{event}».")
        if channel not in events.CHANNELS:
            raise BadInput(
                f"Canal no válido para «{events.label(event)}»: «{channel}»; use app, email, both o none."
            )
    with UnitOfWork(ctx.db) as uow:
        merged = {**store.preferences_of(uow.session, username), **channels}
        # Only choices that differ from the default are stored, so a changed default reaches everyone else.
        store.store_preferences(
            uow.session, username, {e: c for e, c in merged.items() if c != events.DEFAULTS[e]}
        )
        uow.commit()
    return preferences(ctx, username)
