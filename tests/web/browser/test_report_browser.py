"""The informe de PQRSD and the counter's turn page in chromium, on a desktop and a 390 px phone: the charts draw,
nothing scrolls sideways, and axe-core finds no serious violation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from tests.integration import report_month as m
from tests.web.browser.conftest import ARTIFACTS
from tests.web.browser.test_portal_browser import serious_violations
from tests.web.conftest import PASSWORD
from web import create_app


@pytest.fixture
def app(sqlite_ctx: Context, clock: FrozenClock) -> Iterator[Flask]:
    m.file_month(sqlite_ctx, clock)
    users.set_password(sqlite_ctx, m.BOSS, PASSWORD)
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sqlite_ctx)


def _open(browser: Any, width: int, height: int, base: str) -> Any:
    context = browser.new_context(viewport={"width": width, "height": height}, locale="es-CO",
                                  timezone_id="America/Bogota")  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{base}/ingresar")
    page.fill("#usuario", m.BOSS)
    page.fill("#contrasena", PASSWORD)
    page.click("button[type=submit]")
    return page


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_report_page_draws_its_charts_and_fits_the_screen(
    browser: Any, live_server: str, width: int, height: int
) -> None:
    page = _open(browser, width, height, live_server)
    page.goto(f"{live_server}/reportes/pqrsd?from=2026-03-01&to=2026-03-31")
    assert page.locator("h1").inner_text() == "Informe de PQRSD"
    assert page.locator("svg.chart").count() == 6
    box = page.locator("svg.chart").first.bounding_box()
    assert box is not None and box["width"] > 200 and box["x"] + box["width"] <= width
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"report-pqrsd-{width}.png"), full_page=True)
    page.goto(f"{live_server}/turnos?fecha=2026-03-10")
    assert page.locator("tbody tr").count() == 8
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    assert serious_violations(page) == []
    page.screenshot(path=str(ARTIFACTS / f"report-turnos-{width}.png"), full_page=True)
    page.context.close()
