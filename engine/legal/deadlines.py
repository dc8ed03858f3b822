"""Due dates of PQRSD terms: radicación, counting by unit, art. 17 suspensions, each with its trace."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from engine.legal.calendar import (
    BusinessCalendar,
    LegalInputError,
    Radicacion,
    SkippedDay,
    SuspensionMode,
    to_local,
)
from engine.legal.explanation import DueDate, counted_line, fecha_larga, momento, skipped_lines
from engine.legal.terms import TermRow, TermTable, TermUnit, amount_text

ON_TIME_RULE = (
    "la respuesta es oportuna si se emite y comunica a más tardar a esa hora (Ley 4 de 1913, arts. 59-61)"
)
PLAIN_RULE = "el plazo corre hasta esa hora (Ley 4 de 1913, arts. 59-61)"


@dataclass(frozen=True)
class Suspension:
    """An art. 17 requerimiento; `compliance_at` None means the citizen has not answered yet."""

    requerimiento_at: datetime | date
    compliance_at: datetime | date | None = None


@dataclass
class _Count:
    end: datetime
    lines: list[str] = field(default_factory=list)
    counted: list[date] = field(default_factory=list)
    skipped: list[SkippedDay] = field(default_factory=list)


def local_day(calendar: BusinessCalendar, value: datetime | date) -> date:
    return to_local(value, calendar.tz).date() if isinstance(value, datetime) else value


def local_value(calendar: BusinessCalendar, value: datetime | date) -> datetime | date:
    return to_local(value, calendar.tz) if isinstance(value, datetime) else value


def radicacion_lines(calendar: BusinessCalendar, rad: Radicacion) -> list[str]:
    tz = calendar.settings.timezone
    lines = [
        f"Recibida el {momento(local_value(calendar, rad.received_at), tz)}.",
        f"Fecha de radicación: {fecha_larga(rad.day)}. Motivo (política {rad.policy.value}): {rad.reason}.",
    ]
    if rad.skipped:
        days = "; ".join(_skipped_text(s) for s in rad.skipped)
        lines.append(f"Días no hábiles antes de la radicación: {days}.")
    return lines


def _skipped_text(skipped: SkippedDay) -> str:
    weekend = skipped.reason.startswith(("sábado", "domingo"))
    return fecha_larga(skipped.day) if weekend else f"{fecha_larga(skipped.day)}, {skipped.reason}"


def term_line(amount: int, unit: TermUnit, label: str | None, legal_basis: str | None, since: str) -> str:
    what = f" ({label[0].lower()}{label[1:]})" if label else ""
    basis = f" Fundamento: {legal_basis}." if legal_basis else ""
    return f"Término{what}: {amount_text(amount, unit)}, {since}.{basis}"


def _closing_line(calendar: BusinessCalendar, end: datetime, rule: str) -> str:
    utc = end.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return f"Vence el {momento(end, calendar.settings.timezone)} — {utc} en UTC; {rule}."


def _count_business(
    calendar: BusinessCalendar, anchor: date, amount: int, suspensions: Sequence[Suspension]
) -> _Count:
    result = _Count(end=calendar.end_of_day(anchor))
    start, remaining = anchor, amount
    for suspension in sorted(suspensions, key=lambda s: local_day(calendar, s.requerimiento_at)):
        requerimiento = local_day(calendar, suspension.requerimiento_at)
        used = calendar.business_days_between(start, requerimiento)
        if used >= remaining:
            result.lines.append(
                f"El requerimiento del {fecha_larga(requerimiento)} llegó cuando el término ya había "
                "corrido por completo; no lo suspende."
            )
            continue
        segment = calendar.add_business_days(start, used)
        result.counted += segment.counted
        result.skipped += segment.skipped
        remaining -= used
        result.lines.append(
            f"Suspensión (art. 17 CPACA): requerimiento al peticionario el {fecha_larga(requerimiento)}; "
            f"días hábiles corridos hasta ese día: {used}; quedaban {remaining}."
        )
        if suspension.compliance_at is None:
            raise LegalInputError(
                f"El término está suspendido desde el {requerimiento.isoformat()} (art. 17 CPACA): "
                "no hay vencimiento hasta que el peticionario complete la petición."
            )
        compliance = calendar.radicacion(suspension.compliance_at)
        if compliance.day < requerimiento:
            raise LegalInputError("La respuesta del peticionario no puede ser anterior al requerimiento.")
        tz = calendar.settings.timezone
        received = momento(local_value(calendar, suspension.compliance_at), tz)
        if calendar.settings.suspension_mode is SuspensionMode.RESTART:
            remaining = amount
            how = f"el término se reinicia completo ({amount_text(amount, TermUnit.HABILES)})"
        else:
            how = f"el término se reanuda con los días restantes ({amount_text(remaining, TermUnit.HABILES)})"
        deemed = (
            ""
            if compliance.day == local_day(calendar, suspension.compliance_at)
            else (f"; se tiene por recibida el {fecha_larga(compliance.day)} ({compliance.reason})")
        )
        result.lines.append(
            f"El peticionario completó la petición el {received}{deemed}; {how} desde el día hábil siguiente."
        )
        start = compliance.day
    segment = calendar.add_business_days(start, remaining)
    result.counted += segment.counted
    result.skipped += segment.skipped
    if result.counted:
        result.lines.append(f"Día 1: {fecha_larga(result.counted[0])}.")
        result.lines.append(counted_line(result.counted))
    result.lines += skipped_lines(result.skipped)
    result.lines.append(f"Día {amount} (último día del término): {fecha_larga(segment.end)}.")
    result.end = calendar.end_of_day(segment.end)
    return result


def _count_rolled(calendar: BusinessCalendar, anchor: date, amount: int, unit: TermUnit) -> _Count:
    raw = (
        calendar.add_months(anchor, amount)
        if unit is TermUnit.MESES
        else calendar.add_calendar_days(anchor, amount)
    )
    target, skipped = raw
    natural = target if not skipped else skipped[0].day
    result = _Count(end=calendar.end_of_day(target), skipped=list(skipped))
    result.lines.append(f"El término cae el {fecha_larga(natural)}.")
    if skipped:
        reasons = "; ".join(_skipped_text(s) for s in skipped)
        result.lines.append(
            f"Ese día no es hábil, así que el término se extiende al primer día hábil siguiente "
            f"(Ley 4 de 1913, art. 62): {fecha_larga(target)}. Días no hábiles: {reasons}."
        )
    return result


def count_term(
    calendar: BusinessCalendar,
    anchor: date,
    amount: int,
    unit: TermUnit,
    *,
    received_at: datetime | date | None = None,
    suspensions: Sequence[Suspension] = (),
    rule: str = ON_TIME_RULE,
) -> _Count:
    if amount < 0:
        raise LegalInputError(f"El número de días debe ser cero o positivo; se recibió {amount}.")
    if suspensions and unit is not TermUnit.HABILES:
        raise LegalInputError("La suspensión del art. 17 solo se aplica a términos en días hábiles.")
    if unit is TermUnit.HABILES:
        result = _count_business(calendar, anchor, amount, suspensions)
    elif unit is TermUnit.HORAS:
        base = received_at if received_at is not None else anchor
        start = (
            to_local(base, calendar.tz)
            if isinstance(base, datetime)
            else datetime.combine(base, time(0), tzinfo=calendar.tz)
        )
        result = _Count(end=start + timedelta(hours=amount))
        calendar.check_year(result.end.date())
    else:
        result = _count_rolled(calendar, anchor, amount, unit)
    result.lines.append(_closing_line(calendar, result.end, rule))
    return result


def _since(unit: TermUnit, anchor_label: str) -> str:
    if unit is TermUnit.HABILES:
        return f"contados desde el día hábil siguiente a {anchor_label}"
    if unit is TermUnit.HORAS:
        return "contadas desde la hora de recibo"
    return f"contados desde {anchor_label}"


def due_in(
    calendar: BusinessCalendar,
    received_at: datetime | date,
    amount: int,
    unit: TermUnit = TermUnit.HABILES,
    *,
    suspensions: Sequence[Suspension] = (),
    row: TermRow | None = None,
) -> DueDate:
    """Due date of a filing received at `received_at`, with the radicación policy applied."""
    rad = calendar.radicacion(received_at)
    lines = radicacion_lines(calendar, rad)
    label = row.label if row else None
    basis = row.legal_basis if row else None
    lines.append(term_line(amount, unit, label, basis, _since(unit, "la radicación")))
    count = count_term(calendar, rad.day, amount, unit, received_at=received_at, suspensions=suspensions)
    return DueDate(
        value=count.end,
        trace=(*lines, *count.lines),
        kind=row.kind if row else None,
        amount=amount,
        unit=unit.value,
        legal_basis=basis,
        received_at=local_value(calendar, received_at),
        radicacion_date=rad.day,
        counted=tuple(count.counted),
        skipped=tuple(count.skipped),
        facts={"term_key": row.key} if row else {},
    )


def due_date(
    calendar: BusinessCalendar,
    terms: TermTable,
    kind: str,
    received_at: datetime | date,
    *,
    suspensions: Sequence[Suspension] = (),
) -> DueDate:
    """Due date for a PQRSD kind, using the term row in force on its radicación date."""
    row = terms.row(kind, calendar.radicacion(received_at).day)
    return due_in(calendar, received_at, row.amount, row.unit, suspensions=suspensions, row=row)


def term_from_act(
    calendar: BusinessCalendar,
    terms: TermTable,
    kind: str,
    act_at: datetime | date,
    act_label: str,  # with its article: "el requerimiento", "la devolución de la petición"
    *,
    amount: int | None = None,
) -> DueDate:
    """A term anchored on an act (requerimiento, devolución), not on a filing: no radicación policy."""
    anchor = local_day(calendar, act_at)
    row = terms.row(kind, anchor)
    total = row.amount if amount is None else amount
    tz = calendar.settings.timezone
    of_act = f"de {act_label}".replace("de el ", "del ", 1)
    lines = [
        f"Fecha {of_act}: {momento(local_value(calendar, act_at), tz)}.",
        term_line(total, row.unit, row.label, row.legal_basis, _since(row.unit, f"la fecha {of_act}")),
    ]
    count = count_term(calendar, anchor, total, row.unit, received_at=act_at, rule=PLAIN_RULE)
    return DueDate(
        value=count.end,
        trace=(*lines, *count.lines),
        kind=row.kind,
        amount=total,
        unit=row.unit.value,
        legal_basis=row.legal_basis,
        received_at=local_value(calendar, act_at),
        counted=tuple(count.counted),
        skipped=tuple(count.skipped),
        facts={"term_key": row.key, "anchor": anchor.isoformat()},
    )
