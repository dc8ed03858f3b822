"""Parsing of dates typed by people (CLI `--from`, batch lines) and sent by BPMN expressions."""

from __future__ import annotations

import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from engine.legal.calendar import BOGOTA, LegalInputError

_MOMENT = re.compile(
    r"^(?P<date>\d{4}-\d{2}-\d{2})"
    r"(?:[T ](?P<time>\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?)(?P<offset>Z|[+-]\d{2}:?\d{2})?)?$"
)
FORMATS_HELP = (
    "AAAA-MM-DD, AAAA-MM-DDTHH:MM o AAAA-MM-DD HH:MM[:SS], con desfase (-05:00, Z) o sin él (hora de Bogotá)"
)


def parse_moment(text: str, tz: ZoneInfo | None = None) -> datetime | date:
    """A date (no hour: radicación by date only) or an aware datetime; naive times are Bogotá (or `tz`)."""
    raw = text.strip()
    match = _MOMENT.match(raw)
    if match is None:
        raise LegalInputError(f"Fecha u hora no válida: «{text}». Formatos aceptados: {FORMATS_HELP}.")
    try:
        if match["time"] is None:
            return date.fromisoformat(match["date"])
        offset = match["offset"] or ""
        value = datetime.fromisoformat(
            f"{match['date']}T{match['time']}{'+00:00' if offset == 'Z' else offset}"
        )
    except ValueError as error:
        raise LegalInputError(f"Fecha u hora inexistente: «{text}» ({error}).") from error
    return value if value.tzinfo is not None else value.replace(tzinfo=tz or ZoneInfo(BOGOTA))


def parse_days(text: str) -> int:
    try:
        days = int(text.strip())
    except ValueError as error:
        raise LegalInputError(f"Número de días no válido: «{text}»; debe ser un entero.") from error
    if days < 0:
        raise LegalInputError(f"Número de días no válido: {days}; debe ser cero o positivo.")
    return days


def as_moment(value: object, tz: ZoneInfo | None = None) -> datetime | date:
    """What BPMN data may hold for a date: ISO text, a datetime or a date."""
    if isinstance(value, datetime | date):
        return value
    if isinstance(value, str):
        return parse_moment(value, tz)
    raise LegalInputError(f"Se esperaba una fecha (texto ISO-8601); se recibió {type(value).__name__}.")
