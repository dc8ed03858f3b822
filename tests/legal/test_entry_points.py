"""What the CLI, the BPMN expression layer and the recalculation job call."""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.legal.batch import BatchLineError, due_batch
from engine.legal.calendar import BusinessCalendar, Closure
from engine.legal.deadlines import Suspension
from engine.legal.expressions import expression_functions
from engine.legal.inputs import parse_moment
from engine.legal.recalculation import OpenItem, recalculate
from engine.legal.terms import TermTable, TermUnit

BOGOTA = ZoneInfo("America/Bogota")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-07-10", date(2026, 7, 10)),
        ("2026-07-10T17:30", datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA)),
        ("2026-07-10 17:30", datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA)),
        ("2026-07-10 17:30:15", datetime(2026, 7, 10, 17, 30, 15, tzinfo=BOGOTA)),
        ("2026-07-10T17:30:00-05:00", datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA)),
        ("2026-07-10T22:30:00Z", datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA)),
        (" 2026-07-10T22:30+0000 ", datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA)),
    ],
)
def test_parse_moment_accepts_the_cli_formats(text: str, expected: date) -> None:
    assert parse_moment(text) == expected


@pytest.mark.parametrize(
    "text", ["10/07/2026", "2026-7-10", "2026-13-01", "2026-02-30", "mañana", "2026-07-10T25:00"]
)
def test_parse_moment_rejects_in_spanish(text: str) -> None:
    with pytest.raises(ValueError, match="Fecha u hora"):
        parse_moment(text)


def test_batch_keeps_order_and_applies_radicacion(calendar: BusinessCalendar) -> None:
    out = due_batch(
        calendar, ["2026-07-10T17:30:00-05:00,15", "", "# comment", "2026-07-10 16:00,15", "2026-03-18,0"]
    )
    assert out == [
        "2026-07-10T17:30:00-05:00,15,2026-08-05",
        "2026-07-10 16:00,15,2026-08-04",
        "2026-03-18,0,2026-03-18",
    ]


@pytest.mark.parametrize(
    ("line", "problem"),
    [
        ("2026-07-10", "2 campos"),
        ("2026-07-40,15", "inexistente"),
        ("2026-07-10,quince", "entero"),
        ("2026-07-10,-1", "positivo"),
    ],
)
def test_batch_bad_line_names_the_line(calendar: BusinessCalendar, line: str, problem: str) -> None:
    with pytest.raises(BatchLineError, match=f"^Línea 2: «{line}»: .*{problem}") as info:
        due_batch(calendar, ["2026-07-10,15", line])
    assert info.value.number == 2 and info.value.exit_code == 2


def test_expression_functions_return_iso_strings(calendar: BusinessCalendar, terms: TermTable) -> None:
    fns = expression_functions(calendar, terms)
    assert fns["vencimiento"]("peticion_general", "2026-07-10T17:30:00-05:00") == "2026-08-05T23:59:59-05:00"
    assert fns["fecha_radicacion"]("2026-07-10T17:30") == "2026-07-14"
    assert fns["dias_habiles"]("2026-03-18", 5) == "2026-03-26T23:59:59-05:00"
    assert fns["dias_habiles"]("2026-08-05T23:59:59-05:00", -3, "08:00") == "2026-07-31T08:00:00-05:00"
    assert fns["dias_habiles"](datetime(2026, 3, 18, 10, tzinfo=BOGOTA), 0) == "2026-03-18T23:59:59-05:00"
    assert fns["es_dia_habil"]("2026-07-13") is False
    assert json.dumps(fns["vencimiento"]("consulta", date(2025, 12, 5)))


def test_radicacion_is_idempotent_on_its_own_output(calendar: BusinessCalendar, terms: TermTable) -> None:
    fns = expression_functions(calendar, terms)
    radicado = fns["fecha_radicacion"]("2026-07-10T17:30")
    assert fns["vencimiento"]("peticion_general", radicado) == "2026-08-05T23:59:59-05:00"


def test_hours_and_calendar_units(calendar: BusinessCalendar) -> None:
    from engine.legal.deadlines import due_in

    hours = due_in(calendar, datetime(2026, 7, 10, 17, 30, tzinfo=BOGOTA), 24, TermUnit.HORAS)
    assert hours.value == datetime(2026, 7, 11, 17, 30, tzinfo=BOGOTA)
    days = due_in(calendar, date(2026, 7, 3), 10, TermUnit.CALENDARIO)
    assert days.day == date(2026, 7, 14)  # 13 Jul is Chiquinquirá: rolled to Tuesday
    months = due_in(calendar, date(2026, 1, 30), 1, TermUnit.MESES)
    assert months.day == date(2026, 3, 2)


def test_recalculation_reports_only_changed_items(calendar: BusinessCalendar, terms: TermTable) -> None:
    closure = Closure(date(2026, 12, 24), "Cierre por jornada compensada", "Resolución 123 de 2026")
    items = [
        OpenItem("A", date(2026, 12, 18), kind="informacion_documentos"),
        OpenItem("B", date(2026, 12, 28), amount=3),
        OpenItem(
            "C", date(2026, 12, 1), kind="peticion_general", suspensions=(Suspension(date(2026, 12, 3)),)
        ),
    ]
    changes = recalculate(items, calendar, terms, [closure])
    assert [(c.id, c.old.day, c.new.day, c.earlier) for c in changes] == [
        ("A", date(2027, 1, 5), date(2027, 1, 6), False)
    ]
    assert "Cierre por jornada compensada" in changes[0].new.text()
    reopened = recalculate(items, calendar.with_closures([closure]), terms, [])
    assert [(c.id, c.earlier) for c in reopened] == [("A", True)]
    assert json.loads(json.dumps(reopened[0].to_dict()))["new_due_date"] == "2027-01-05"
