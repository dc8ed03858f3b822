"""Closing or reopening a day: the closure row, and the open PQRSD cases, tasks and timers whose due date moves.

One transaction: the closure, every changed case (with an audit event each), its instance's timers and
task due dates. A case under prórroga keeps its date (it was fixed by a notified act).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, NotFound
from engine.legal.calendar import BusinessCalendar, Closure
from engine.legal.explanation import fecha_larga
from engine.legal.recalculation import DueChange, recalculate
from engine.legal.terms import TermTable
from engine.pqrsd import clock
from engine.pqrsd import legal_data as legal
from engine.pqrsd import radicacion as pqrsd
from engine.runtime.rescheduling import replace_data_value, reschedule_timers
from engine.store import cases as case_store
from engine.store import legal as legal_store
from engine.store.audit import audit
from engine.store.instances import load_instance
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from engine.workflow import ladder_arming
from engine.workflow.runs import load_run, save_run

NO_ACT = "Sin acto administrativo registrado"
DUE_DATA_NAME = "fecha_vencimiento"  # the process data that carries the case's due date (pqrsd.process_data)


@dataclass
class RecalcOutcome:
    action: str  # close | reopen
    day: date
    reason: str
    legal_act: str
    cases: list[dict[str, Any]] = field(default_factory=list)
    timers: int = 0
    tasks: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {"action": self.action, "date": self.day.isoformat(), "reason": self.reason,
                "legal_act": self.legal_act, "changed": len(self.cases), "cases": self.cases,
                "timers": self.timers, "tasks": self.tasks}  # fmt: skip


def close_day(
    ctx: Context, day: date, *, reason: str, legal_act: str | None = None, actor: str | None = None
) -> RecalcOutcome:
    """Register an entity closure (a non-business day) and move the due dates it affects."""
    legal.require_tables(ctx)
    _check_year(day)
    if not reason.strip():
        raise BadInput("Indique el motivo del cierre (--reason).")
    act = (legal_act or "").strip() or NO_ACT
    legal.ensure_legal_data(ctx, [day.year], actor=actor)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        before = legal.open_closures(session)
        if day in {c.day for c in before}:
            raise BadInput(f"El {day.isoformat()} ya está registrado como cierre de la entidad.")
        closure = Closure(day, reason.strip(), act)
        legal_store.add_closure(
            session, day, reason=closure.reason, legal_act=act, at=ctx.clock.now(), actor=actor
        )
        legal.bump_revision(session, ctx, actor)
        audit(session, ctx, instance_id=None, action="calendar_closed", actor=actor,
              summary=f"Cerró el {fecha_larga(day)}: {closure.reason} ({act})",
              after={"date": day.isoformat(), "reason": closure.reason, "legal_act": act})  # fmt: skip
        outcome = RecalcOutcome("close", day, closure.reason, act)
        why = f"cierre del {fecha_larga(day)} ({closure.reason}, {act})"
        _recalculate(ctx, session, before, [*before, closure], day, outcome, why, actor)
        uow.commit()
    ctx.legal.invalidate()
    return outcome


def reopen_day(ctx: Context, day: date, *, actor: str | None = None) -> RecalcOutcome:
    """Withdraw an entity closure (the row stays, marked removed) and move the due dates it affected."""
    legal.require_tables(ctx)
    _check_year(day)
    legal.ensure_legal_data(ctx, [day.year], actor=actor)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = legal_store.open_closure_on(session, day)
        if row is None:
            raise NotFound(f"No hay un cierre de la entidad registrado el {day.isoformat()}.")
        before = legal.open_closures(session)
        row.removed_at, row.removed_by = ctx.clock.now(), actor
        legal.bump_revision(session, ctx, actor)
        audit(session, ctx, instance_id=None, action="calendar_reopened", actor=actor,
              summary=f"Anuló el cierre del {fecha_larga(day)} ({row.reason})",
              before={"date": day.isoformat(), "reason": row.reason, "legal_act": row.legal_act})  # fmt: skip
        outcome = RecalcOutcome("reopen", day, row.reason, row.legal_act)
        why = f"anulación del cierre del {fecha_larga(day)}"
        _recalculate(ctx, session, before, [c for c in before if c.day != day], day, outcome, why, actor)
        uow.commit()
    ctx.legal.invalidate()
    return outcome


def _check_year(day: date) -> None:
    if not legal.FIRST_YEAR <= day.year <= legal.LAST_YEAR:
        raise BadInput(f"Fecha fuera del calendario: {day.isoformat()}.")


def _recalculate(ctx: Context, session: Session, before: Sequence[Closure], after: Sequence[Closure], day: date,
                 outcome: RecalcOutcome, why: str, actor: str | None) -> None:  # fmt: skip
    tz = ZoneInfo(ctx.settings.timezone)
    day_start = datetime.combine(day, time(0), tzinfo=tz)
    # Only cases received by the end of that day and still running on it can move.
    running = case_store.running_cases_due_from(
        session, day_start, received_before=day_start + timedelta(days=1), closed=pqrsd.CLOSED_STATUSES
    )
    cases = [case for case in running if case.prorroga is None]
    if not cases:
        return
    by_version: dict[int, list[PqrsdCase]] = defaultdict(list)
    for case in cases:
        by_version[case.term_version].append(case)
    tables = {version: legal.load_terms(session, version) for version in by_version}
    first = min(c.received_at for c in cases).astimezone(tz).date()
    last = max(c.due_at for c in cases if c.due_at).astimezone(tz).date()
    years = range(first.year - 1, last.year + 2)
    changes = legal.with_legal(ctx, years, lambda s: _changes(s.calendar.with_closures(before), after, by_version,
                                                              tables))  # fmt: skip
    by_radicado = {case.radicado: case for case in cases}
    calendar = legal.snapshot(ctx, years).calendar.with_closures(after)  # the semáforo counts the new days
    for change in changes:
        _apply(ctx, session, by_radicado[change.id], change, outcome, why, actor, calendar)


def _changes(calendar: Any, after: Sequence[Closure], by_version: dict[int, list[PqrsdCase]],
             tables: dict[int, TermTable]) -> list[DueChange]:  # fmt: skip
    changes: list[DueChange] = []
    for version, cases in by_version.items():
        changes += recalculate([pqrsd.open_item(c) for c in cases], calendar, tables[version], after)
    return changes


def _apply(ctx: Context, session: Session, case: PqrsdCase, change: DueChange, outcome: RecalcOutcome, why: str,
           actor: str | None, calendar: BusinessCalendar) -> None:  # fmt: skip
    old_due, new = case.due_at, change.new
    assert old_due is not None
    note = f"Recalculado por {why}: antes vencía el {fecha_larga(change.old.day)}."
    old_text = str(case.explanation.get("due_at") or change.old.iso())
    case.due_at, case.updated_at = new.utc, ctx.clock.now()
    case.explanation = new.with_trace(after=[note]).to_dict()
    clock.set_thresholds(ctx, calendar, case)
    audit(session, ctx, instance_id=case.instance_id, action="pqrsd_due_recalculated", actor=actor,
          summary=f"Vencimiento de {case.radicado}: {change.old.day.isoformat()} → {new.day.isoformat()} ({why})",
          before={"radicado": case.radicado, "due_at": old_text},
          after={"radicado": case.radicado, "due_at": new.iso()})  # fmt: skip
    outcome.cases.append({"radicado": case.radicado, "old_due_date": change.old.day.isoformat(),
                          "new_due_date": new.day.isoformat(), "earlier": change.earlier,
                          "instance_id": case.instance_id})  # fmt: skip
    if case.instance_id is not None:
        timers, tasks = _reschedule_instance(
            ctx, session, case.instance_id, old_due, new.utc, old_text, new.iso()
        )
        outcome.timers += timers
        outcome.tasks += tasks


def _reschedule_instance(ctx: Context, session: Session, instance_id: int, old_due: datetime, new_due: datetime,
                         old_text: str, new_text: str) -> tuple[int, int]:  # fmt: skip
    ref = load_instance(session, instance_id)
    if ref is None or ref.status in ("completed", "cancelled"):
        return 0, 0
    tasks = case_store.move_ready_tasks_due(session, instance_id, old_due, new_due)
    if tasks:
        ladder_arming.reschedule(session, instance_id)  # their escalation steps get new moments
    run = load_run(ctx, session, ref)
    moved = reschedule_timers(run, old_due, new_due)
    data_changed = replace_data_value(run, DUE_DATA_NAME, old_text, new_text)
    if moved:
        case_store.move_waiting_timers_due(session, instance_id, moved, new_due)
    if moved or data_changed:
        save_run(ctx, session, ref, run, incident=None)
    return len(moved), tasks
