"""Invariants of the calendar over many filings (hypothesis)."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.legal.calendar import BusinessCalendar, RadicacionPolicy
from engine.legal.deadlines import due_in

BOGOTA = ZoneInfo("America/Bogota")
CALENDAR = BusinessCalendar.colombia(range(2024, 2030))
POLICY_B = CALENDAR.with_settings(radicacion_policy=RadicacionPolicy.B)

filings = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda value: value.replace(tzinfo=BOGOTA)
)
days = st.integers(min_value=0, max_value=60)
SETTINGS = settings(max_examples=150, deadline=None)


@SETTINGS
@given(filings, days)
def test_due_is_a_business_day_at_end_of_day(filed: datetime, n: int) -> None:
    due = due_in(CALENDAR, filed, n)
    assert CALENDAR.is_business_day(due.day)
    assert due.value.timetz().isoformat() == "23:59:59"
    assert len(due.counted) == n and all(CALENDAR.is_business_day(day) for day in due.counted)


@SETTINGS
@given(filings, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=20)), days)
def test_due_is_monotonic_in_filing_time(filed: datetime, later_by: timedelta, n: int) -> None:
    assert due_in(CALENDAR, filed, n).value <= due_in(CALENDAR, filed + later_by, n).value


@SETTINGS
@given(filings, days)
def test_one_more_day_is_strictly_later(filed: datetime, n: int) -> None:
    assert due_in(CALENDAR, filed, n + 1).value > due_in(CALENDAR, filed, n).value


@SETTINGS
@given(filings, st.integers(min_value=1, max_value=60))
def test_policies_differ_by_at_most_one_business_day(filed: datetime, n: int) -> None:
    a, b = due_in(CALENDAR, filed, n).day, due_in(POLICY_B, filed, n).day
    assert b <= a
    assert CALENDAR.business_days_between(b, a) <= 1


@SETTINGS
@given(filings, days)
def test_radicacion_is_a_business_day_not_before_receipt(filed: datetime, n: int) -> None:
    radicado = CALENDAR.radicacion(filed).day
    assert CALENDAR.is_business_day(radicado) and radicado >= filed.date()
    assert CALENDAR.radicacion(radicado).day == radicado


@SETTINGS
@given(filings, st.integers(min_value=1, max_value=40))
def test_counting_back_undoes_counting_forward(filed: datetime, n: int) -> None:
    start = CALENDAR.radicacion(filed).day
    end = CALENDAR.add_business_days(start, n).end
    assert CALENDAR.add_business_days(end, -n).end == start
