"""Firing due timers: one transaction per instance, shared safely by several schedulers.

Each firing first commits a pre-claim of its due timers (an attempt counted, a lease taken), then fires them
in a transaction of its own. On PostgreSQL the pre-claim takes its instance with FOR UPDATE SKIP LOCKED, so
schedulers never wait for or repeat each other's work; on SQLite writers are serialized (BEGIN IMMEDIATE) and
the scheduler module keeps a single active scheduler per database file. A scheduler killed mid-firing loses
its transaction, but the attempt stays counted: once the lease ends another round fires the timer again, and
a timer whose firing never finishes (it kills the process each time) ends as an incident after
`max_attempts` instead of looping forever. The timer row, the instance state and the audit event change in
one commit, and the instance's version check refuses a second firing, so a timer fires exactly once.
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
from engine.store.timers import ClaimedInstance, DueStart, DueTimer
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
    lease_seconds: float = 60.0  # a claimed firing not finished by then was abandoned (its process died)

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


def release_claims_of(ctx: Context, worker: str) -> int:
    """Hand back the claims `worker` holds while it fires nothing (its firing was cut by an outage): their
    attempt did not run and they are due again at once, not after the lease. Returns how many."""
    with UnitOfWork(ctx.db) as uow:
        released = store.release_claims_of(uow.session, worker)
        uow.commit()
    return released


def _lease(ctx: Context, worker: str, policy: RetryPolicy) -> store.Lease:
    now = ctx.clock.now()
    return store.Lease(worker, now, now + timedelta(seconds=policy.lease_seconds), policy.max_attempts)


# ---- instance timers ------------------------------------------------------------------------
def _fire_next_instance(
    ctx: Context, worker: str, policy: RetryPolicy, report: FiringReport, skip: set[int]
) -> bool:
    """Pre-claim the instance with the earliest due timer, then fire it; False when nothing is due."""
    lease = _lease(ctx, worker, policy)
    with UnitOfWork(ctx.db) as uow:  # committed first: a firing that never returns has still counted
        claim = store.pre_claim_next_instance(uow.session, lease, skip, lock=not ctx.db.is_sqlite)
        if claim is None:
            return False
        skip.add(claim.instance_id)  # once per batch: a timer that does not fire must not spin the loop
        abandoned = [t for t in claim.timers if t.attempts > policy.max_attempts]
        if abandoned:
            _give_up_abandoned(ctx, uow.session, claim, abandoned, policy, worker)
        uow.commit()
    if abandoned:
        report.failed += 1
        return True
    instance_id, now = claim.instance_id, lease.now
    try:
        with UnitOfWork(ctx.db) as uow:
            fired = _fire_instance(ctx, uow.session, claim, worker, now, policy)
            uow.commit()
    except (OperationalError, InterfaceError):
        raise  # the database went away: the scheduler hands this claim back once it returns
    except Exception as error:  # a failed firing is retried with backoff, then becomes an incident
        log.warning("Falló el disparo de temporizadores del proceso %s: %s", instance_id, error)
        report.failed += 1
        _record_failure(ctx, claim, error, policy, worker)
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
    ctx: Context, session: Session, claim: ClaimedInstance, worker: str, now: datetime, policy: RetryPolicy
) -> list[DueTimer]:
    # Locked on PostgreSQL: a completion of the same instance waits for the firing instead of conflicting.
    ref = load_instance(session, claim.instance_id, lock=not ctx.db.is_sqlite)
    due = claim.timers
    if ref is not None:
        run = load_run(ctx, session, ref)
        timer_events.coalesce_missed_cycles(run.workflow, now)
        incident = advance(ctx, session, ref, run)
        save_run(ctx, session, ref, run, incident=incident, actor=worker)  # audits each timer that fired
    # One left waiting though due: its attempt is given back and it is looked at after a pause.
    fired_ids = store.release_claims(session, [d.id for d in due], now + policy.delay(1))
    return [d for d in due if d.id in fired_ids]


def _give_up_abandoned(
    ctx: Context,
    session: Session,
    claim: ClaimedInstance,
    abandoned: list[DueTimer],
    policy: RetryPolicy,
    worker: str,
) -> None:
    """Timers whose last `max_attempts` firings never finished become incidents instead of firing again."""
    now = ctx.clock.now()
    store.release_claims(session, [t.id for t in claim.timers if t not in abandoned], now + policy.delay(1))
    texts = []
    for timer in abandoned:
        text = _abandoned_message(timer.name or timer.bpmn_id, policy.max_attempts)
        store.count_failed_attempt(session, timer.id, policy.max_attempts, text, None)
        open_timer_incident(session, instance_id=claim.instance_id, spiff_id=timer.spiff_id,
                            bpmn_id=timer.bpmn_id, message=text, now=now)  # fmt: skip
        texts.append(text)
        log.warning("Proceso %s: %s", claim.instance_id, text)
    alerts.notify_incidents(session, ctx, claim.instance_id, texts)
    audit(
        session,
        ctx,
        instance_id=claim.instance_id,
        action="timer_failed",
        actor=worker,
        summary=texts[0],
    )


def _record_failure(
    ctx: Context, claim: ClaimedInstance, error: Exception, policy: RetryPolicy, worker: str
) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    instance_id = claim.instance_id
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        now = ctx.clock.now()
        for timer in claim.timers:  # their attempt was counted by the pre-claim
            attempts = timer.attempts
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


def _abandoned_message(what: str, attempts: int) -> str:
    return (
        f"El temporizador '{what}' no terminó de dispararse en {attempts} intentos: el proceso que lo "
        "disparaba se detuvo cada vez sin terminar (por ejemplo, murió o se apagó el servidor)."
    )


# ---- timer start events ---------------------------------------------------------------------
def _fire_next_start(ctx: Context, worker: str, policy: RetryPolicy, report: FiringReport) -> bool:
    lease = _lease(ctx, worker, policy)
    with UnitOfWork(ctx.db) as uow:  # the pre-claim, as for instance timers
        row = store.pre_claim_next_start(uow.session, lease, lock=not ctx.db.is_sqlite)
        if row is None:
            return False
        if row.attempts > policy.max_attempts:
            text = _abandoned_message(row.name or row.bpmn_id, policy.max_attempts)
            store.count_failed_attempt(uow.session, row.id, policy.max_attempts, text, None)
            open_start_timer_incident(uow.session, timer_id=row.id, bpmn_id=row.bpmn_id, message=text,
                                      now=lease.now)  # fmt: skip
            log.warning("%s", text)
        uow.commit()
    if row.attempts > policy.max_attempts:
        report.failed += 1
        return True
    now = lease.now
    try:
        with UnitOfWork(ctx.db) as uow:
            instance_id = _start_by_timer(ctx, uow.session, row, worker, now)
            uow.commit()
    except (OperationalError, InterfaceError):
        raise  # as for instance timers: the scheduler hands the claim back once the database returns
    except Exception as error:
        log.warning("Falló el inicio por temporizador %s: %s", row.id, error)
        report.failed += 1
        _record_start_failure(ctx, row, error, policy)
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


def _record_start_failure(ctx: Context, row: DueStart, error: Exception, policy: RetryPolicy) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    with UnitOfWork(ctx.db) as uow:
        now, attempts = ctx.clock.now(), row.attempts  # counted by the pre-claim
        _count_attempt(uow.session, row.id, attempts, message, policy, now)
        if attempts >= policy.max_attempts:
            open_start_timer_incident(
                uow.session,
                timer_id=row.id,
                bpmn_id=row.bpmn_id,
                message=_incident_message(row.name or row.bpmn_id, attempts, message),
                now=now,
            )
        uow.commit()
