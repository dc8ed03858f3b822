"""ISO-8601 durations as Camunda writes them (P15D, PT2H, P1M), applied with calendar-aware months."""

from __future__ import annotations

import calendar
from datetime import datetime, timedelta

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition


def add_months(start: datetime, months: int) -> datetime:
    """Java/Camunda semantics: 31 January + P1M is 28 (or 29) February, not 3 March."""
    index = start.month - 1 + months
    year, month = start.year + index // 12, index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day)


def parse_duration_from(text: str, start: datetime) -> datetime:
    """`start` plus the ISO duration `text`; raises ValueError with a Spanish message when invalid."""
    try:
        parts = TimerEventDefinition.parse_iso_duration(text.strip())
    except Exception as error:
        raise ValueError(f"Duración ISO-8601 inválida: '{text}'") from error
    months = parts.pop("years", 0) * 12 + parts.pop("months", 0)
    if months != int(months):
        raise ValueError(f"Duración ISO-8601 con meses fraccionarios no soportada: '{text}'")
    return add_months(start, int(months)) + timedelta(**parts)
