"""The notification steps of a scheduler round: send due mail, tell cases' deadlines, send the digest.

Each step guards itself: a failing one is logged and tried next round, and never stops the timers.
Steps over the whole entity are claimed through a shared mark, so with several schedulers one does each.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import InterfaceError, OperationalError

from engine.context import Context
from engine.errors import PhvaError
from engine.notifications import alerts, digest, outbox
from engine.store import notifications as store
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
CASE_SCAN_EVERY = timedelta(seconds=60)


def notification_round(ctx: Context, *, closed: Collection[str]) -> None:
    """`closed`: the case statuses that no longer run a term (engine.pqrsd.radicacion.CLOSED_STATUSES)."""
    for name, step in (
        ("el envío de correo", lambda: outbox.send_due(ctx)),
        ("los avisos de vencimiento", lambda: scan_cases(ctx, closed)),
        ("el resumen diario", lambda: run_digest(ctx)),
    ):
        try:
            step()
        except (OperationalError, InterfaceError):
            raise  # the database is down: the scheduler warns once for the outage and retries the round
        except PhvaError as error:
            log.error("Falló %s: %s", name, error.message)
        except Exception:  # a bad step waits for the next round; timers go on
            log.exception("Falló %s; se reintentará en la próxima ronda.", name)


def scan_cases(ctx: Context, closed: Collection[str], *, every: timedelta = CASE_SCAN_EVERY) -> int | None:
    """Cases that crossed their alert or due moment since the last scan; None when not yet time."""
    now = ctx.clock.now()
    since = _mark(ctx, alerts.CASES_MARK)  # read outside a write transaction: most rounds stop here
    if since is not None and now - since < every:
        return None
    with UnitOfWork(ctx.db) as uow:
        if not store.advance_mark(uow.session, alerts.CASES_MARK, now, expected=since):
            return None  # another scheduler scanned meanwhile
        count = alerts.notify_case_deadlines(uow.session, ctx, since=since, closed=closed)
        uow.commit()
    return count


def run_digest(ctx: Context) -> int | None:
    """Today's digests, once per day for the whole entity; None when not due or already sent."""
    today = digest.digest_day(ctx, ctx.clock.now())
    if today is None:
        return None
    day_start = datetime.combine(today, datetime.min.time(), tzinfo=UTC)
    done = _mark(ctx, digest.DIGEST_MARK)
    if done is not None and done >= day_start:
        return None
    with UnitOfWork(ctx.db) as uow:
        if not store.advance_mark(uow.session, digest.DIGEST_MARK, day_start, expected=done):
            return None
        # The day is claimed even when it is no business day, so the calendar is asked once a day.
        count = digest.send_digests(uow.session, ctx, today) if digest.is_business_day(ctx, today) else None
        uow.commit()
    return count


def _mark(ctx: Context, name: str) -> datetime | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        return store.mark_of(uow.session, name)
