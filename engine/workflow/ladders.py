"""Escalation ladders in the scheduler: steps armed when their task became ready (`ladder_arming`) get their
moments on the business-day calendar, then fire exactly once; a step whose task ended is cancelled.

Each scheduler round computes the moments of new steps in batches, then fires the due ones, one transaction
per step: the claim (`FOR UPDATE SKIP LOCKED` on PostgreSQL), the effect, the step marked fired and its
audit event commit together, so several schedulers never repeat a step. A failing step is retried with
backoff and ends as an incident; retrying that incident arms the step again. A step whose task's due date
moved since its moment was computed is computed again before it fires.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import PhvaError
from engine.legal.calendar import BusinessCalendar
from engine.legal.semaforo import threshold_moment
from engine.modeling.ladder import When, parse_when
from engine.store import ladders as store
from engine.store.audit import audit
from engine.store.ladders import DueStep
from engine.store.uow import UnitOfWork
from engine.workflow import ladder_effects
from engine.workflow.timers import RetryPolicy

log = logging.getLogger(__name__)

CalendarFor = Callable[[Iterable[int]], BusinessCalendar]  # the business-day calendar covering some years
ACTION = "escalamiento"
SCHEDULE_BATCH = 500


# ---- moments on the business-day calendar ------------------------------------------------------
def step_moment(
    calendar: BusinessCalendar, when: When, created_at: datetime, due_at: datetime | None
) -> datetime | None:
    """When a step is due (UTC); None when it is measured against a due date the task does not have.

    A share below 100% is the start of the business day on which that share of the term is used (the day the
    semáforo changes); a term shorter than a business day is shared by the clock. `±Nd` keeps the due
    moment's time of day; `Nd` from creation keeps the creation's.
    """
    tz = calendar.tz
    if when.share is None:
        return _days_after(calendar, created_at, when.days)
    if due_at is None:
        return None
    if when.share == 1:
        return _days_after(calendar, due_at, when.days) if when.days else due_at
    start, due_day = created_at.astimezone(tz).date(), due_at.astimezone(tz).date()
    if calendar.business_days_between(start, due_day) < 1:
        return created_at + (due_at - created_at) * float(when.share)
    return threshold_moment(calendar, start, due_day, float(when.share)).astimezone(UTC)


def _days_after(calendar: BusinessCalendar, moment: datetime, days: int) -> datetime:
    local = moment.astimezone(calendar.tz)
    day = calendar.add_business_days(local.date(), days).end
    return datetime.combine(day, local.timetz()).astimezone(UTC)


def _years(*moments: datetime | None) -> range:
    years = [m.year for m in moments if m is not None]
    return range(min(years) - 1, max(years) + 3)  # +2: 365 business days fit in two years


# ---- the scheduler's round -----------------------------------------------------------------------
@dataclass
class LadderReport:
    scheduled: int = 0  # steps given their moment
    fired: int = 0
    cancelled: int = 0  # their task had ended
    failed: int = 0  # firings that raised (retried later, or now an incident)
    rearmed: int = 0  # failed steps whose incident was retried
    lateness: list[float] = field(default_factory=list)  # seconds between due and fired, per step

    @property
    def progressed(self) -> bool:
        return bool(self.scheduled or self.fired or self.cancelled or self.failed or self.rearmed)


def run_round(
    ctx: Context,
    calendar_for: CalendarFor,
    *,
    worker: str = "phva",
    limit: int = 100,
    policy: RetryPolicy | None = None,
    should_stop: Callable[[], bool] = lambda: False,
) -> LadderReport:
    """Arm again what an incident retry released, give new steps their moments, fire what is due (≤ limit)."""
    policy = policy or RetryPolicy()
    report = LadderReport()
    with UnitOfWork(ctx.db, write=False) as uow:
        work = store.work_ahead(uow.session, ctx.clock.now())
    if not work.any:
        return report  # most rounds: one read, no write transaction
    if work.rearm:
        with UnitOfWork(ctx.db) as uow:
            report.rearmed = store.rearm_resolved(uow.session)
            uow.commit()
    skip: set[int] = set()
    while not should_stop():
        progressed = _schedule_pending(ctx, calendar_for, report) > 0
        while report.fired + report.failed < limit and not should_stop():
            if not _fire_next(ctx, worker, policy, report, skip):
                break
            progressed = True
        if not progressed or report.fired + report.failed >= limit:
            break
    if report.fired or report.failed:
        log.info("Escalamientos: %d paso(s) disparado(s), %d fallo(s).", report.fired, report.failed)
    return report


def _schedule_pending(ctx: Context, calendar_for: CalendarFor, report: LadderReport) -> int:
    """Moments for a batch of new (or moved) steps; returns how many were scheduled."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        pending = store.claim_pending(session, SCHEDULE_BATCH, lock=not ctx.db.is_sqlite)
        if not pending:
            return 0
        calendar = calendar_for(_years(*(p.created_at for p in pending), *(p.due_at for p in pending)))
        moments: list[tuple[int, str, datetime | None, datetime | None]] = []
        for step in pending:
            if step.task_state != "ready":
                moments.append((step.id, "cancelled", None, None))
                report.cancelled += 1
                continue
            when = parse_when(step.when_text)
            at = step_moment(calendar, when, step.created_at, step.due_at)
            moments.append((step.id, "waiting" if at is not None else "no_due", at, step.due_at))
        store.set_moments(session, moments, ctx.clock.now())
        uow.commit()
    report.scheduled += len(pending)
    return len(pending)


def _fire_next(ctx: Context, worker: str, policy: RetryPolicy, report: LadderReport, skip: set[int]) -> bool:
    """Claim the earliest due step and fire it; False when nothing is due."""
    step: DueStep | None = None
    try:
        with UnitOfWork(ctx.db) as uow:
            now = ctx.clock.now()
            step = store.claim_due(uow.session, now, skip, lock=not ctx.db.is_sqlite)
            if step is None:
                return False
            skip.add(step.id)  # once per round: a failing step waits for its backoff
            outcome = _fire(ctx, uow.session, step, worker, now)
            uow.commit()
    except (OperationalError, InterfaceError):
        raise  # an outage is not the step's fault: no attempt counts, the scheduler retries
    except Exception as error:  # retried with backoff, then an incident: never blocks the other steps
        if step is None:
            raise
        log.warning("Falló el paso de escalamiento %s de la tarea %s: %s", step.id, step.task_id, error)
        report.failed += 1
        _record_failure(ctx, step, error, policy, worker)
        return True
    if outcome == "rescheduled":
        skip.discard(step.id)  # computed again by the next pass of this round
    elif outcome == "fired":
        report.fired += 1
        report.lateness.append((now - step.fire_at).total_seconds())
    elif outcome == "cancelled":
        report.cancelled += 1
    return True


def _fire(ctx: Context, session: Session, step: DueStep, worker: str, now: datetime) -> str:
    if step.task_state != "ready":
        store.cancel_task_steps(session, step.task_id, now)
        return "cancelled"
    when = parse_when(step.when_text)
    if when.needs_due and step.due_at != step.base_due_at:  # the due date moved: compute the moment again
        store.reschedule_task(session, step.task_id)
        return "rescheduled"
    done = ladder_effects.apply(ctx, session, step, when)
    store.mark_fired(session, step.id, now)
    audit(
        session,
        ctx,
        instance_id=step.instance_id,
        task_id=step.task_id,
        action=ACTION,
        actor=worker,
        summary=f"Escalamiento «{step_text(step)}» de '{step.task_name}': {done}",
        after={"paso": step_text(step), "vencia": step.fire_at.isoformat(), "disparado": now.isoformat()},
    )
    return "fired"


def step_text(step: DueStep) -> str:
    action = f"{step.action}({step.argument})" if step.argument else step.action
    return f"{step.when_text}:{action}"


def _record_failure(ctx: Context, step: DueStep, error: Exception, policy: RetryPolicy, worker: str) -> None:
    message = (error.message if isinstance(error, PhvaError) else f"{type(error).__name__}: {error}")[:2000]
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        current = store.step_attempts(session, step.id, lock=not ctx.db.is_sqlite)
        if current is None or current[0] != "waiting":  # another scheduler fired or cancelled it meanwhile
            return
        now, attempts = ctx.clock.now(), current[1] + 1
        incident_id = None
        if attempts >= policy.max_attempts:
            text = (
                f"El escalamiento «{step_text(step)}» de la tarea '{step.task_name}' falló {attempts} veces; "
                f"último error: {message}"
            )
            incident_id = store.open_incident(session, step, text, now)
        retry_at = now + policy.delay(attempts) if incident_id is None else None
        store.count_failure(
            session,
            step.id,
            attempts=attempts,
            error=message,
            retry_at=retry_at,
            incident_id=incident_id,
            now=now,
        )
        audit(
            session,
            ctx,
            instance_id=step.instance_id,
            task_id=step.task_id,
            action="escalamiento_fallido",
            actor=worker,
            summary=f"Falló el escalamiento «{step_text(step)}» de '{step.task_name}' (intento {attempts}): {message}",
        )
        uow.commit()
