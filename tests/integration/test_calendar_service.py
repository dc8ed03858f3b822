"""The calendar as data: generated holidays, closures, settings, the cache, and the fallback without tables."""

from __future__ import annotations

import csv
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.errors import BadInput, NotFound
from engine.legal.terms import TermUnit
from engine.pqrsd import calendar, legal_data, recalculation
from engine.store.legal_tables import CalendarDay, CalendarYear, TermRowRecord
from engine.store.uow import UnitOfWork
from tests.conftest import DATA

BOGOTA = ZoneInfo("America/Bogota")
VECTORS = DATA / "pqrsd_due_dates.csv"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BOGOTA)


def vectors() -> list[dict[str, str]]:
    with VECTORS.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def scalar_count(ctx: Context, model: type) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_first_use_stores_holidays_of_the_window_the_seed_terms_and_the_settings(ctx: Context) -> None:
    legal_data.ensure_legal_data(ctx, actor="init")

    with UnitOfWork(ctx.db, write=False) as uow:
        years = dict(uow.session.execute(select(CalendarYear.year, CalendarYear.holiday_count)).all())
        chiquinquira = uow.session.get(CalendarDay, date(2026, 7, 13))
        assert chiquinquira is not None
        assert (chiquinquira.source_act, "Chiquinquirá" in chiquinquira.name) == ("Ley 2578 de 2026", True)
    assert years == {2025: 17, 2026: 19, 2027: 19, 2028: 19}  # the clock says 2026
    assert scalar_count(ctx, TermRowRecord) > 20
    assert calendar.get_settings(ctx) == {
        "saturday_is_business_day": False, "closing_time": "17:00", "saturday_closing_time": "12:00",
        "radicacion_policy": "A", "timezone": "America/Bogota", "suspension_mode": "resume",
    }  # fmt: skip
    legal_data.ensure_legal_data(ctx)  # idempotent
    assert scalar_count(ctx, CalendarYear) == 4


def test_every_vector_of_the_shared_csv_from_the_database_calendar(ctx: Context) -> None:
    for row in vectors():
        due = calendar.due(ctx, datetime.fromisoformat(row["filed_at"]), int(row["business_days"]))
        assert due.day.isoformat() == row["expected_due_date"], row


def test_batch_matches_the_vectors_in_order(ctx: Context) -> None:
    rows = vectors()
    lines = [f"{r['filed_at']},{r['business_days']}" for r in rows]
    assert calendar.due_batch(ctx, lines) == [
        f"{line},{r['expected_due_date']}" for line, r in zip(lines, rows, strict=True)
    ]


def test_years_far_from_today_are_generated_on_demand(ctx: Context) -> None:
    assert calendar.due(ctx, at("2099-12-30T10:00"), 3).day == date(2100, 1, 5)
    assert calendar.due_batch(ctx, ["1990-03-01T10:00,15"]) == [
        "1990-03-01T10:00,15,1990-03-23"
    ]  # San José Mon 19 Mar 1990
    assert calendar.due(ctx, date(2026, 1, 30), 1, TermUnit.MESES).day == date(2026, 3, 2)


def test_holidays_lists_national_holidays_with_their_act_and_the_entity_closures(ctx: Context) -> None:
    recalculation.close_day(ctx, date(2026, 12, 24), reason="Nochebuena", legal_act="Resolución 10 de 2026")

    rows = calendar.holidays(ctx, 2026)

    festivos = [r for r in rows if r["kind"] == "festivo"]
    assert len(festivos) == 19
    assert {"date": "2026-07-13", "weekday": "lunes", "source_act": "Ley 2578 de 2026"}.items() <= festivos[
        10
    ].items()
    assert rows[-2] == {"date": "2026-12-24", "weekday": "jueves", "kind": "cierre", "name": "Nochebuena",
                        "source_act": "Resolución 10 de 2026"}  # fmt: skip
    assert len([r for r in calendar.holidays(ctx, 2031) if r["kind"] == "festivo"]) == 19


def test_a_closure_moves_due_dates_and_reopening_restores_them(ctx: Context) -> None:
    received = at("2026-12-18T08:00")
    assert calendar.due(ctx, received, 10).day == date(2027, 1, 5)  # CSV row 7

    recalculation.close_day(ctx, date(2026, 12, 24), reason="Nochebuena", legal_act="Resolución 10 de 2026")
    recalculation.close_day(ctx, date(2026, 12, 31), reason="Fin de año", legal_act="Resolución 10 de 2026")
    closed = calendar.due(ctx, received, 10)

    assert closed.day == date(2027, 1, 7)
    assert any("Nochebuena" in line and "Resolución 10 de 2026" in line for line in closed.trace)
    recalculation.reopen_day(ctx, date(2026, 12, 31))
    assert calendar.due(ctx, received, 10).day == date(2027, 1, 6)
    assert [c["date"] for c in calendar.closures(ctx)] == ["2026-12-24"]
    assert [c["removed_at"] is not None for c in calendar.closures(ctx, include_removed=True)] == [
        False,
        True,
    ]


def test_closing_a_closed_day_or_reopening_an_open_one_is_refused(ctx: Context) -> None:
    recalculation.close_day(ctx, date(2026, 12, 24), reason="Nochebuena")
    with pytest.raises(BadInput, match="ya está registrado"):
        recalculation.close_day(ctx, date(2026, 12, 24), reason="Otra vez")
    with pytest.raises(NotFound, match="No hay un cierre"):
        recalculation.reopen_day(ctx, date(2026, 12, 23))
    with pytest.raises(BadInput, match="motivo"):
        recalculation.close_day(ctx, date(2026, 12, 23), reason="  ")
    assert [c["legal_act"] for c in calendar.closures(ctx)] == ["Sin acto administrativo registrado"]


def test_a_saturday_working_entity_counts_saturdays(ctx: Context) -> None:
    calendar.update_settings(ctx, {"saturday_is_business_day": True}, actor="admin")
    assert calendar.due(ctx, at("2026-08-08T11:00"), 15).day == date(2026, 8, 27)  # PQRSD_RULES §5
    calendar.update_settings(ctx, {"radicacion_policy": "B", "saturday_is_business_day": False})
    assert calendar.due(ctx, at("2026-07-10T17:30"), 15).day == date(2026, 8, 4)  # row 16 under policy B


@pytest.mark.parametrize(
    ("name", "value", "problem"),
    [("closing_time", "25:00", "Hora no válida"), ("radicacion_policy", "C", "Política"),
     ("timezone", "Mars/Olympus", "Zona horaria"), ("suspension_mode", "pause", "Modo de suspensión")],
)  # fmt: skip
def test_bad_settings_are_refused(ctx: Context, name: str, value: str, problem: str) -> None:
    with pytest.raises(BadInput, match=problem):
        calendar.update_settings(ctx, {name: value})
    assert calendar.get_settings(ctx)[name] != value


def test_expression_functions_read_the_database_calendar_and_see_new_closures(ctx: Context) -> None:
    dias_habiles = ctx.functions["dias_habiles"]
    assert dias_habiles("2026-03-18", 10) == "2026-04-06T23:59:59-05:00"
    assert ctx.functions["es_dia_habil"]("2026-04-06") is True

    recalculation.close_day(ctx, date(2026, 4, 6), reason="Día cívico")

    assert ctx.functions["es_dia_habil"]("2026-04-06") is False
    assert dias_habiles("2026-03-18", 10) == "2026-04-07T23:59:59-05:00"
    assert ctx.functions["fecha_radicacion"]("2026-04-06T09:00") == "2026-04-07"
    assert ctx.functions["vencimiento"]("peticion_general", "2026-03-18T10:00") == "2026-04-14T23:59:59-05:00"


def test_another_process_sees_a_closure_once_its_cache_checks_the_revision(
    ctx: Context, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = create_context(ctx.settings, clock=clock)  # same database, its own cache (another process)
    try:
        assert other.functions["es_dia_habil"]("2026-04-06") is True
        recalculation.close_day(ctx, date(2026, 4, 6), reason="Día cívico")
        monkeypatch.setattr(legal_data, "REVISION_TTL_SECONDS", 0.0)
        assert other.functions["es_dia_habil"]("2026-04-06") is False
    finally:
        other.db.dispose()


def test_without_legal_tables_dates_come_from_the_built_in_calendar_and_nothing_is_created(
    tmp_path: Path, clock: FrozenClock
) -> None:
    path = tmp_path / "instance" / "phva.db"
    fresh = create_context(Settings(database_url=f"sqlite:///{path}", instance_dir=tmp_path), clock=clock)
    try:
        assert calendar.due(fresh, at("2026-07-10T17:30"), 15).day == date(2026, 8, 5)
        assert fresh.functions["vencimiento"]("consulta", "2025-12-05T09:30") == "2026-01-22T23:59:59-05:00"
        assert len(calendar.holidays(fresh, 2027)) == 19
        assert not path.exists()
        with pytest.raises(legal_data.LegalTablesMissing, match="phva init"):
            recalculation.close_day(fresh, date(2026, 12, 24), reason="Nochebuena")
    finally:
        fresh.db.dispose()
