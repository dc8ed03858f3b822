"""The timer scheduler: APScheduler wiring around `engine.services.timers` (no engine logic here).

One one-shot job runs a round (sync start timers after a deployment, fire everything due in batches)
and then schedules itself again at the earliest due time, or `poll_seconds` from now if that is sooner,
so timers written by other processes are seen within a poll and known ones fire on time.
On SQLite only one scheduler per database file is active (a file lock); the others stand by and take
over when it stops. On PostgreSQL every scheduler works; the service shares timers with SKIP LOCKED.
"""

from __future__ import annotations

import fcntl
import logging
import os
import signal
import socket
import threading
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import IO, Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from sqlalchemy.engine import make_url

from engine.context import Context
from engine.errors import PhvaError
from engine.legal.calendar import BusinessCalendar
from engine.notifications.rounds import notification_round
from engine.pqrsd import legal_data
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store.availability import unavailable
from engine.supervision import counters
from engine.workflow import ladders, start_timers, timers
from engine.workflow.timers import FiringReport, RetryPolicy

log = logging.getLogger(__name__)

JOB_ID = "phva-timers"
MIN_PAUSE = timedelta(milliseconds=200)  # when something is due but held by another scheduler
PAST_DUE = timedelta(milliseconds=1)
OUTAGE_RETRY = timedelta(
    milliseconds=500
)  # while the database is down: quiet retries, catch up within 1 s  # SpiffWorkflow fires a timer once its due time has passed


class TimerScheduler:
    def __init__(
        self,
        ctx: Context,
        *,
        worker: str | None = None,
        batch_size: int = 100,
        poll_seconds: float = 1.0,
        policy: RetryPolicy | None = None,
    ) -> None:
        self.ctx = ctx
        self.worker = worker or f"programador {socket.gethostname()}:{os.getpid()}"
        self.batch_size = batch_size
        self.poll = timedelta(seconds=poll_seconds)
        self.policy = policy or RetryPolicy()
        self.lock = SqliteLock.for_url(ctx.db.url) if ctx.db.is_sqlite else None
        self._stop = threading.Event()
        self._definitions = -1
        self._standing_by = False
        self._progress = False
        self._aps: BackgroundScheduler | None = None
        self._outage_since: datetime | None = None
        self._folded: datetime | None = None  # the hour up to which this scheduler last folded the counters

    # ---- one round ----------------------------------------------------------------------------
    def tick(self) -> datetime | None:
        """One round; returns when the next timer is due (None: nothing waiting, or standing by)."""
        if not self._active():
            return None
        report = self.catch_up()
        self._progress = bool(report.fired or report.failed)
        return timers.next_due(self.ctx, self.policy)

    def catch_up(self) -> FiringReport:
        """Sync start timers after a deployment, then fire everything due now, batch after batch."""
        marker = start_timers.definitions_marker(self.ctx)
        if marker != self._definitions:
            if start_timers.sync_start_timers(self.ctx):
                log.info("Temporizadores de inicio actualizados tras un despliegue.")
            self._definitions = marker
        total = FiringReport()
        while not self._stop.is_set():
            report = timers.fire_due_timers(
                self.ctx,
                worker=self.worker,
                limit=self.batch_size,
                policy=self.policy,
                should_stop=self._stop.is_set,
            )
            total.add(report)
            if report.instances + report.started + report.failed < self.batch_size:
                break
        ladders.run_round(self.ctx, self._calendar, worker=self.worker, limit=self.batch_size, policy=self.policy,
                          should_stop=self._stop.is_set)  # fmt: skip
        notification_round(self.ctx, closed=CLOSED_STATUSES)  # mail out, deadline notices, digest
        self._fold_counters()
        if total.fired or total.failed:
            log.info(
                "Ronda: %d temporizador(es) disparado(s) en %d proceso(s), %d inicio(s), %d fallo(s).",
                total.fired,
                total.instances,
                total.started,
                total.failed,
            )
        return total

    def _fold_counters(self) -> None:
        """Fold the dashboard's counters of the hours over, once an hour, so the first page after a quiet
        night or weekend does not fold them all itself (several schedulers: the first one does it). The first
        round also rebuilds them if PHVA_SEMAFORO_AMARILLO changed, so no page has to (minutes at 1M)."""
        now = self.ctx.clock.now()
        hour = counters.hour_of(now)
        if self._folded != hour:
            if self._folded is None:
                counters.ensure_state(self.ctx.db, self.ctx.settings.semaforo_amarillo, now)
            counters.compact(self.ctx.db, hour)
            self._folded = hour

    def _calendar(self, years: Iterable[int]) -> BusinessCalendar:
        return legal_data.snapshot(self.ctx, years).calendar  # escalation ladders count business days

    def _active(self) -> bool:
        if self.lock is None or self.lock.acquire():
            if self._standing_by:
                log.warning("El otro programador se detuvo: este toma el relevo.")
            self._standing_by = False
            return True
        if not self._standing_by:
            log.warning(
                "Otro programador ya atiende la base de datos SQLite (%s); este queda en espera "
                "y tomará el relevo si aquel se detiene.",
                self.lock.path,
            )
        self._standing_by = True
        return False

    def run_once(self) -> FiringReport | None:
        """Catch up with everything due now and return (`phva scheduler --once`); None when standing by."""
        return self.catch_up() if self._active() else None

    # ---- APScheduler --------------------------------------------------------------------------
    def start(self) -> None:
        """Run in background threads (embedded in `phva serve`, or under `run_forever`)."""
        self._aps = BackgroundScheduler(
            timezone=UTC,
            executors={"default": ThreadPoolExecutor(1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
        )
        self._aps.start()
        self._schedule(datetime.now(UTC))  # catch-up at once
        log.info("Programador de temporizadores en marcha (%s).", self.worker)

    def _round(self) -> None:
        try:
            if self._outage_since is not None:  # a firing cut by the outage did not run: its claim goes back
                timers.release_claims_of(self.ctx, self.worker)
            due = self.tick()
            if self._outage_since is not None:
                lasted = (datetime.now(UTC) - self._outage_since).total_seconds()
                log.info("La base de datos volvió tras %.1f s; el programador se pone al día.", lasted)
                self._outage_since = None
        except PhvaError as error:
            log.error("Falló una ronda del programador: %s", error.message)
            due = None
        except Exception as error:  # the scheduler must outlive a bad round
            found = unavailable(error)
            if found is None:
                log.exception("Falló una ronda del programador; se reintentará.")
                due = None
            else:  # the database is down or restarting: one line per outage, quiet retries until it is back
                if self._outage_since is None:
                    self._outage_since = datetime.now(UTC)
                    log.warning(
                        "La base de datos no responde (%s); el programador reintenta cada %.1f s hasta que vuelva.",
                        found.reason,
                        OUTAGE_RETRY.total_seconds(),
                    )
                self._schedule(datetime.now(UTC) + OUTAGE_RETRY)
                return
        self._wake_at(due)

    def _wake_at(self, due: datetime | None) -> None:
        now = datetime.now(UTC)
        wake = now + self.poll
        if due is not None and due > now:
            wake = min(wake, due + PAST_DUE)
        elif due is not None:  # due again already: go on at once if the round got somewhere, else it is held
            wake = now if self._progress else now + MIN_PAUSE
        self._schedule(wake)

    def _schedule(self, when: datetime) -> None:
        # A one-shot job set again after every round: rounds never overlap, however long one takes.
        if self._aps is not None and not self._stop.is_set():
            self._aps.add_job(self._round, "date", run_date=when, id=JOB_ID, replace_existing=True)

    def shutdown(self) -> None:
        self._stop.set()
        if self._aps is not None and self._aps.running:
            self._aps.shutdown(wait=True)  # lets the firing in progress commit
        if self.lock is not None:
            self.lock.release()
        log.info("Programador detenido.")

    def run_forever(self) -> None:
        """`phva scheduler`: run until SIGTERM or Ctrl+C, then stop cleanly."""
        timers.next_due(self.ctx, self.policy)  # an uninitialized database fails here, with its message
        done = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: done.set())
        self.start()
        try:
            done.wait()
        finally:
            self.shutdown()


class SqliteLock:
    """An exclusive lock on a file beside the SQLite database; the OS drops it if the process dies."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[Any] | None = None

    @classmethod
    def for_url(cls, url: str) -> SqliteLock | None:
        database = make_url(url).database
        if not database or database == ":memory:":
            return None
        return cls(Path(database).resolve().with_name(Path(database).name + ".scheduler.lock"))

    def acquire(self) -> bool:
        if self._file is not None:
            return True
        handle = self.path.open("a+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.truncate(0)
        handle.write(f"{socket.gethostname()}:{os.getpid()}\n")
        handle.flush()
        self._file = handle
        return True

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None
