"""The semáforo of a legal term: the share of its business days used, and when it turns amarillo or alerts."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Literal

from engine.legal.calendar import BusinessCalendar

Colour = Literal["verde", "amarillo", "rojo"]


@dataclass(frozen=True)
class Thresholds:
    """Shares of the term (business days) from which a case is amarillo, and gets its 2/3 alert."""

    amarillo: float = 0.5
    alerta: float = 2 / 3

    def __post_init__(self) -> None:
        if not 0 < self.amarillo <= 1 or not 0 < self.alerta <= 1:
            raise ValueError("los umbrales del semáforo son porcentajes entre 1 y 100")


def share_used(calendar: BusinessCalendar, start: date, due_day: date, today: date) -> float:
    """Business days used of those in (start, due_day]; 1.0 once the term ran out."""
    term = calendar.business_days_between(start, due_day)
    if term < 1:
        return 1.0 if today >= due_day else 0.0
    return min(calendar.business_days_between(start, min(max(today, start), due_day)) / term, 1.0)


def threshold_moment(calendar: BusinessCalendar, start: date, due_day: date, share: float) -> datetime:
    """The start of the first day on which `share` of the term is used (the day the colour changes)."""
    term = calendar.business_days_between(start, due_day)
    if term < 1:
        return datetime.combine(start, time(0), tzinfo=calendar.tz)
    day = calendar.add_business_days(start, max(math.ceil(share * term - 1e-9), 1)).end
    return datetime.combine(day, time(0), tzinfo=calendar.tz)


def colour(now: datetime, due_at: datetime, amarillo_at: datetime | None) -> Colour:
    """A running term's colour from its stored moments: rojo once due, amarillo from `amarillo_at`."""
    if now >= due_at:
        return "rojo"
    return "amarillo" if amarillo_at is not None and now >= amarillo_at else "verde"
