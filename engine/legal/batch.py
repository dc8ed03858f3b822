"""Bulk due dates for `phva calendar due --batch`: CSV lines `filed_at,days` → `filed_at,days,due_date`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from engine.legal.calendar import BusinessCalendar, LegalInputError
from engine.legal.deadlines import due_in
from engine.legal.inputs import parse_days, parse_moment
from engine.legal.terms import TermUnit


class BatchLineError(LegalInputError):
    def __init__(self, number: int, line: str, problem: str) -> None:
        super().__init__(f"Línea {number}: «{line}»: {problem}")
        self.number = number


def iter_due_batch(
    calendar: BusinessCalendar, lines: Iterable[str], unit: TermUnit = TermUnit.HABILES
) -> Iterator[str]:
    """One output line per input line, in order; blank lines, `#` comments and a header are skipped."""
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line or line.startswith("#") or line.lower().startswith("filed_at"):
            continue
        fields = [f.strip() for f in line.split(",")]
        if len(fields) != 2:
            raise BatchLineError(number, line, f"se esperaban 2 campos (filed_at,days) y hay {len(fields)}.")
        try:
            received = parse_moment(fields[0], calendar.tz)
            days = parse_days(fields[1])
            due = due_in(calendar, received, days, unit)
        except LegalInputError as error:
            raise BatchLineError(number, line, error.message) from error
        yield f"{fields[0]},{days},{due.day.isoformat()}"


def due_batch(
    calendar: BusinessCalendar, lines: Iterable[str], unit: TermUnit = TermUnit.HABILES
) -> list[str]:
    return list(iter_due_batch(calendar, lines, unit))
