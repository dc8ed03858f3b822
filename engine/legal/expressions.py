"""Calendar functions for BPMN expressions, scripts and timers, bound to one calendar and term table.

How an analyst uses them in Camunda Modeler (the lead's expression layer turns `${…}` into a Python call):

* Timer boundary/intermediate event, type "Date" (`timeDate`), due when the PQRSD expires:
  ``${vencimiento(tipo, fecha_recibo)}`` → ``"2026-08-05T23:59:59-05:00"``.
* Alert three business days before that: ``${dias_habiles(vencimiento(tipo, fecha_recibo), -3, "08:00")}``.
* Traslado por competencia (5 días): ``${dias_habiles(fecha_radicacion(fecha_recibo), 5)}``.
* User task "Due Date" (`camunda:dueDate`): the same expressions.
* Gateway condition: ``${es_dia_habil(hoy)}``; script task: ``vence = vencimiento("consulta", fecha_recibo)``.

Dates go in as ISO-8601 text (naive = Bogotá) or datetimes; they come out as ISO-8601 text with offset,
which SpiffWorkflow's `timeDate` accepts and which stays JSON-native in task data. Business-day timers must
use `timeDate` with these functions: ISO durations such as ``P15D`` count calendar days.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time

from engine.legal.calendar import BusinessCalendar, LegalInputError
from engine.legal.deadlines import due_date, local_day
from engine.legal.inputs import as_moment
from engine.legal.terms import TermTable


def _time_of_day(hora: str | None) -> time | None:
    if hora is None:
        return None
    try:
        return time.fromisoformat(hora)
    except ValueError as error:
        raise LegalInputError(f"Hora no válida: «{hora}»; use HH:MM.") from error


def expression_functions(calendar: BusinessCalendar, terms: TermTable) -> dict[str, Callable[..., object]]:
    """Functions to put in the script engine's environment."""

    def dias_habiles(fecha: object, n: int, hora: str | None = None) -> str:
        """End (or `hora`) of the n-th business day after the date of `fecha`; n < 0 counts backwards."""
        day = calendar.add_business_days(local_day(calendar, as_moment(fecha, calendar.tz)), int(n)).end
        at = _time_of_day(hora)
        return (
            calendar.end_of_day(day) if at is None else datetime.combine(day, at, calendar.tz)
        ).isoformat()

    def vencimiento(tipo: str, fecha: object) -> str:
        """Due moment of a PQRSD of kind `tipo` received at `fecha` (radicación policy applied)."""
        return due_date(calendar, terms, str(tipo), as_moment(fecha, calendar.tz)).iso()

    def fecha_radicacion(fecha: object) -> str:
        return calendar.radicacion(as_moment(fecha, calendar.tz)).day.isoformat()

    def es_dia_habil(fecha: object) -> bool:
        return calendar.is_business_day(local_day(calendar, as_moment(fecha, calendar.tz)))

    return {
        "dias_habiles": dias_habiles,
        "vencimiento": vencimiento,
        "fecha_radicacion": fecha_radicacion,
        "es_dia_habil": es_dia_habil,
    }
