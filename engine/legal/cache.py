"""What a process keeps of the legal data between requests: stored rows and calendars built from them."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from datetime import date

from engine.legal.calendar import BusinessCalendar, CalendarSettings, Closure
from engine.legal.terms import TermTable


@dataclass
class LegalStored:
    """What the database holds, read in one transaction."""

    holidays: dict[date, tuple[str, str]]  # day → (name, source act)
    years: frozenset[int]
    closures: tuple[Closure, ...]
    settings: CalendarSettings
    terms: TermTable
    term_version: int | None
    revision: int
    from_database: bool


@dataclass
class LegalCache:
    """Per process and database: the stored legal data and calendars built from it, by year set."""

    stored: LegalStored | None = None
    calendars: dict[frozenset[int], BusinessCalendar] = field(default_factory=dict)
    generated: dict[int, dict[date, str]] = field(
        default_factory=dict
    )  # never changes: kept across revisions
    ensured_years: frozenset[int] = frozenset()
    tables: bool | None = None
    checked_at: float = 0.0  # when `tables` was last looked up
    revision_checked_at: float = 0.0
    lock: threading.RLock = field(default_factory=threading.RLock)

    def invalidate(self) -> None:
        with self.lock:
            self.stored = None
            self.calendars.clear()
