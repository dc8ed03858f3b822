from __future__ import annotations

import csv
from datetime import date
from pathlib import Path

import pytest

from engine.legal.calendar import BusinessCalendar
from engine.legal.terms import TermTable, seed_term_table

VECTORS_CSV = Path(__file__).resolve().parents[1] / "data" / "pqrsd_due_dates.csv"


def load_vectors() -> list[dict[str, str]]:
    with VECTORS_CSV.open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def calendar() -> BusinessCalendar:
    return BusinessCalendar.colombia(range(2015, 2031))


@pytest.fixture(scope="session")
def terms() -> TermTable:
    return seed_term_table()


def d(text: str) -> date:
    return date.fromisoformat(text)
