"""In a real browser, the supervision dashboard over PQRSD filed at past dates: a supervisor of one dependencia
sees hers in each semáforo state, the supervision group sees the entity, walks dashboard → list → case →
reassign, and the page fits a 390 px phone as it fits 1280 px."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.workflow import deployments
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_supervision import RECEIVED, file_case
from tests.web.browser.test_pqrsd_case import ROOT, sign_in
from web import create_app

pytestmark = pytest.mark.browser
PASSWORD = "clave-segura-1"


@pytest.fixture
def app(sqlite_ctx: Context, clock: FrozenClock) -> Iterator[Flask]:
    outcome = deployments.deploy(sqlite_ctx, deployments.read_sources([ROOT / "bpmn", ROOT / "forms"]))
    assert outcome.report.ok, outcome.report.format()
    for name, group, role in (
        ("u.atencion_ciudadano", "atencion_ciudadano", "funcionario"),
        ("sara", "supervision", "supervisor"),
        ("jefa", "juridica", "supervisor"),
        ("juan", "juridica", "funcionario"),
        ("u.juridica", "juridica", "funcionario"),
        ("u.planeacion", "planeacion", "funcionario"),
    ):
        users.add_user(sqlite_ctx, name, password=PASSWORD, groups=group, roles=role)
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sqlite_ctx)


def tile(page: Any, section: str, label: str) -> str:
    found = page.locator(f"section:has(h2:text-matches('^{section}')) .sup-tiles li:has-text('{label}') .n")
    return str(found.inner_text())


def fits(page: Any, width: int, shot: Path) -> None:
    page.set_viewport_size({"width": width, "height": 900})
    page.screenshot(path=str(shot), full_page=True)
    assert page.evaluate("document.documentElement.scrollWidth") <= width, f"desborde a {width} px"


def test_dashboard_list_case_and_reassign(
    app: Flask, live_server: str, page: Any, sqlite_ctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    sc = Scenario(sqlite_ctx, clock)
    cases = {state: file_case(sc, moment, "juridica") for state, moment in RECEIVED.items()}
    file_case(sc, RECEIVED["verde"], "planeacion")

    sign_in(page, live_server, "jefa")
    page.get_by_role("link", name="Supervisión").click()
    page.get_by_role("heading", name="Supervisión de términos").wait_for()
    assert "Sus dependencias: juridica" in page.inner_text("main")
    for label in ("En término", "Próximo a vencer", "Alerta de 2/3", "Vencido"):
        assert tile(page, "PQRSD abiertas", label) == "1", label
    fits(page, 390, tmp_path / "supervision-390.png")
    fits(page, 1280, tmp_path / "supervision-1280.png")

    sign_in(page, live_server, "sara")
    page.goto(f"{live_server}/supervision")
    assert "Toda la entidad" in page.inner_text("main")
    assert tile(page, "PQRSD abiertas", "En término") == "2"
    assert tile(page, "Tareas abiertas", "Vencido") == "2"  # the answer and its escalation
    page.locator(
        "section:has(h2:text-matches('^Tareas abiertas')) .sup-tiles li:has-text('Vencido') a"
    ).click()
    page.get_by_role("heading", name="Tareas abiertas: vencido").wait_for()
    rows = page.locator("table.tasks tbody tr")
    assert rows.count() == 2
    fits(page, 390, tmp_path / "lista-390.png")
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_role("link", name=cases["rojo"]).first.click()
    page.get_by_role("heading", name=cases["rojo"], exact=False).first.wait_for()
    assert "Proyectar la respuesta" in page.inner_text("main")
    page.go_back()
    page.get_by_role("link", name="Reasignar «Proyectar la respuesta»").click()
    page.get_by_role("heading", name="Reasignar la tarea").wait_for()
    page.get_by_label("A la persona (usuario)").select_option("juan")
    page.get_by_label("Motivo").fill("La dependencia pidió apoyo: Juan tiene menos carga")
    page.get_by_role("button", name="Reasignar", exact=True).click()
    page.get_by_text("Reasignó 1 tarea(s) a juan: «Proyectar la respuesta».").wait_for()
    assert "Tareas abiertas: vencido" in page.inner_text("h1")
    assert (
        page.locator("table.tasks tbody tr:has-text('Proyectar la respuesta')").inner_text().count("juan")
        == 1
    )
    fits(page, 1280, tmp_path / "lista-1280.png")
