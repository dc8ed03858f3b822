"""The scenarios of PQRSD_RULES.md §5 that are not a plain "add N business days"."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from engine.legal.calendar import BusinessCalendar, SuspensionMode
from engine.legal.deadlines import Suspension, due_date, due_in
from engine.legal.prorroga import prorroga_limits
from engine.legal.suspension import aclaracion_deadline, citizen_deadline, requerimiento_deadline
from engine.legal.terms import TermTable
from tests.legal.conftest import d

BOGOTA = ZoneInfo("America/Bogota")
RADICACION = datetime(2026, 3, 18, 10, 0, tzinfo=BOGOTA)
SUSPENSION = Suspension(requerimiento_at=date(2026, 3, 25), compliance_at=date(2026, 4, 8))


def test_art17_resume_keeps_the_days_already_used(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = due_date(calendar, terms, "peticion_general", RADICACION, suspensions=[SUSPENSION])
    assert due.day == d("2026-04-23")
    assert "días hábiles corridos hasta ese día: 4" in due.text()


def test_art17_restart_counts_the_full_term_again(calendar: BusinessCalendar, terms: TermTable) -> None:
    restart = calendar.with_settings(suspension_mode=SuspensionMode.RESTART)
    due = due_date(restart, terms, "peticion_general", RADICACION, suspensions=[SUSPENSION])
    assert due.day == d("2026-04-29")
    assert "se reinicia completo (15 días hábiles)" in due.text()


def test_without_requerimiento_the_original_due_is_13_april(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    assert due_date(calendar, terms, "peticion_general", RADICACION).day == d("2026-04-13")


def test_art17_latest_requerimiento(calendar: BusinessCalendar, terms: TermTable) -> None:
    assert requerimiento_deadline(calendar, terms, RADICACION).day == d("2026-04-06")


def test_citizen_month_rolls_from_saturday_to_monday(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = citizen_deadline(calendar, terms, date(2026, 3, 25))
    assert due.day == d("2026-04-27")
    assert "sábado 25 de abril de 2026" in due.text()
    assert "Ley 4 de 1913, art. 62" in due.text()


def test_citizen_month_with_extension(calendar: BusinessCalendar, terms: TermTable) -> None:
    assert citizen_deadline(calendar, terms, date(2026, 3, 25), extended=True).day == d("2026-05-25")


def test_month_end_edge_30_january(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = citizen_deadline(calendar, terms, date(2026, 1, 30))
    assert due.day == d("2026-03-02")
    assert "sábado 28 de febrero de 2026" in due.text()


def test_prorroga_general_notice_and_maximum(calendar: BusinessCalendar, terms: TermTable) -> None:
    limits = prorroga_limits(calendar, terms, "peticion_general", RADICACION)
    assert limits.original.day == d("2026-04-13")
    assert limits.max_due.day == d("2026-05-05")


def test_habeas_data_consulta_and_extension(calendar: BusinessCalendar, terms: TermTable) -> None:
    limits = prorroga_limits(calendar, terms, "habeas_data_consulta", date(2026, 5, 14))
    assert (limits.original.day, limits.max_due.day) == (d("2026-05-29"), d("2026-06-05"))


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("habeas_data_reclamo", "2026-06-05"),
        ("habeas_data_requerimiento", "2026-05-22"),
        ("habeas_data_nota_en_tramite", "2026-05-19"),
        ("habeas_data_traslado", "2026-05-19"),
    ],
)
def test_habeas_data_reclamo_terms(
    calendar: BusinessCalendar, terms: TermTable, kind: str, expected: str
) -> None:
    assert due_date(calendar, terms, kind, date(2026, 5, 14)).day == d(expected)


def test_habeas_data_reclamo_maximum_extension(calendar: BusinessCalendar, terms: TermTable) -> None:
    assert prorroga_limits(calendar, terms, "habeas_data_reclamo", date(2026, 5, 14)).max_due.day == d(
        "2026-06-19"
    )


def test_art19_clarification_window(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = aclaracion_deadline(calendar, terms, date(2026, 3, 20))
    assert due.day == d("2026-04-08")
    assert "festivo «Jueves Santo»" in due.text()


def test_saturday_working_entity(calendar: BusinessCalendar) -> None:
    saturdays = calendar.with_settings(saturday_is_business_day=True, saturday_closing_time=time(12, 0))
    due = due_in(saturdays, datetime(2026, 8, 8, 11, 0, tzinfo=BOGOTA), 15)
    assert due.radicacion_date == d("2026-08-08")
    assert d("2026-08-15") in due.counted and d("2026-08-22") in due.counted
    assert d("2026-08-17") not in due.counted
    assert due.day == d("2026-08-27")


def test_saturday_working_entity_after_saturday_closing(calendar: BusinessCalendar) -> None:
    saturdays = calendar.with_settings(saturday_is_business_day=True)
    assert saturdays.radicacion(datetime(2026, 8, 8, 12, 30, tzinfo=BOGOTA)).day == d("2026-08-10")
