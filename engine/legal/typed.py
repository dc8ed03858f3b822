"""What people type for calendar and term changes (the CLI's options, the administration's forms): a day, a unit."""

from __future__ import annotations

from datetime import date, datetime

from engine.legal.calendar import LegalInputError
from engine.legal.inputs import parse_moment
from engine.legal.terms import TermUnit

UNITS = {
    "habiles": TermUnit.HABILES,
    "hábiles": TermUnit.HABILES,
    "calendario": TermUnit.CALENDARIO,
    "meses": TermUnit.MESES,
    "horas": TermUnit.HORAS,
}


def parse_unit(text: str) -> TermUnit:
    unit = UNITS.get(text.strip().lower())
    if unit is None:
        raise LegalInputError(f"Unidad no válida: «{text}»; use habiles, calendario, meses u horas.")
    return unit


def parse_day(text: str, what: str = "Fecha") -> date:
    value = parse_moment(text)
    if isinstance(value, datetime):
        raise LegalInputError(f"{what} no válida: «{text}»; use AAAA-MM-DD, sin hora.")
    return value
