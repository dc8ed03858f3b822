"""Legal data rows as the calendar and term use cases read and write them: calendar years and holidays,
entity closures, the entity settings row and its revision, term versions and their rows."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy import insert, inspect, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from engine.store.db import Database
from engine.store.legal_tables import (
    CalendarClosure,
    CalendarDay,
    CalendarYear,
    EntitySettings,
    TermRowRecord,
    TermVersion,
)

SETTINGS_ID = 1
LEGAL_TABLES = frozenset(
    {"calendar_years", "calendar_days", "calendar_closures", "entity_settings", "term_versions", "term_rows"}
)

# Read on every cache refresh or revision check: built once.
_REVISION = select(EntitySettings.revision).where(EntitySettings.id == SETTINGS_ID)
_YEARS = select(CalendarYear.year)
_HOLIDAYS = select(CalendarDay.day, CalendarDay.name, CalendarDay.source_act)
_LATEST_VERSION = select(TermVersion.version).order_by(TermVersion.version.desc()).limit(1)


class TermRowValues(Protocol):
    @property
    def kind(self) -> str: ...

    @property
    def amount(self) -> int: ...

    @property
    def unit(self) -> str: ...  # a StrEnum member is stored as its value

    @property
    def valid_from(self) -> date: ...

    @property
    def valid_to(self) -> date | None: ...

    @property
    def legal_basis(self) -> str: ...

    @property
    def label(self) -> str: ...

    @property
    def prorroga_max(self) -> int | None: ...


# ---- the tables themselves --------------------------------------------------------------------
def legal_tables_present(db: Database) -> bool:
    url = make_url(db.url)
    on_disk = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    if on_disk and not Path(str(url.database)).exists():  # never create an empty database file just to look
        return False
    with db.read_engine.connect() as connection:
        present = set(inspect(connection).get_table_names())
    return present >= LEGAL_TABLES


# ---- entity settings --------------------------------------------------------------------------
def settings_row(session: Session) -> EntitySettings | None:
    return session.get(EntitySettings, SETTINGS_ID)


def add_settings(session: Session, columns: Mapping[str, Any], *, at: datetime, actor: str | None) -> None:
    session.add(EntitySettings(id=SETTINGS_ID, **columns, revision=1, updated_at=at, updated_by=actor))


def current_revision(session: Session) -> int:
    return session.scalar(_REVISION) or 0


def bump_revision(session: Session, *, at: datetime, actor: str | None) -> None:
    """Other processes see the new revision and drop their cached calendar."""
    session.execute(
        update(EntitySettings)
        .where(EntitySettings.id == SETTINGS_ID)
        .values(revision=EntitySettings.revision + 1, updated_at=at, updated_by=actor)
    )


# ---- calendar years and national holidays -----------------------------------------------------
def stored_years(session: Session) -> frozenset[int]:
    return frozenset(session.scalars(_YEARS))


def missing_years(session: Session, years: Iterable[int]) -> list[int]:
    wanted = set(years)
    stored = set(session.scalars(select(CalendarYear.year).where(CalendarYear.year.in_(wanted))))
    return sorted(wanted - stored)


def stored_holidays(session: Session) -> dict[date, tuple[str, str]]:
    """Day → (name, source act)."""
    return {day: (name, act) for day, name, act in session.execute(_HOLIDAYS)}


def add_calendar_year(
    session: Session,
    year: int,
    holidays: Mapping[date, tuple[str, str]],
    *,
    generator: str,
    at: datetime,
    actor: str | None,
) -> None:
    session.add(
        CalendarYear(
            year=year, generator=generator, holiday_count=len(holidays), generated_at=at, generated_by=actor
        )
    )
    session.flush()  # the year row first: its days reference it
    if holidays:
        session.execute(
            insert(CalendarDay),
            [
                {"day": day, "year": year, "name": name, "source_act": act}
                for day, (name, act) in holidays.items()
            ],
        )


# ---- entity closures --------------------------------------------------------------------------
def closure_rows(session: Session, *, include_removed: bool = False) -> Sequence[CalendarClosure]:
    query = select(CalendarClosure).order_by(CalendarClosure.day, CalendarClosure.id)
    if not include_removed:
        query = query.where(CalendarClosure.removed_at.is_(None))
    return session.scalars(query).all()


def open_closure_on(session: Session, day: date) -> CalendarClosure | None:
    return session.scalar(
        select(CalendarClosure).where(CalendarClosure.day == day, CalendarClosure.removed_at.is_(None))
    )


def add_closure(
    session: Session, day: date, *, reason: str, legal_act: str, at: datetime, actor: str | None
) -> None:
    session.add(CalendarClosure(day=day, reason=reason, legal_act=legal_act, created_at=at, created_by=actor))


# ---- term versions and their rows -------------------------------------------------------------
def latest_term_version(session: Session) -> int | None:
    return session.scalar(_LATEST_VERSION)


def term_version_row(session: Session, version: int | None = None) -> TermVersion | None:
    """The given version, or the latest one when `version` is None."""
    query = select(TermVersion).order_by(TermVersion.version.desc())
    return session.scalar(
        query.where(TermVersion.version == version) if version is not None else query.limit(1)
    )


def term_version_rows(session: Session) -> Sequence[TermVersion]:
    return session.scalars(select(TermVersion).order_by(TermVersion.version)).all()


def term_rows(session: Session, version: int) -> Sequence[TermRowRecord]:
    return session.scalars(select(TermRowRecord).where(TermRowRecord.version == version)).all()


def add_term_version(
    session: Session,
    version: int,
    rows: Iterable[TermRowValues],
    *,
    fingerprint: str,
    note: str,
    at: datetime,
    actor: str | None,
) -> None:
    session.add(
        TermVersion(version=version, fingerprint=fingerprint, note=note, created_at=at, created_by=actor)
    )
    session.flush()  # the version row first: its rows reference it
    session.execute(
        insert(TermRowRecord),
        [
            {
                "version": version,
                "kind": r.kind,
                "amount": r.amount,
                "unit": str(r.unit),
                "valid_from": r.valid_from,
                "valid_to": r.valid_to,
                "legal_basis": r.legal_basis,
                "label": r.label,
                "prorroga_max": r.prorroga_max,
            }
            for r in rows
        ],
    )
