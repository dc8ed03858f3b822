from __future__ import annotations

import csv
import os
from datetime import date
from pathlib import Path

import pytest

from engine.legal.calendar import BusinessCalendar
from engine.legal.terms import TermTable, seed_term_table

CSV_NAME = "pqrsd_due_dates.csv"


def vectors_path() -> Path:
    """The copy beside the tests first, then ../shared beside the repo, then $PHVA_SHARED_DIR."""
    candidates = [Path(__file__).resolve().parent / "data" / CSV_NAME]
    candidates.append(Path(__file__).resolve().parents[2].parent / "shared" / CSV_NAME)
    if os.environ.get("PHVA_SHARED_DIR"):
        candidates.append(Path(os.environ["PHVA_SHARED_DIR"]) / CSV_NAME)
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    raise FileNotFoundError(f"{CSV_NAME} not found in {[str(c) for c in candidates]}")


def load_vectors() -> list[dict[str, str]]:
    with vectors_path().open(newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def calendar() -> BusinessCalendar:
    return BusinessCalendar.colombia(range(2015, 2031))


@pytest.fixture(scope="session")
def terms() -> TermTable:
    return seed_term_table()


def d(text: str) -> date:
    return date.fromisoformat(text)
