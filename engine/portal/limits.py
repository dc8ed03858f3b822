"""Rate limits of the portal per client address, kept as rows so every web process and machine counts alike:
filings per hour (PHVA_PORTAL_MAX_FILINGS) and failed lookups per 15 minutes (PHVA_PORTAL_MAX_LOOKUP_FAILURES)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import PhvaError
from engine.store import portal as store

FILING = "radicacion"
FAILED_LOOKUP = "consulta_fallida"
WINDOWS = {FILING: timedelta(hours=1), FAILED_LOOKUP: timedelta(minutes=15)}
KEEP = timedelta(days=1)  # rows older than this are deleted as the address makes new ones


class TooManyRequests(PhvaError):
    http_status = 429


def source_of(address: str | None) -> str:
    return (address or "?").strip()[:64] or "?"


def refuse_if_over(ctx: Context, session: Session, source: str, kind: str) -> None:
    limit = ctx.settings.portal_max_filings if kind == FILING else ctx.settings.portal_max_lookup_failures
    since = ctx.clock.now() - WINDOWS[kind]
    if store.requests_since(session, source, kind, since) >= limit:
        if kind == FILING:
            raise TooManyRequests(
                "Desde esta conexión se radicaron muchas PQRSD en la última hora. Espere un rato y vuelva a "
                "intentarlo, o acérquese a la ventanilla de la entidad."
            )
        raise TooManyRequests(
            "Hubo demasiadas consultas sin resultado desde esta conexión. Espere 15 minutos y vuelva a "
            "intentarlo con el radicado y el código de su acuse de recibo."
        )


def count(ctx: Context, session: Session, source: str, kind: str, *, nonce: str | None = None) -> None:
    now = ctx.clock.now()
    store.record_request(session, source, kind, now, nonce=nonce, expired=now - KEEP)
