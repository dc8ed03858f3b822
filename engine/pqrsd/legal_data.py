"""Legal data as rows, read once per process: holidays generated into rows, closures, settings, terms.

Everything that computes a legal date goes through `with_legal`, which hands the pure core
(`engine.legal`) a calendar covering the years the computation needs. The calendar and the term table
are read once per process and kept until a closure, setting or term edit bumps the revision
(`entity_settings.revision`), checked at most every REVISION_TTL_SECONDS.

A database without the legal tables (a fresh directory, or a schema older than these tables) still
answers date questions with the built-in Colombian calendar and the seed term table; writes then fail
with a message asking for `phva init`.
"""

from __future__ import annotations

import time as monotonic_time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from importlib.metadata import version as package_version
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, PhvaError
from engine.legal.cache import LegalCache, LegalStored
from engine.legal.calendar import (
    BusinessCalendar,
    CalendarSettings,
    CalendarUnavailable,
    Closure,
    RadicacionPolicy,
    SuspensionMode,
    colombian_holidays,
    holiday_source_act,
)
from engine.legal.terms import TermRow, TermTable, TermUnit, seed_term_rows
from engine.store.legal_tables import (
    CalendarClosure,
    CalendarDay,
    CalendarYear,
    EntitySettings,
    TermRowRecord,
    TermVersion,
)
from engine.store.uow import UnitOfWork

T = TypeVar("T")

GENERATOR = f"holidays {package_version('holidays')}"
SETTINGS_ID = 1
STORED_WINDOW = (-1, 2)  # years kept as rows around the current one: last year … two years ahead
REVISION_TTL_SECONDS = 5.0
FIRST_YEAR, LAST_YEAR = 1901, 2100  # what the `holidays` package covers for Colombia
LEGAL_TABLES = frozenset(
    {"calendar_years", "calendar_days", "calendar_closures", "entity_settings", "term_versions", "term_rows"}
)


class LegalTablesMissing(PhvaError):
    """The database predates the calendar tables: only `phva init` (migrations) can add them."""


@dataclass(frozen=True)
class LegalSnapshot:
    calendar: BusinessCalendar
    terms: TermTable
    term_version: int | None  # None: the built-in seed table (no legal tables in the database)
    from_database: bool


# ---- availability and first use ---------------------------------------------------------------
def tables_ready(ctx: Context) -> bool:
    cache = ctx.legal
    if cache.tables:
        return True
    if cache.tables is False and monotonic_time.monotonic() - cache.checked_at < REVISION_TTL_SECONDS:
        return False
    url = make_url(ctx.db.url)
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(str(url.database)).exists():  # never create an empty database file just to look
        cache.tables, cache.checked_at = False, monotonic_time.monotonic()
        return False
    with ctx.db.read_engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
    cache.tables, cache.checked_at = present >= LEGAL_TABLES, monotonic_time.monotonic()
    return cache.tables


def require_tables(ctx: Context) -> None:
    if not tables_ready(ctx):
        raise LegalTablesMissing(
            "La base de datos no tiene las tablas del calendario y de términos: ejecute `phva init`."
        )


def stored_window(ctx: Context) -> frozenset[int]:
    year = ctx.clock.now().astimezone(ZoneInfo(ctx.settings.timezone)).year
    return frozenset(range(year + STORED_WINDOW[0], year + STORED_WINDOW[1] + 1))


def ensure_legal_data(ctx: Context, years: Iterable[int] = (), *, actor: str | None = None) -> None:
    """First use: the settings row, the seed term table and the holidays of the stored window as rows."""
    if not tables_ready(ctx):
        return
    cache = ctx.legal
    wanted = stored_window(ctx) | frozenset(y for y in years if FIRST_YEAR <= y <= LAST_YEAR)
    if wanted <= cache.ensured_years:
        return
    try:
        with UnitOfWork(ctx.db) as uow:
            changed = _ensure(ctx, uow.session, wanted, actor)
            uow.commit()
    except IntegrityError:  # another process seeded the same rows first: theirs are as good
        changed = True
    cache.ensured_years |= wanted
    if changed:
        cache.invalidate()


def _ensure(ctx: Context, session: Session, years: frozenset[int], actor: str | None) -> bool:
    now, changed = ctx.clock.now(), False
    if session.get(EntitySettings, SETTINGS_ID) is None:
        defaults = CalendarSettings(timezone=ctx.settings.timezone)
        session.add(
            EntitySettings(
                id=SETTINGS_ID, **_settings_columns(defaults), revision=1, updated_at=now, updated_by=actor
            )
        )
        changed = True
    if session.scalar(select(TermVersion.version).limit(1)) is None:
        rows = seed_term_rows()
        store_term_version(session, 1, rows, note="Tabla inicial (PQRSD_RULES §1)", at=now, actor=actor)
        changed = True
    missing = sorted(
        years - set(session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(years))))
    )
    if missing:
        generated = colombian_holidays(missing)
        for year in missing:
            days = {d: n for d, n in generated.items() if d.year == year}
            session.add(
                CalendarYear(
                    year=year,
                    generator=GENERATOR,
                    holiday_count=len(days),
                    generated_at=now,
                    generated_by=actor,
                )
            )
            session.flush()
            if days:
                session.execute(
                    insert(CalendarDay),
                    [
                        {"day": d, "year": year, "name": n, "source_act": holiday_source_act(n)}
                        for d, n in days.items()
                    ],
                )
        changed = True
    return changed


def store_term_version(
    session: Session, version: int, rows: Iterable[TermRow], *, note: str, at: datetime, actor: str | None
) -> TermTable:
    table = TermTable(rows)  # refuses overlapping rows before anything is written
    session.add(
        TermVersion(version=version, fingerprint=table.version, note=note, created_at=at, created_by=actor)
    )
    session.flush()
    session.execute(
        insert(TermRowRecord),
        [
            {
                "version": version,
                "kind": r.kind,
                "amount": r.amount,
                "unit": r.unit.value,
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
                "legal_basis": r.legal_basis,
                "label": r.label,
                "prorroga_max": r.prorroga_max,
            }
            for r in table
        ],
    )
    return table


def bump_revision(session: Session, ctx: Context, actor: str | None) -> None:
    session.execute(
        update(EntitySettings)
        .where(EntitySettings.id == SETTINGS_ID)
        .values(revision=EntitySettings.revision + 1, updated_at=ctx.clock.now(), updated_by=actor)
    )


# ---- reading ----------------------------------------------------------------------------------
def load_terms(session: Session, version: int) -> TermTable:
    records = session.scalars(select(TermRowRecord).where(TermRowRecord.version == version))
    return TermTable(
        TermRow(
            r.kind,
            r.amount,
            TermUnit(r.unit),
            r.valid_from,
            r.valid_to,
            r.legal_basis,
            r.label,
            r.prorroga_max,
        )
        for r in records
    )


def _read_stored(ctx: Context) -> LegalStored:
    if not tables_ready(ctx):
        return LegalStored(
            {},
            frozenset(),
            (),
            CalendarSettings(timezone=ctx.settings.timezone),
            TermTable(seed_term_rows()),
            None,
            0,
            False,
        )
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        row = session.get(EntitySettings, SETTINGS_ID)
        settings = settings_from_row(row) if row else CalendarSettings(timezone=ctx.settings.timezone)
        revision = row.revision if row else 0
        years = frozenset(session.scalars(select(CalendarYear.year)))
        holidays = {d.day: (d.name, d.source_act) for d in session.scalars(select(CalendarDay))}
        closures = tuple(
            Closure(c.day, c.reason, c.legal_act)
            for c in session.scalars(select(CalendarClosure).where(CalendarClosure.removed_at.is_(None)))
        )
        version = session.scalar(select(TermVersion.version).order_by(TermVersion.version.desc()).limit(1))
        terms = load_terms(session, version) if version is not None else TermTable(seed_term_rows())
    return LegalStored(holidays, years, closures, settings, terms, version, revision, True)


def _current_revision(ctx: Context) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return (
            uow.session.scalar(select(EntitySettings.revision).where(EntitySettings.id == SETTINGS_ID)) or 0
        )


def _stored(ctx: Context, cache: LegalCache) -> LegalStored:
    now = monotonic_time.monotonic()
    stale = now - cache.revision_checked_at >= REVISION_TTL_SECONDS
    if cache.stored is not None and cache.stored.from_database and stale:
        cache.revision_checked_at = now
        if _current_revision(ctx) != cache.stored.revision:  # another process changed the calendar
            cache.invalidate()
    if cache.stored is None or (not cache.stored.from_database and tables_ready(ctx)):
        cache.stored, cache.revision_checked_at = _read_stored(ctx), now
        cache.calendars.clear()
    return cache.stored


def snapshot(ctx: Context, years: Iterable[int]) -> LegalSnapshot:
    """The calendar covering `years` (stored rows where present, generated otherwise) and the terms."""
    cache = ctx.legal
    wanted = frozenset(y for y in years if FIRST_YEAR <= y <= LAST_YEAR)
    with cache.lock:
        stored = _stored(ctx, cache)
        key = wanted | stored.years
        calendar = cache.calendars.get(key)
        if calendar is None:
            holidays = {d: name for d, (name, _) in stored.holidays.items()}
            for year in sorted(wanted - stored.years):
                if year not in cache.generated:
                    cache.generated[year] = colombian_holidays([year])
                holidays.update(cache.generated[year])
            calendar = BusinessCalendar(
                holidays=holidays,
                closures={c.day: c for c in stored.closures},
                settings=stored.settings,
                years=key,
            )
            cache.calendars[key] = calendar
    return LegalSnapshot(calendar, stored.terms, stored.term_version, stored.from_database)


def years_around(start: date, amount: int = 0, unit: TermUnit = TermUnit.HABILES) -> range:
    """Years a computation of `amount` `unit` from `start` may touch (generous: widened again on a miss)."""
    span = {
        TermUnit.HABILES: 3 * abs(amount),
        TermUnit.CALENDARIO: abs(amount),
        TermUnit.MESES: 31 * abs(amount),
        TermUnit.HORAS: abs(amount) // 24,
    }[unit] + 60
    low = start - timedelta(days=span if amount < 0 else 0)
    high = start + timedelta(days=0 if amount < 0 else span)
    return range(low.year - 1, high.year + 2)


def with_legal(ctx: Context, years: Iterable[int], compute: Callable[[LegalSnapshot], T]) -> T:
    """Run `compute` on a snapshot; when it reaches a year outside the calendar, widen and run again."""
    wanted = set(years)
    for _ in range(12):
        legal = snapshot(ctx, wanted)
        try:
            return compute(legal)
        except BadInput as error:
            if not isinstance(error, CalendarUnavailable) and not isinstance(
                error.__cause__, CalendarUnavailable
            ):
                raise
            low, high = min(wanted), max(wanted)
            if low <= FIRST_YEAR and high >= LAST_YEAR:
                raise
            wanted |= set(range(low - 10, high + 11))
    return compute(snapshot(ctx, wanted))


def local_date_of(ctx: Context, moment: datetime | date) -> date:
    return (
        moment.astimezone(ZoneInfo(ctx.settings.timezone)).date() if isinstance(moment, datetime) else moment
    )


def _settings_columns(settings: CalendarSettings) -> dict[str, Any]:
    return {
        "saturday_is_business_day": settings.saturday_is_business_day,
        "closing_time": settings.closing_time,
        "saturday_closing_time": settings.saturday_closing_time,
        "radicacion_policy": settings.radicacion_policy.value,
        "timezone": settings.timezone,
        "suspension_mode": settings.suspension_mode.value,
    }


def settings_from_row(row: EntitySettings) -> CalendarSettings:
    return CalendarSettings(
        saturday_is_business_day=row.saturday_is_business_day,
        closing_time=row.closing_time,
        saturday_closing_time=row.saturday_closing_time,
        radicacion_policy=RadicacionPolicy(row.radicacion_policy),
        timezone=row.timezone,
        suspension_mode=SuspensionMode(row.suspension_mode),
    )
