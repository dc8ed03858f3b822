"""In a real browser, an analyst uploads a model, reads its report on the diagram, deploys a second version,
sees what changed marked on both diagrams, and runs the model's tests from the page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.identity import users
from tests.web.browser.conftest import ARTIFACTS
from tests.web.conftest import DATA, PASSWORD, engine

pytestmark = pytest.mark.browser


def test_an_analyst_uploads_checks_deploys_diffs_and_tests_a_model(
    app: Flask, live_server: str, page: Any, tmp_path: Path
) -> None:
    users.add_user(engine(app), "lina", password=PASSWORD, roles="analista", groups="atencion_ciudadano")
    original = (DATA / "ladder_respuesta.bpmn").read_text(encoding="utf-8")
    broken = tmp_path / "respuesta.bpmn"
    broken.write_text(
        original.replace('camunda:dueDate="${vence}"', 'camunda:dueDate="${vence +}"'),
        encoding="utf-8",
    )
    changed = tmp_path / "ladder_respuesta.bpmn"
    changed.write_text(
        original.replace('name="Revisar la respuesta"', 'name="Revisar y firmar la respuesta"'),
        encoding="utf-8",
    )
    tests = tmp_path / "respuesta.test.yaml"
    tests.write_text(
        "files: [ladder_respuesta.bpmn]\n"
        "tests:\n"
        "  - name: respondida y revisada\n"
        "    start: {process: respuesta_escalada, data: {vence: '2026-03-10T17:00:00-05:00'}}\n"
        "    steps: [{complete: Responder}, {expect_tasks: [Revisar]}, {complete: Revisar}]\n"
        "    expect: {status: completed}\n",
        encoding="utf-8",
    )

    page.goto(f"{live_server}/ingresar")
    page.get_by_label("Usuario").fill("lina")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_role("link", name="Modelos").click()
    page.get_by_role("link", name="Subir y revisar modelos").click()

    page.get_by_label("Archivos .bpmn, .dmn y .form de Camunda Modeler").set_input_files(str(broken))
    page.get_by_role("button", name="Revisar", exact=True).click()
    report = page.locator("table.report")
    assert "Responder" in report.inner_text()
    page.wait_for_selector("#diagrama-subido-1[data-ready='true']")
    assert page.locator("#diagrama-subido-1 .phva-problem").count() >= 1  # the broken flow is marked
    page.screenshot(path=str(ARTIFACTS / "modelos-informe.png"), full_page=True)

    for version in (DATA / "ladder_respuesta.bpmn", changed):
        page.get_by_label("Archivos .bpmn, .dmn y .form de Camunda Modeler").set_input_files(str(version))
        page.get_by_role("button", name="Revisar y desplegar").click()
        assert "Desplegado" in page.locator(".alert.ok").inner_text()

    page.get_by_role("link", name="← Modelos").click()
    page.get_by_role("link", name="Qué cambió en la versión 2").click()
    assert (
        "nombre: «Revisar la respuesta» → «Revisar y firmar la respuesta»"
        in page.locator(".diff-changed").inner_text()
    )
    page.wait_for_selector("#diagrama-nueva[data-ready='true']")
    assert page.locator("#diagrama-nueva .phva-changed").count() == 1
    page.screenshot(path=str(ARTIFACTS / "modelos-diferencias.png"), full_page=True)

    page.goto(f"{live_server}/modelos/subir")
    page.get_by_label("Pruebas (.test.yaml)").set_input_files(str(tests))
    page.get_by_label("Modelos que prueba").set_input_files(str(DATA / "ladder_respuesta.bpmn"))
    page.get_by_role("button", name="Correr pruebas").click()
    result = page.locator("#resultado-pruebas").inner_text()
    assert "Todas las pruebas pasaron." in result and "✓ respondida y revisada" in result
