"""A computed date with its trace in Spanish, as a Colombian official would read it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime

from engine.legal.calendar import SkippedDay

WEEKDAYS = ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo")
MONTHS = (
    "enero", "febrero", "marzo", "abril", "mayo", "junio",
    "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre",
)  # fmt: skip


def fecha_larga(day: date) -> str:
    """E.g. "viernes 10 de julio de 2026"."""
    return f"{WEEKDAYS[day.weekday()]} {day.day} de {MONTHS[day.month - 1]} de {day.year}"


def momento(value: datetime | date, tz_name: str) -> str:
    if isinstance(value, datetime):
        seconds = f":{value.second:02d}" if value.second else ""
        return f"{fecha_larga(value.date())} a las {value:%H:%M}{seconds} (hora de {_city(tz_name)})"
    return f"{fecha_larga(value)} (sin hora registrada)"


def _city(tz_name: str) -> str:
    return "Bogotá" if tz_name == "America/Bogota" else tz_name


def skipped_lines(skipped: Iterable[SkippedDay], prefix: str = "No se cuenta el") -> list[str]:
    """Holidays and closures one by one, by name; weekends as a count."""
    skipped = list(skipped)
    named = [s for s in skipped if not s.reason.startswith(("sábado", "domingo"))]
    saturdays = sum(1 for s in skipped if s.reason.startswith("sábado"))
    sundays = sum(1 for s in skipped if s.reason.startswith("domingo"))
    lines = [f"{prefix} {fecha_larga(s.day)}: {s.reason}." for s in named]
    weekend = [
        f"{n} {word}{'s' if n > 1 else ''}" for n, word in ((saturdays, "sábado"), (sundays, "domingo")) if n
    ]
    if weekend:
        lines.append(f"Tampoco se cuentan {' y '.join(weekend)}.")
    return lines


def counted_line(counted: Sequence[date]) -> str:
    """The business days counted, grouped by month: "15, 16, 17 de julio; 3, 4, 5 de agosto de 2026"."""
    groups: list[tuple[tuple[int, int], list[int]]] = []
    for day in counted:
        key = (day.year, day.month)
        if groups and groups[-1][0] == key:
            groups[-1][1].append(day.day)
        else:
            groups.append((key, [day.day]))
    parts = []
    for index, ((year, month), days) in enumerate(groups):
        last_of_year = index == len(groups) - 1 or groups[index + 1][0][0] != year
        suffix = f" de {year}" if last_of_year else ""
        parts.append(f"{', '.join(str(d) for d in days)} de {MONTHS[month - 1]}{suffix}")
    return f"Días contados ({len(counted)}): {'; '.join(parts)}."


@dataclass(frozen=True)
class DueDate:
    """A legal deadline: `value` is local and inclusive (23:59:59 for day terms)."""

    value: datetime
    trace: tuple[str, ...]
    kind: str | None = None
    amount: int | None = None
    unit: str | None = None
    legal_basis: str | None = None
    received_at: datetime | date | None = None
    radicacion_date: date | None = None
    counted: tuple[date, ...] = ()
    skipped: tuple[SkippedDay, ...] = ()
    facts: dict[str, str] = field(default_factory=dict)  # extra JSON-native details (prórroga, silencio…)

    @property
    def day(self) -> date:
        return self.value.date()

    @property
    def utc(self) -> datetime:
        return self.value.astimezone(UTC)

    def iso(self) -> str:
        return self.value.isoformat()

    def iso_utc(self) -> str:
        return self.utc.isoformat().replace("+00:00", "Z")

    def with_trace(self, before: Sequence[str] = (), after: Sequence[str] = ()) -> DueDate:
        return replace(self, trace=(*before, *self.trace, *after))

    def to_dict(self) -> dict[str, object]:
        received = self.received_at.isoformat() if self.received_at is not None else None
        return {
            "due_date": self.day.isoformat(),
            "due_at": self.iso(),
            "due_at_utc": self.iso_utc(),
            "kind": self.kind,
            "amount": self.amount,
            "unit": self.unit,
            "legal_basis": self.legal_basis,
            "received_at": received,
            "radicacion_date": None if self.radicacion_date is None else self.radicacion_date.isoformat(),
            "counted_days": [d.isoformat() for d in self.counted],
            "skipped_days": [{"date": s.day.isoformat(), "reason": s.reason} for s in self.skipped],
            "facts": dict(self.facts),
            "trace": list(self.trace),
        }

    def text(self) -> str:
        return "\n".join(self.trace)
