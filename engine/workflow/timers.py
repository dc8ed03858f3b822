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
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.context import Context
from engine.errors import NotFound
from engine.runtime import timer_events
from engine.runtime.workflow import ProcessRun
from engine.store.audit import audit
from engine.store.instances import insert_instance, load_instance
from engine.store.tables import Incident, ProcessDefinition, ProcessInstance, Timer
from engine.store.uow import UnitOfWork
from engine.workflow.runs import load_run, save_run
from engine.workflow.start_timers import start_timer_row, sync_start_timers

log = logging.getLogger(__name__)
__all__ = [
    "FiringReport",
    "RetryPolicy",
    "fire_due_timers",
    "next_due",
    "sync_start_timers",
]

FINISHED = ("completed", "cancelled")
START_TIMER_REF = "timer:"  # an incident of a timer start event points at its timer row


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


@dataclass(frozen=True)
class _Due:
    id: int
    spiff_id: str | None
    bpmn_id: str
    name: str | None
    due_at: datetime


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
        due = uow.session.scalar(
            select(func.min(func.coalesce(Timer.retry_at, Timer.due_at))).where(
                Timer.status == "waiting", Timer.attempts < policy.max_attempts
            )
        )
    return _aware(due)


# ---- instance timers ------------------------------------------------------------------------
def _eligible(now: datetime, policy: RetryPolicy) -> list[Any]:
    # Strictly before now: SpiffWorkflow fires a timer only once its due time has passed.
    return [
        Timer.status == "waiting",
        Timer.due_at < now,
        Timer.attempts < policy.max_attempts,
        or_(Timer.retry_at.is_(None), Timer.retry_at <= now),
    ]


def _fire_next_instance(
    ctx: Context, worker: str, policy: RetryPolicy, report: FiringReport, skip: set[int]
) -> bool:
    """Claim the instance with the earliest due timer and fire it; False when nothing is due."""
    instance_id: int | None = None
    try:
        with UnitOfWork(ctx.db) as uow:
            now = ctx.clock.now()
            claim = (
                select(Timer.instance_id)
                .join(ProcessInstance, ProcessInstance.id == Timer.instance_id)
                .where(*_eligible(now, policy), ProcessInstance.status.not_in(FINISHED))
                .order_by(Timer.due_at, Timer.id)
                .limit(1)
            )
            if skip:
                claim = claim.where(Timer.instance_id.not_in(skip))
            if not ctx.db.is_sqlite:
                claim = claim.with_for_update(of=ProcessInstance, skip_locked=True)
            instance_id = uow.session.scalar(claim)
            if instance_id is None:
                return False
            skip.add(instance_id)  # once per batch: a timer that does not fire must not spin the loop
            fired = _fire_instance(ctx, uow.session, instance_id, worker, now, policy)
            uow.commit()
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


def _due_rows(session: Session, instance_id: int, now: datetime) -> list[_Due]:
    return [
        _Due(*row)
        for row in session.execute(
            select(Timer.id, Timer.spiff_id, Timer.bpmn_id, Timer.name, Timer.due_at)
            .where(Timer.instance_id == instance_id, Timer.status == "waiting", Timer.due_at < now)
            .order_by(Timer.due_at)
        )
    ]


def _fire_instance(
    ctx: Context, session: Session, instance_id: int, worker: str, now: datetime, policy: RetryPolicy
) -> list[_Due]:
    due = _due_rows(session, instance_id, now)  # fresh read under the lock: another scheduler may have fired
    ref = load_instance(session, instance_id)
    if not due or ref is None:
        return []
    run = load_run(ctx, session, ref)
    timer_events.coalesce_missed_cycles(run.workflow, now)
    incident = run.advance(ctx.clock, ctx.services)
    save_run(ctx, session, ref, run, incident=incident)
    fired_ids = set(
        session.scalars(select(Timer.id).where(Timer.id.in_([d.id for d in due]), Timer.status == "fired"))
    )
    fired = [d for d in due if d.id in fired_ids]
    for row in fired:
        due_text = row.due_at.isoformat()
        audit(
            session,
            ctx,
            instance_id=instance_id,
            action="timer_fired",
            actor=worker,
            summary=f"Se cumplió el temporizador '{row.name or row.bpmn_id}' (vencía {due_text})",
            after={"activity": row.bpmn_id, "due_at": due_text, "fired_at": now.isoformat()},
        )
    if len(fired) < len(due):  # left waiting though due: look again after a pause, not in a tight loop
        session.execute(
            update(Timer)
            .where(Timer.id.in_([d.id for d in due if d.id not in fired_ids]), Timer.status == "waiting")
            .values(retry_at=now + policy.delay(1))
        )
    return fired


def _record_failure(
    ctx: Context, instance_id: int, error: Exception, policy: RetryPolicy, worker: str
) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        now = ctx.clock.now()
        rows = session.execute(
            select(Timer.id, Timer.spiff_id, Timer.bpmn_id, Timer.name, Timer.attempts).where(
                *_eligible(now, policy), Timer.instance_id == instance_id
            )
        ).all()
        for timer_id, spiff_id, bpmn_id, name, attempts in rows:
            _count_attempt(ctx, session, timer_id, attempts + 1, message, policy, now)
            if attempts + 1 >= policy.max_attempts:
                session.add(
                    Incident(
                        instance_id=instance_id,
                        spiff_id=spiff_id,
                        bpmn_id=bpmn_id,
                        kind="timer",
                        created_at=now,
                        message=_incident_message(name or bpmn_id, attempts + 1, message),
                    )
                )
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
    ctx: Context,
    session: Session,
    timer_id: int,
    attempts: int,
    message: str,
    policy: RetryPolicy,
    now: datetime,
) -> None:
    retry_at = now + policy.delay(attempts) if attempts < policy.max_attempts else None
    session.execute(
        update(Timer)
        .where(Timer.id == timer_id)
        .values(attempts=attempts, last_error=message, retry_at=retry_at)
    )


def _incident_message(what: str, attempts: int, error: str) -> str:
    return f"El temporizador '{what}' falló {attempts} veces; último error: {error}"


# ---- timer start events ---------------------------------------------------------------------
def _fire_next_start(ctx: Context, worker: str, policy: RetryPolicy, report: FiringReport) -> bool:
    timer_id: int | None = None
    try:
        with UnitOfWork(ctx.db) as uow:
            now = ctx.clock.now()
            claim = (
                select(Timer)
                .where(*_eligible(now, policy), Timer.instance_id.is_(None))
                .order_by(Timer.due_at, Timer.id)
                .limit(1)
            )
            if not ctx.db.is_sqlite:
                claim = claim.with_for_update(skip_locked=True)
            row = uow.session.scalar(claim)
            if row is None:
                return False
            timer_id = row.id
            instance_id = _start_by_timer(ctx, uow.session, row, worker, now)
            uow.commit()
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


def _start_by_timer(ctx: Context, session: Session, row: Timer, worker: str, now: datetime) -> int:
    definition = session.get(ProcessDefinition, row.definition_id)
    if definition is None:
        raise NotFound(f"No existe la definición {row.definition_id}.")
    spec, subs = ctx.specs(definition.id, lambda: definition.spec_json)
    run = ProcessRun.start(spec, subs, ctx.script_engine)
    timer_events.trigger_start_event(run.workflow, row.bpmn_id, ctx.clock)
    ref = insert_instance(session, definition, business_key=None, actor=worker, now=now)
    instance_id = ref.id
    incident = run.advance(ctx.clock, ctx.services)
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
    row.status, row.fired_at = "fired", now
    if row.repeat:
        following = timer_events.next_cycle(
            row.due_at, int(row.repeat["cycles"]), float(row.repeat["seconds"]), now
        )
        if following is not None:
            due, left = following
            repeat = {"cycles": left, "seconds": row.repeat["seconds"]}
            session.add(
                start_timer_row(
                    int(row.definition_id or 0), row.bpmn_id, row.name, row.timer_type, due, repeat, now
                )
            )
    return instance_id


def _record_start_failure(ctx: Context, timer_id: int, error: Exception, policy: RetryPolicy) -> None:
    message = f"{type(error).__name__}: {error}"[:2000]
    with UnitOfWork(ctx.db) as uow:
        row = uow.session.get(Timer, timer_id)
        if row is None:
            return
        now, attempts = ctx.clock.now(), row.attempts + 1
        _count_attempt(ctx, uow.session, timer_id, attempts, message, policy, now)
        if attempts >= policy.max_attempts:
            uow.session.add(
                Incident(
                    instance_id=None,
                    spiff_id=f"{START_TIMER_REF}{timer_id}",  # no task to point at: the timer row itself
                    bpmn_id=row.bpmn_id,
                    kind="timer",
                    created_at=now,
                    message=_incident_message(row.name or row.bpmn_id, attempts, message),
                )
            )
        uow.commit()


def _aware(value: datetime | None) -> datetime | None:
    return utc(value) if value is not None else None
