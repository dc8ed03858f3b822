"""The trace a Colombian official reads beside each date."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

from engine.legal.calendar import BusinessCalendar, Closure
from engine.legal.deadlines import due_date, due_in
from engine.legal.terms import TermTable

BOGOTA = ZoneInfo("America/Bogota")
ROW16 = datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA)


def test_row16_friday_after_closing_before_holiday_monday_reads_correctly(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    lines = due_date(calendar, terms, "peticion_general", ROW16).trace
    assert lines[0] == "Recibida el viernes 10 de julio de 2026 a las 17:30 (hora de Bogotá)."
    assert lines[1] == (
        "Fecha de radicación: martes 14 de julio de 2026. Motivo (política A): recibida a las 17:30, "
        "a la hora de cierre (17:00) o después; se radica el siguiente día hábil."
    )
    assert lines[2] == (
        "Días no hábiles antes de la radicación: sábado 11 de julio de 2026; domingo 12 de julio de 2026; "
        "lunes 13 de julio de 2026, festivo «Día de Nuestra Señora del Rosario de Chiquinquirá, "
        "Ley 2578 de 2026 (trasladado al lunes, Ley 51 de 1983)»."
    )
    assert lines[3].startswith(
        "Término (petición de interés general o particular): 15 días hábiles, contados "
    )
    assert "Fundamento: Art. 14 CPACA" in lines[3]
    assert lines[4] == "Día 1: miércoles 15 de julio de 2026."
    assert lines[5] == (
        "Días contados (15): 15, 16, 17, 21, 22, 23, 24, 27, 28, 29, 30, 31 de julio; "
        "3, 4, 5 de agosto de 2026."
    )
    assert lines[6] == "No se cuenta el lunes 20 de julio de 2026: festivo «Día de la Independencia»."
    assert lines[7] == "Tampoco se cuentan 3 sábados y 3 domingos."
    assert lines[8] == "Día 15 (último día del término): miércoles 5 de agosto de 2026."
    assert lines[9].startswith(
        "Vence el miércoles 5 de agosto de 2026 a las 23:59:59 (hora de Bogotá) — 2026-08-06T04:59:59Z en UTC"
    )


def test_to_dict_is_json_native_and_complete(calendar: BusinessCalendar, terms: TermTable) -> None:
    data = due_date(calendar, terms, "peticion_general", ROW16).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["due_date"] == "2026-08-05"
    assert data["due_at"] == "2026-08-05T23:59:59-05:00"
    assert data["due_at_utc"] == "2026-08-06T04:59:59Z"
    assert data["received_at"] == "2026-07-10T17:30:00-05:00"
    assert data["radicacion_date"] == "2026-07-14"
    assert {"date": "2026-07-20", "reason": "festivo «Día de la Independencia»"} in data["skipped_days"]  # type: ignore[operator]


def test_received_in_another_timezone_is_shown_in_bogota_time(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    due = due_date(calendar, terms, "peticion_general", datetime.fromisoformat("2026-07-10T22:30:00+00:00"))
    assert due.trace[0] == "Recibida el viernes 10 de julio de 2026 a las 17:30 (hora de Bogotá)."
    assert due.day == date(2026, 8, 5)


def test_closures_are_skipped_by_name_with_their_act(calendar: BusinessCalendar) -> None:
    closed = calendar.with_closures(
        [
            Closure(date(2026, 12, 24), "Cierre por jornada compensada", "Resolución 123 de 2026"),
            Closure(date(2026, 12, 31), "Cierre por jornada compensada", "Resolución 123 de 2026"),
        ]
    )
    plain = due_in(calendar, date(2026, 12, 18), 10)
    due = due_in(closed, date(2026, 12, 18), 10)
    assert (plain.day, due.day) == (date(2027, 1, 5), date(2027, 1, 7))
    assert (
        "No se cuenta el jueves 24 de diciembre de 2026: cierre de la entidad "
        "«Cierre por jornada compensada», Resolución 123 de 2026."
    ) in due.trace
    assert "No se cuenta el viernes 25 de diciembre de 2026: festivo «Navidad»." in due.trace


def test_filing_on_a_holiday_explains_why(calendar: BusinessCalendar) -> None:
    due = due_in(calendar, datetime(2026, 12, 8, 10, 0, tzinfo=BOGOTA), 15)
    assert "recibida en día no hábil (festivo «La Inmaculada Concepción»)" in due.trace[1]


def test_date_only_filing_says_no_hour(calendar: BusinessCalendar) -> None:
    assert due_in(calendar, date(2026, 3, 18), 15).trace[0] == (
        "Recibida el miércoles 18 de marzo de 2026 (sin hora registrada)."
    )
