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
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

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
from engine.store import legal as legal_store
from engine.store.legal_tables import EntitySettings
from engine.store.uow import UnitOfWork

T = TypeVar("T")

GENERATOR = f"holidays {package_version('holidays')}"
STORED_WINDOW = (-1, 2)  # years kept as rows around the current one: last year … two years ahead
REVISION_TTL_SECONDS = 5.0
FIRST_YEAR, LAST_YEAR = 1901, 2100  # what the `holidays` package covers for Colombia


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
    cache.tables = legal_store.legal_tables_present(ctx.db)
    cache.checked_at = monotonic_time.monotonic()
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
    # Look before taking the write lock: after `phva init` everything is there, and a service task that reads
    # the calendar inside its instance's transaction must not wait on a second writer (SQLite has one).
    with UnitOfWork(ctx.db, write=False) as uow:
        complete = _complete(uow.session, wanted)
    changed = False
    if not complete:
        try:
            with UnitOfWork(ctx.db) as uow:
                changed = _ensure(ctx, uow.session, wanted, actor)
                uow.commit()
        except IntegrityError:  # another process seeded the same rows first: theirs are as good
            changed = True
    cache.ensured_years |= wanted
    if changed:
        cache.invalidate()


def ensure_legal_data_in(
    ctx: Context, session: Session, years: Iterable[int] = (), *, actor: str | None
) -> None:
    """`ensure_legal_data` in the caller's transaction: for service tasks, which run inside their instance's."""
    cache = ctx.legal
    wanted = stored_window(ctx) | frozenset(y for y in years if FIRST_YEAR <= y <= LAST_YEAR)
    if not tables_ready(ctx) or wanted <= cache.ensured_years:
        return
    if _ensure(ctx, session, wanted, actor):
        cache.invalidate()
    cache.ensured_years |= wanted


def _complete(session: Session, years: frozenset[int]) -> bool:
    return (
        legal_store.settings_row(session) is not None
        and legal_store.latest_term_version(session) is not None
        and not legal_store.missing_years(session, years)
    )


def _ensure(ctx: Context, session: Session, years: frozenset[int], actor: str | None) -> bool:
    now, changed = ctx.clock.now(), False
    if legal_store.settings_row(session) is None:
        defaults = CalendarSettings(timezone=ctx.settings.timezone)
        legal_store.add_settings(session, _settings_columns(defaults), at=now, actor=actor)
        changed = True
    if legal_store.latest_term_version(session) is None:
        rows = seed_term_rows()
        store_term_version(session, 1, rows, note="Tabla inicial (PQRSD_RULES §1)", at=now, actor=actor)
        changed = True
    missing = legal_store.missing_years(session, years)
    if missing:
        generated = colombian_holidays(missing)
        for year in missing:
            days = {d: (n, holiday_source_act(n)) for d, n in generated.items() if d.year == year}
            legal_store.add_calendar_year(session, year, days, generator=GENERATOR, at=now, actor=actor)
        changed = True
    return changed


def store_term_version(
    session: Session, version: int, rows: Iterable[TermRow], *, note: str, at: datetime, actor: str | None
) -> TermTable:
    table = TermTable(rows)  # refuses overlapping rows before anything is written
    legal_store.add_term_version(
        session, version, table, fingerprint=table.version, note=note, at=at, actor=actor
    )
    return table


def bump_revision(session: Session, ctx: Context, actor: str | None) -> None:
    legal_store.bump_revision(session, at=ctx.clock.now(), actor=actor)


# ---- reading ----------------------------------------------------------------------------------
def load_terms(session: Session, version: int) -> TermTable:
    records = legal_store.term_rows(session, version)
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
        row = legal_store.settings_row(session)
        settings = settings_from_row(row) if row else CalendarSettings(timezone=ctx.settings.timezone)
        revision = row.revision if row else 0
        years = legal_store.stored_years(session)
        holidays = legal_store.stored_holidays(session)
        closures = tuple(open_closures(session))
        version = legal_store.latest_term_version(session)
        terms = load_terms(session, version) if version is not None else TermTable(seed_term_rows())
    return LegalStored(holidays, years, closures, settings, terms, version, revision, True)


def open_closures(session: Session) -> list[Closure]:
    return [Closure(c.day, c.reason, c.legal_act) for c in legal_store.closure_rows(session)]


def _current_revision(ctx: Context) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return legal_store.current_revision(uow.session)


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
                holidays |= cache.generated[year]
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
