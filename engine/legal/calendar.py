"""Colombian business-day calendar: national holidays, entity closures and per-entity settings, as data."""

from __future__ import annotations

import calendar as _stdcalendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

import holidays as holidays_pkg

from engine.errors import BadInput

BOGOTA = "America/Bogota"
END_OF_DAY = time(23, 59, 59)

# Package labels say "(observado)"; an official reads the Ley Emiliani move more easily.
_OBSERVED = " (observado)"
_MOVED = " (trasladado al lunes, Ley 51 de 1983)"
_CHIQUINQUIRA = "Chiquinquirá"


class LegalInputError(BadInput, ValueError):
    """A date, number or kind the legal core cannot use; the message is Spanish and names the problem."""


class CalendarUnavailable(LegalInputError):
    """The entity has no approved calendar for the year asked (PQRSD_RULES §3.4)."""


class RadicacionPolicy(StrEnum):
    A = "A"  # after closing or on a non-business day → next business day
    B = "B"  # calendar date of receipt, no hour cut-off


class SuspensionMode(StrEnum):
    RESUME = "resume"
    RESTART = "restart"


@dataclass(frozen=True)
class Closure:
    day: date
    reason: str
    legal_act: str


@dataclass(frozen=True)
class CalendarSettings:
    saturday_is_business_day: bool = False
    closing_time: time = time(17, 0)
    saturday_closing_time: time = time(12, 0)
    radicacion_policy: RadicacionPolicy = RadicacionPolicy.A
    timezone: str = BOGOTA
    suspension_mode: SuspensionMode = SuspensionMode.RESUME

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass(frozen=True)
class SkippedDay:
    day: date
    reason: str


@dataclass(frozen=True)
class BusinessDayCount:
    start: date
    end: date
    counted: tuple[date, ...]
    skipped: tuple[SkippedDay, ...]


@dataclass(frozen=True)
class Radicacion:
    received_at: datetime | date
    day: date
    policy: RadicacionPolicy
    reason: str
    skipped: tuple[SkippedDay, ...] = ()


def colombian_holidays(years: Iterable[int]) -> dict[date, str]:
    """National holidays (Ley 51 de 1983, Ley 2578 de 2026) in Spanish, one name per date."""
    generated = holidays_pkg.country_holidays("CO", years=list(years), language="es")
    result: dict[date, str] = {}
    for day in sorted(generated):
        names = [_spanish_name(name) for name in generated.get_list(day)]
        result[day] = "; ".join(names)
    return result


def _spanish_name(name: str) -> str:
    base, moved = (name.removesuffix(_OBSERVED), True) if name.endswith(_OBSERVED) else (name, False)
    if _CHIQUINQUIRA in base:
        base += ", Ley 2578 de 2026"
    return base + (_MOVED if moved else "")


def holiday_source_act(name: str) -> str:
    """Legal act to store beside a generated holiday (calendar_day.source_act)."""
    return "Ley 2578 de 2026" if _CHIQUINQUIRA in name else "Ley 51 de 1983"


def to_local(value: datetime, tz: ZoneInfo) -> datetime:
    """Aware local time; naive values are taken as already local (Bogotá)."""
    return value.replace(tzinfo=tz) if value.tzinfo is None else value.astimezone(tz)


@dataclass(frozen=True)
class BusinessCalendar:
    holidays: Mapping[date, str]
    closures: Mapping[date, Closure] = field(default_factory=dict)
    settings: CalendarSettings = field(default_factory=CalendarSettings)
    years: frozenset[int] | None = None  # approved years; None = the years present in `holidays`

    @classmethod
    def colombia(
        cls,
        years: Iterable[int],
        closures: Iterable[Closure] = (),
        settings: CalendarSettings | None = None,
    ) -> BusinessCalendar:
        year_set = frozenset(years)
        return cls(
            holidays=colombian_holidays(year_set),
            closures={c.day: c for c in closures},
            settings=settings or CalendarSettings(),
            years=year_set,
        )

    def with_closures(self, closures: Iterable[Closure]) -> BusinessCalendar:
        return replace(self, closures={c.day: c for c in closures})

    def with_settings(self, **changes: object) -> BusinessCalendar:
        return replace(self, settings=replace(self.settings, **changes))  # type: ignore[arg-type]

    @property
    def tz(self) -> ZoneInfo:
        return self.settings.tz

    def __post_init__(self) -> None:
        if self.years is None:  # computed once: every day test checks the year
            object.__setattr__(self, "years", frozenset(d.year for d in self.holidays))

    def approved_years(self) -> frozenset[int]:
        return self.years or frozenset()

    def check_year(self, day: date) -> None:
        if day.year not in self.approved_years():
            raise CalendarUnavailable(
                f"No hay calendario aprobado para el año {day.year}: genere y apruebe el calendario "
                "de ese año antes de calcular términos."
            )

    def non_business_reason(self, day: date) -> str | None:
        """Why `day` is not a business day, in Spanish; None when it is one."""
        self.check_year(day)
        if day in self.holidays:
            return f"festivo «{self.holidays[day]}»"
        if day in self.closures:
            closure = self.closures[day]
            return f"cierre de la entidad «{closure.reason}», {closure.legal_act}"
        weekday = day.weekday()
        if weekday == 6:
            return "domingo"
        if weekday == 5 and not self.settings.saturday_is_business_day:
            return "sábado, la entidad no atiende ese día"
        return None

    def is_business_day(self, day: date) -> bool:
        return self.non_business_reason(day) is None

    def closing_time(self, day: date) -> time:
        return self.settings.saturday_closing_time if day.weekday() == 5 else self.settings.closing_time

    def next_business_day(self, day: date) -> tuple[date, tuple[SkippedDay, ...]]:
        """First business day strictly after `day`, with the days passed over."""
        skipped: list[SkippedDay] = []
        current = day + timedelta(days=1)
        while (reason := self.non_business_reason(current)) is not None:
            skipped.append(SkippedDay(current, reason))
            current += timedelta(days=1)
        return current, tuple(skipped)

    def roll_forward(self, day: date) -> tuple[date, tuple[SkippedDay, ...]]:
        """`day` itself when it is a business day, else the next one (Ley 4 de 1913, art. 62)."""
        reason = self.non_business_reason(day)
        if reason is None:
            return day, ()
        following, skipped = self.next_business_day(day)
        return following, (SkippedDay(day, reason), *skipped)

    def add_business_days(self, start: date, n: int) -> BusinessDayCount:
        """Day 1 is the first business day after `start`; negative `n` counts backwards."""
        counted: list[date] = []
        skipped: list[SkippedDay] = []
        step = timedelta(days=1 if n >= 0 else -1)
        current = start
        while len(counted) < abs(n):
            current += step
            reason = self.non_business_reason(current)
            if reason is None:
                counted.append(current)
            else:
                skipped.append(SkippedDay(current, reason))
        return BusinessDayCount(start, current, tuple(counted), tuple(skipped))

    def business_days_between(self, start: date, end: date) -> int:
        """Business days in (start, end]."""
        total, current = 0, start
        while current < end:
            current += timedelta(days=1)
            total += self.is_business_day(current)
        return total

    def radicacion(self, received_at: datetime | date) -> Radicacion:
        """Legal anchor date of a filing under the entity's policy (PQRSD_RULES §2.3)."""
        if isinstance(received_at, datetime):
            local = to_local(received_at, self.tz)
            day, at = local.date(), local.time()
        else:
            day, at = received_at, None
        hora = "" if at is None else f" a las {at:%H:%M}"
        policy = self.settings.radicacion_policy
        if policy is RadicacionPolicy.B:
            self.check_year(day)
            return Radicacion(
                received_at, day, policy, "se radica en la fecha calendario de recibo, sin hora de corte"
            )
        reason = self.non_business_reason(day)
        closing = self.closing_time(day)
        if reason is None and (at is None or at < closing):
            why = f"recibida en día hábil{hora}, antes del cierre ({closing:%H:%M}); se radica el mismo día"
            return Radicacion(received_at, day, policy, why)
        following, skipped = self.next_business_day(day)
        if reason is None:
            why = f"recibida{hora}, a la hora de cierre ({closing:%H:%M}) o después; "
            why += "se radica el siguiente día hábil"
        else:
            why = f"recibida en día no hábil ({reason}); se radica el siguiente día hábil"
        return Radicacion(received_at, following, policy, why, skipped)

    def add_calendar_days(self, start: date, n: int) -> tuple[date, tuple[SkippedDay, ...]]:
        return self.roll_forward(start + timedelta(days=n))

    def add_months(self, start: date, n: int) -> tuple[date, tuple[SkippedDay, ...]]:
        """Same day number n months later (or that month's last day), rolled to a business day."""
        return self.roll_forward(add_months(start, n))

    def end_of_day(self, day: date) -> datetime:
        return datetime.combine(day, END_OF_DAY, tzinfo=self.tz)


def add_months(start: date, n: int) -> date:
    month_index = start.month - 1 + n
    year, month = start.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(start.day, _stdcalendar.monthrange(year, month)[1]))
