"""Whether a database error means "the database is unavailable" — down, restarting, unreachable, its file
gone, or too busy to answer — rather than a fault of the request, and each process's record of an outage:
one warning when it begins, one line when a statement goes through again.

An outage (connection refused or dropped, the server starting up or shutting down, PgBouncer unable to reach
it, the SQLite file unopenable or its disk failing) is told to wait `OUTAGE_RETRY_AFTER` seconds. "Busy"
(SQLite still locked after its 15 s busy timeout, PostgreSQL out of connections, the pool exhausted) is
transient contention, not an outage: a shorter wait, and at most one warning a minute. Integrity, data and
programming errors, a cancelled statement or a serialization failure are none of these: they stay as they are.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import DBAPIError
from sqlalchemy.exc import TimeoutError as PoolTimeout

log = logging.getLogger(__name__)

OUTAGE_RETRY_AFTER = (
    5  # seconds: a PostgreSQL restart or failover takes a few; the scheduler retries at 0.5 s
)
BUSY_RETRY_AFTER = 2  # seconds: a lock or a full pool clears once the request ahead of it ends
BUSY_LOG_EVERY = 60.0  # seconds between two "busy" warnings of one process

# PostgreSQL SQLSTATEs. Class 08 is every connection exception, PgBouncer's own errors included (08P01).
_OUTAGE_STATES = {"57P01", "57P02", "57P03"}  # admin shutdown, crash shutdown, starting up / shutting down
# too many connections, disk full, out of memory; a lock waited on past the operator's lock_timeout (as SQLite's
# busy timeout: a dashboard rebuild holding its tables, a long migration)
_BUSY_STATES = {"53300", "53100", "53200", "55P03"}
# psycopg's client-side failures carry no SQLSTATE: known by their message.
_OUTAGE_TEXT = (
    "connection refused",
    "connection failed",
    "could not connect",
    "server closed the connection",
    "connection to server",
    "consuming input failed",
    "sending query failed",
    "the connection is lost",
    "the connection is closed",
    "connection timeout expired",
    "could not receive data",
    "could not send data",
    "ssl syscall error",
    "terminating connection",
    "the database system is",
    "pgbouncer",
    "no route to host",
    "could not translate host name",
)
# SQLite primary result codes (sqlite3.Error.sqlite_errorcode & 0xFF).
_SQLITE_OUTAGE = {14: "unable to open database file", 10: "disk i/o error", 13: "database or disk is full",
                  8: "readonly database"}  # fmt: skip
_SQLITE_BUSY = {5: "database is locked", 6: "database table is locked"}


@dataclass(frozen=True)
class Unavailable:
    reason: str  # the driver's first line, for the log
    retry_after: int  # seconds
    outage: bool  # False: busy, a transient contention


def unavailable(error: BaseException) -> Unavailable | None:
    """What `error` says about the database, following SQLAlchemy's wrapper to the driver's error and any
    explicit `raise … from`; None when it is not about the database being unavailable."""
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        found = _classify(current)
        if found is not None:
            return found
        orig = getattr(current, "orig", None) if isinstance(current, DBAPIError) else None
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return None


def _classify(error: BaseException) -> Unavailable | None:
    text = str(error).strip().splitlines()[0][:200] if str(error).strip() else type(error).__name__
    lowered = text.lower()
    if isinstance(error, PoolTimeout):
        return Unavailable(text, BUSY_RETRY_AFTER, outage=False)
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return Unavailable(_first_line(error.orig) or text, OUTAGE_RETRY_AFTER, outage=True)
        return None  # the driver's error decides (the loop follows .orig)
    module = type(error).__module__
    if module.startswith("psycopg"):
        state = getattr(error, "sqlstate", None)
        if state is not None:
            if state.startswith("08") or state in _OUTAGE_STATES:
                return Unavailable(text, OUTAGE_RETRY_AFTER, outage=True)
            if state in _BUSY_STATES:
                return Unavailable(text, BUSY_RETRY_AFTER, outage=False)
            return None
        # ConnectionTimeout is an OperationalError too; PipelineAborted (a failed statement) says none of these
        operational = any(c.__name__ == "OperationalError" for c in type(error).__mro__)
        if operational and any(t in lowered for t in _OUTAGE_TEXT):
            return Unavailable(text, OUTAGE_RETRY_AFTER, outage=True)
        return None
    if module == "sqlite3" and type(error).__name__ == "OperationalError":
        code = getattr(error, "sqlite_errorcode", None)
        primary = code & 0xFF if isinstance(code, int) else None
        if primary in _SQLITE_OUTAGE or any(t in lowered for t in _SQLITE_OUTAGE.values()):
            return Unavailable(text, OUTAGE_RETRY_AFTER, outage=True)
        if primary in _SQLITE_BUSY or any(t in lowered for t in _SQLITE_BUSY.values()):
            return Unavailable(text, BUSY_RETRY_AFTER, outage=False)
    return None


def _first_line(error: object) -> str:
    text = str(error or "").strip()
    return text.splitlines()[0][:200] if text else ""


class Availability:
    """One process's view of its database: `failed` when a request met an unavailable database (it logs the
    outage's first failure as one WARNING), `answered` after every statement that went through (the first
    one after an outage logs one INFO line). Busy answers log at most one WARNING per `BUSY_LOG_EVERY`."""

    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._now = monotonic
        self._lock = threading.Lock()
        self._down_since: float | None = None
        self._refused = 0
        self._busy_logged_at: float | None = None
        self._busy_since_log = 0

    @property
    def down(self) -> bool:
        return self._down_since is not None

    def failed(self, error: BaseException) -> Unavailable | None:
        found = unavailable(error)
        if found is None:
            return None
        now = self._now()
        with self._lock:
            if found.outage:
                self._refused += 1
                began = self._down_since is None
                if began:
                    self._down_since = now
            else:
                self._busy_since_log += 1
                busy = self._busy_logged_at is None or now - self._busy_logged_at >= BUSY_LOG_EVERY
                if busy:
                    self._busy_logged_at, count, self._busy_since_log = now, self._busy_since_log, 0
        if found.outage and began:
            log.warning(
                "La base de datos no está disponible (%s): se responde 503 con Retry-After %d s "
                "hasta que vuelva.",
                found.reason,
                found.retry_after,
            )
        elif not found.outage and busy:
            log.warning(
                "La base de datos está ocupada (%s): %d solicitud(es) respondida(s) 503 con Retry-After %d s.",
                found.reason,
                count,
                found.retry_after,
            )
        return found

    def answered(self, *_event: Any) -> None:
        if self._down_since is None:  # the usual case: one attribute read per statement, no lock
            return
        with self._lock:
            if self._down_since is None:
                return
            lasted, refused = self._now() - self._down_since, self._refused
            self._down_since, self._refused = None, 0
        log.info(
            "Base de datos disponible de nuevo, %.1f s después de la primera solicitud rechazada; "
            "%d solicitud(es) se respondieron 503 mientras tanto.",
            lasted,
            refused,
        )
