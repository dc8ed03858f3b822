"""Firing due timers: one transaction per instance, shared safely by several schedulers.

On PostgreSQL each firing takes its instance with `SELECT … FOR UPDATE SKIP LOCKED`, so schedulers never
wait for or repeat each other's work; a scheduler killed mid-firing loses its transaction and the lock
with it, and another one fires the timer. On SQLite writers are serialized (BEGIN IMMEDIATE) and the
scheduler module keeps a single active scheduler per database file. Either way the timer row, the
instance state and the audit event change in one commit, so a timer fires exactly once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import NotFound
from engine.notifications import alerts
from engine.runtime import timer_events
from engine.runtime.workflow import ProcessRun
from engine.store import definitions
from engine.store import timers as store
from engine.store.audit import audit
from engine.store.incidents import open_start_timer_incident, open_timer_incident
from engine.store.instances import insert_instance, load_instance
from engine.store.timers import DueStart, DueTimer
from engine.store.uow import UnitOfWork
from engine.workflow.runs import advance, load_run, save_run
from engine.workflow.start_timers import sync_start_timers

log = logging.getLogger(__name__)
__all__ = [
    "FiringReport",
    "RetryPolicy",
    "fire_due_timers",
    "next_due",
    "sync_start_timers",
]


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 3
    backoff_seconds: float = 5.0

    def delay(self, attempts: int) -> timedelta:
        return timedelta(seconds=self.backoff_seconds * 2 ** max(0, attempts - 1))


@dataclass
class FiringReport:
    fired: int = 0  # timers that fired
    instances: int = 0  # instances advanced
    started: int = 0  # instances started by timer start events
    failed: int = 0  # firings that raised (retried later or turned into incidents)
    lateness: list[float] = field(default_factory=list)  # seconds between due and fired, per timer

    def add(self, other: FiringReport) -> None:
        self.fired += other.fired
        self.instances += other.instances
        self.started += other.started
        self.failed += other.failed
        self.lateness += other.lateness


def fire_due_timers(
    ctx: Context,
    *,
    worker: str = "phva",
    limit: int = 100,
    policy: RetryPolicy | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> FiringReport:
    """Fire up to `limit` instances' due timers, earliest first, one commit per instance."""
    policy = policy or RetryPolicy()
    report = FiringReport()
    skip: set[int] = set()

    def room() -> bool:
        return report.instances + report.started + report.failed < limit and not should_stop()

    while room() and _fire_next_start(ctx, worker, policy, report):
        pass  # start timers are few: asked once per batch, not once per firing
    while room() and _fire_next_instance(ctx, worker, policy, report, skip):
        pass
    return report


def next_due(ctx: Context, policy: RetryPolicy | None = None) -> datetime | None:
    """When the next firing is due (a retry counts from its backoff), for the scheduler to sleep until."""
    policy = policy or RetryPolicy()
    with UnitOfWork(ctx.db, write=False) as uow:
        return store.next_due_at(uow.session, policy.max_attempts)


# ---- instance timers ------------------------------------------------------------------------
def _fire_next_instance(
    ctx: Context, worker: str, policy: RetryPolicy, report: FiringReport, skip: set[int]
) -> bool:
    """Claim the instance with the earliest due timer and fire it; False when nothing is due."""
    instance_id: int | None = None
    try:
        with UnitOfWork(ctx.db) as uow:
            now = ctx.clock.now()
            instance_id = store.claim_next_due_instance(
                uow.session, now, policy.max_attempts, skip, lock=not ctx.db.is_sqlite
            )
            if instance_id is None:
                return False
            skip.add(instance_id)  # once per batch: a timer that does not fire must not spin the loop
            fired = _fire_instance(ctx, uow.session, instance_id, worker, now, policy)
            uow.commit()
    except (OperationalError, InterfaceError):
        raise  # the database went away: not the timer's fault, so no attempt counts (the scheduler retries)
    except Exception as error:  # a failed firing is retried with backoff, then becomes an incident
        if instance_id is None:
            raise
        log.warning("Falló el disparo de temporizadores del proceso %s: %s", instance_id, error)
        report.failed += 1
        _record_failure(ctx, instance_id, error, policy, worker)
        return True
    report.instances += 1
    report.fired += len(fired)
    for row in fired:
        late = (now - row.due_at).total_seconds()
        report.lateness.append(late)
        log.info(
            "Proceso %s: se cumplió el temporizador %s (vencía %s; %.0f ms después)",
            instance_id,
            row.bpmn_id,
            row.due_at.isoformat(),
            late * 1000,
        )
    return True


def _fire_instance(
    ctx: Context, session: Session, instance_id: int, worker: str, now: datetime, policy: RetryPolicy
) -> list[DueTimer]:
    due = store.due_timers(
        session, instance_id, now
    )  # fresh read under the lock: another scheduler may have fired
    ref = load_instance(session, instance_id)
    if not due or ref is None:
        return []
    run = load_run(ctx, session, ref)
    timer_events.coalesce_missed_cycles(run.workflow, now)
    incident = advance(ctx, session, ref, run)
    save_run(ctx, session, ref, run, incident=incident, actor=worker)  # audits each timer that fired
    fired_ids = store.fired_timer_ids(session, [d.id for d in due])
    fired = [d for d in due if d.id in fired_ids]
    if len(fired) < len(due):  # left waiting though due: look again after a pause, not in a tight loop
        store.postpone_timers(session, [d.id for d in due if d.id not in fired_ids], now + policy.delay(1))
    return fired


def _record_failure(
    ctx: Context, instance_id: int, error: Exception, policy: RetryPolicy, worker: str
) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        now = ctx.clock.now()
        for timer in store.failing_timers(session, instance_id, now, policy.max_attempts):
            attempts = timer.attempts + 1
            _count_attempt(session, timer.id, attempts, message, policy, now)
            if attempts >= policy.max_attempts:
                text = _incident_message(timer.name or timer.bpmn_id, attempts, message)
                open_timer_incident(session, instance_id=instance_id, spiff_id=timer.spiff_id,
                                    bpmn_id=timer.bpmn_id, message=text, now=now)  # fmt: skip
                alerts.notify_incidents(session, ctx, instance_id, [text])  # like every other incident
        audit(
            session,
            ctx,
            instance_id=instance_id,
            action="timer_failed",
            actor=worker,
            summary=f"Falló el disparo de un temporizador: {message}",
        )
        uow.commit()


def _count_attempt(
    session: Session, timer_id: int, attempts: int, message: str, policy: RetryPolicy, now: datetime
) -> None:
    retry_at = now + policy.delay(attempts) if attempts < policy.max_attempts else None
    store.count_failed_attempt(session, timer_id, attempts, message, retry_at)


def _incident_message(what: str, attempts: int, error: str) -> str:
    return f"El temporizador '{what}' falló {attempts} veces; último error: {error}"


# ---- timer start events ---------------------------------------------------------------------
def _fire_next_start(ctx: Context, worker: str, policy: RetryPolicy, report: FiringReport) -> bool:
    timer_id: int | None = None
    try:
        with UnitOfWork(ctx.db) as uow:
            now = ctx.clock.now()
            row = store.claim_next_due_start(uow.session, now, policy.max_attempts, lock=not ctx.db.is_sqlite)
            if row is None:
                return False
            timer_id = row.id
            instance_id = _start_by_timer(ctx, uow.session, row, worker, now)
            uow.commit()
    except (OperationalError, InterfaceError):
        raise  # as for instance timers: an outage counts no attempt
    except Exception as error:
        if timer_id is None:
            raise
        log.warning("Falló el inicio por temporizador %s: %s", timer_id, error)
        report.failed += 1
        _record_start_failure(ctx, timer_id, error, policy)
        return True
    report.started += 1
    report.fired += 1
    report.lateness.append((now - row.due_at).total_seconds())
    log.info(
        "Inició el proceso %s por el temporizador %s (vencía %s)",
        instance_id,
        row.bpmn_id,
        row.due_at.isoformat(),
    )
    return True


def _start_by_timer(ctx: Context, session: Session, row: DueStart, worker: str, now: datetime) -> int:
    definition = store.definition_header(session, row.definition_id)
    if definition is None:
        raise NotFound(f"No existe la definición {row.definition_id}.")
    spec, subs = ctx.specs(definition.id, lambda: definitions.spec_json(session, definition.id))
    run = ProcessRun.start(spec, subs, ctx.script_engine)
    timer_events.trigger_start_event(run.workflow, row.bpmn_id, ctx.clock)
    ref = insert_instance(session, definition, business_key=None, actor=worker, now=now)
    instance_id = ref.id
    incident = advance(ctx, session, ref, run)
    save_run(ctx, session, ref, run, incident=incident)
    audit(
        session,
        ctx,
        instance_id=instance_id,
        action="instance_started",
        actor=worker,
        summary=f"Inició '{definition.name}' v{definition.version} por el temporizador "
        f"'{row.name or row.bpmn_id}' (vencía {row.due_at.isoformat()})",
    )
    store.mark_start_fired(session, row.id, now)
    if row.repeat:
        following = timer_events.next_cycle(
            row.due_at, int(row.repeat["cycles"]), float(row.repeat["seconds"]), now, row.repeat.get("cron")
        )
        if following is not None:
            due, left = following
            repeat = {**row.repeat, "cycles": left}
            store.insert_start_timer(
                session, int(row.definition_id or 0), row.bpmn_id, row.name, row.timer_type, due, repeat, now
            )
    return instance_id


def _record_start_failure(ctx: Context, timer_id: int, error: Exception, policy: RetryPolicy) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    with UnitOfWork(ctx.db) as uow:
        row = store.timer_attempts(uow.session, timer_id)
        if row is None:
            return
        now, attempts = ctx.clock.now(), row.attempts + 1
        _count_attempt(uow.session, timer_id, attempts, message, policy, now)
        if attempts >= policy.max_attempts:
            open_start_timer_incident(
                uow.session,
                timer_id=timer_id,
                bpmn_id=row.bpmn_id,
                message=_incident_message(row.name or row.bpmn_id, attempts, message),
                now=now,
            )
        uow.commit()
