"""Prórroga of the answer term (art. 14 par. CPACA; Ley 1581 arts. 14-15): limits and validation."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from engine.legal.calendar import BusinessCalendar, LegalInputError
from engine.legal.deadlines import Suspension, due_date, due_in, local_day
from engine.legal.explanation import DueDate, fecha_larga
from engine.legal.terms import TermTable, amount_text


class ProrrogaRejected(LegalInputError):
    """The extension notice is late, exceeds the legal maximum, or the term admits none."""


@dataclass(frozen=True)
class ProrrogaLimits:
    original: DueDate  # the notice must reach the petitioner by this date
    max_due: DueDate  # the new date may not be later than this


def prorroga_limits(
    calendar: BusinessCalendar,
    terms: TermTable,
    kind: str,
    received_at: datetime | date,
    *,
    suspensions: Sequence[Suspension] = (),
) -> ProrrogaLimits:
    original = due_date(calendar, terms, kind, received_at, suspensions=suspensions)
    row = terms.row(kind, original.radicacion_date or local_day(calendar, received_at))
    if row.prorroga_max is None:
        raise ProrrogaRejected(f"El término de «{kind}» no admite prórroga.")
    maximum = due_in(calendar, received_at, row.prorroga_max, row.unit, suspensions=suspensions, row=row)
    note = (
        f"Prórroga ({row.legal_basis}): el aviso al peticionario, con los motivos y la nueva fecha, debe "
        f"enviarse a más tardar el {fecha_larga(original.day)}; la nueva fecha no puede superar "
        f"{amount_text(row.prorroga_max, row.unit)} contados desde el mismo inicio: "
        f"{fecha_larga(maximum.day)}."
    )
    return ProrrogaLimits(original, maximum.with_trace(after=[note]))


def prorroga(
    calendar: BusinessCalendar,
    terms: TermTable,
    kind: str,
    received_at: datetime | date,
    *,
    notice_sent_at: datetime | date,
    reason: str,
    new_due: date | None = None,
    suspensions: Sequence[Suspension] = (),
) -> DueDate:
    """The extended due date; raises ProrrogaRejected when the notice or the new date breaks art. 14 par."""
    limits = prorroga_limits(calendar, terms, kind, received_at, suspensions=suspensions)
    notice = local_day(calendar, notice_sent_at)
    if not reason.strip():
        raise ProrrogaRejected("La prórroga debe expresar los motivos de la demora (art. 14 par. CPACA).")
    if notice > limits.original.day:
        raise ProrrogaRejected(
            "La prórroga debe comunicarse antes del vencimiento original "
            f"({limits.original.day.isoformat()}); el aviso es del {notice.isoformat()}."
        )
    target = new_due or limits.max_due.day
    if target > limits.max_due.day:
        raise ProrrogaRejected(
            f"La nueva fecha ({target.isoformat()}) supera el máximo legal "
            f"({limits.max_due.day.isoformat()})."
        )
    if target <= limits.original.day:
        raise ProrrogaRejected("La nueva fecha de la prórroga debe ser posterior al vencimiento original.")
    if not calendar.is_business_day(target):
        raise ProrrogaRejected(f"La nueva fecha ({target.isoformat()}) no es un día hábil.")
    lines = [
        f"Prórroga comunicada el {fecha_larga(notice)}, antes del vencimiento original "
        f"({fecha_larga(limits.original.day)}). Motivo: {reason.strip()}.",
        f"Nueva fecha de vencimiento: {fecha_larga(target)} a las 23:59:59; máximo legal: "
        f"{fecha_larga(limits.max_due.day)}.",
    ]
    return DueDate(
        value=calendar.end_of_day(target),
        trace=(*limits.original.trace, *lines),
        kind=kind,
        amount=limits.original.amount,
        unit=limits.original.unit,
        legal_basis=limits.original.legal_basis,
        received_at=limits.original.received_at,
        radicacion_date=limits.original.radicacion_date,
        counted=limits.original.counted,
        skipped=limits.original.skipped,
        facts={
            "original_due": limits.original.day.isoformat(),
            "max_due": limits.max_due.day.isoformat(),
            "notice_sent_on": notice.isoformat(),
            "reason": reason.strip(),
        },
    )
