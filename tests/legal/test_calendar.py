"""Holidays from the `holidays` package, approved years, term table versions."""

from __future__ import annotations

from datetime import date
from importlib.metadata import version

import pytest

from engine.legal.calendar import (
    BusinessCalendar,
    CalendarUnavailable,
    colombian_holidays,
    holiday_source_act,
)
from engine.legal.terms import TermRow, TermTable, TermUnit, seed_term_rows
from tests.legal.conftest import d

# PQRSD_RULES.md §3.2, the published lists
OFFICIAL = {
    2025: "01-01 01-06 03-24 04-17 04-18 05-01 06-02 06-23 06-30 07-20 08-07 08-18 10-13 11-03 11-17 "
    "12-08 12-25",
    2026: "01-01 01-12 03-23 04-02 04-03 05-01 05-18 06-08 06-15 06-29 07-13 07-20 08-07 08-17 10-12 11-02 "
    "11-16 12-08 12-25",
    2027: "01-01 01-11 03-22 03-25 03-26 05-01 05-10 05-31 06-07 07-05 07-12 07-20 08-07 08-16 10-18 11-01 "
    "11-15 12-08 12-25",
}


@pytest.mark.parametrize("year", sorted(OFFICIAL))
def test_generated_holidays_equal_the_official_list(year: int) -> None:
    expected = {d(f"{year}-{md}") for md in OFFICIAL[year].split()}
    assert set(colombian_holidays([year])) == expected


def test_installed_holidays_package_includes_ley_2578() -> None:
    major, minor = (int(p) for p in version("holidays").split(".")[:2])
    assert (major, minor) >= (0, 99)
    names = colombian_holidays([2026, 2027])
    assert "Chiquinquirá" in names[date(2026, 7, 13)] and "Chiquinquirá" in names[date(2027, 7, 12)]
    assert holiday_source_act(names[date(2026, 7, 13)]) == "Ley 2578 de 2026"
    assert holiday_source_act(names[date(2026, 1, 12)]) == "Ley 51 de 1983"


def test_coinciding_holidays_keep_both_names_on_one_date() -> None:
    assert colombian_holidays([2025])[date(2025, 6, 30)] == (
        "Sagrado Corazón (trasladado al lunes, Ley 51 de 1983); "
        "San Pedro y San Pablo (trasladado al lunes, Ley 51 de 1983)"
    )


def test_holy_week_monday_to_wednesday_are_business_days(calendar: BusinessCalendar) -> None:
    assert all(calendar.is_business_day(date(2026, 3, day)) for day in (30, 31))
    assert calendar.is_business_day(date(2026, 4, 1))
    assert not calendar.is_business_day(date(2026, 4, 2))


def test_24_and_31_december_are_business_days_unless_closed(calendar: BusinessCalendar) -> None:
    assert calendar.is_business_day(date(2026, 12, 24)) and calendar.is_business_day(date(2026, 12, 31))


def test_a_year_without_an_approved_calendar_is_refused() -> None:
    short = BusinessCalendar.colombia([2026])
    with pytest.raises(CalendarUnavailable, match="2027"):
        short.add_business_days(date(2026, 12, 18), 10)


def test_the_holiday_mapping_is_data_a_court_ruling_can_remove(calendar: BusinessCalendar) -> None:
    without = {day: name for day, name in calendar.holidays.items() if "Chiquinquirá" not in name}
    struck = BusinessCalendar(without, years=calendar.years)
    assert struck.add_business_days(date(2026, 7, 3), 15).end == date(2026, 7, 27)


def test_term_table_picks_the_row_in_force_at_filing() -> None:
    table = TermTable(seed_term_rows())
    assert table.row("peticion_general", date(2021, 6, 1)).amount == 30  # Decreto 491 de 2020
    assert table.row("peticion_general", date(2022, 5, 17)).amount == 30
    assert table.row("peticion_general", date(2022, 5, 18)).amount == 15
    assert table.row("consulta", date(2019, 1, 1)).amount == 30


def test_term_table_rejects_overlaps_and_unknown_kinds() -> None:
    row = TermRow("x", 5, TermUnit.HABILES, date(2020, 1, 1), None, "Ley", "X")
    with pytest.raises(ValueError, match="superpuestos"):
        TermTable([row, TermRow("x", 6, TermUnit.HABILES, date(2021, 1, 1), None, "Ley", "X")])
    with pytest.raises(ValueError, match="desconocido"):
        TermTable([row]).row("y", date(2021, 1, 1))


def test_term_rows_round_trip_as_dicts_and_change_the_version() -> None:
    rows = seed_term_rows()
    assert [TermRow.from_dict(r.to_dict()) for r in rows] == rows
    edited = [*rows[:-1], TermRow.from_dict({**rows[-1].to_dict(), "amount": 7})]
    assert TermTable(rows).version != TermTable(edited).version
