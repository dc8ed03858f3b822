"""Every row of pqrsd_due_dates.csv (independent calculator) through each entry point that should agree."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from engine.legal.batch import due_batch
from engine.legal.calendar import BusinessCalendar, RadicacionPolicy
from engine.legal.deadlines import due_date, due_in
from engine.legal.explanation import DueDate
from engine.legal.prorroga import prorroga_limits
from engine.legal.terms import TermTable
from engine.legal.traslado import silencio_positivo
from tests.legal.conftest import d, load_vectors

VECTORS = load_vectors()
IDS = [f"row{i:02d}-{row['kind']}" for i, row in enumerate(VECTORS, start=1)]


def note_field(note: str, name: str) -> str | None:
    match = re.search(rf"{name}=(\d{{4}}-\d{{2}}-\d{{2}})", note)
    return match.group(1) if match else None


def policy_b_date(note: str) -> str | None:
    match = re.search(r"policy B \(calendar receipt\) would give (\d{4}-\d{2}-\d{2})", note)
    return match.group(1) if match else None


def by_kind(calendar: BusinessCalendar, terms: TermTable, kind: str, filed_at: datetime) -> DueDate:
    if kind == "peticion_general_prorroga_max":
        return prorroga_limits(calendar, terms, "peticion_general", filed_at).max_due
    if kind == "entrega_copias_silencio_positivo":
        return silencio_positivo(calendar, terms, filed_at)
    return due_date(calendar, terms, kind, filed_at)


def test_the_vectors_file_has_all_28_rows() -> None:
    assert len(VECTORS) == 28


@pytest.mark.parametrize("row", VECTORS, ids=IDS)
def test_due_date_by_kind_matches_vector(
    calendar: BusinessCalendar, terms: TermTable, row: dict[str, str]
) -> None:
    filed_at = datetime.fromisoformat(row["filed_at"])
    due = by_kind(calendar, terms, row["kind"], filed_at)
    assert due.day == d(row["expected_due_date"])
    assert due.amount == int(row["business_days"])
    assert due.radicacion_date == d(note_field(row["note"], "radicado") or "")
    assert due.counted[0] == d(note_field(row["note"], "day1") or "")
    assert due.iso().endswith("T23:59:59-05:00")


@pytest.mark.parametrize("row", VECTORS, ids=IDS)
def test_plain_business_days_match_vector(calendar: BusinessCalendar, row: dict[str, str]) -> None:
    due = due_in(calendar, datetime.fromisoformat(row["filed_at"]), int(row["business_days"]))
    assert due.day == d(row["expected_due_date"])


@pytest.mark.parametrize("row", [r for r in VECTORS if policy_b_date(r["note"])], ids=lambda r: r["filed_at"])
def test_policy_b_matches_the_note(calendar: BusinessCalendar, row: dict[str, str]) -> None:
    policy_b = calendar.with_settings(radicacion_policy=RadicacionPolicy.B)
    due = due_in(policy_b, datetime.fromisoformat(row["filed_at"]), int(row["business_days"]))
    assert due.day == d(policy_b_date(row["note"]) or "")


def test_batch_reproduces_every_vector(calendar: BusinessCalendar) -> None:
    lines = [f"{row['filed_at']},{row['business_days']}" for row in VECTORS]
    expected = [f"{row['filed_at']},{row['business_days']},{row['expected_due_date']}" for row in VECTORS]
    assert due_batch(calendar, ["filed_at,days", *lines]) == expected
