"""In a real browser: sign in, claim, a refused form, a corrected one, and the diagram marker moving."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from tests.web.conftest import PASSWORD, engine, start_solicitud

pytestmark = pytest.mark.browser


def marker(page: Any, element_id: str) -> str:
    return str(page.locator(f'[data-element-id="{element_id}"]').first.get_attribute("class"))


def test_staff_member_claims_corrects_and_completes_and_sees_the_diagram_move(
    app: Flask, live_server: str, page: Any
) -> None:
    instance_id = start_solicitud(engine(app), solicitante="ana", asunto="Certificado laboral")

    page.goto(f"{live_server}/tareas")
    page.get_by_label("Usuario").fill("ana")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.get_by_role("link", name="De mi dependencia").click()
    page.get_by_role("button", name=f"Reclamar «Revisar solicitud» del proceso {instance_id}").click()
    page.get_by_text("Tomó la tarea.").wait_for()

    page.goto(f"{live_server}/procesos/{instance_id}")
    page.locator('#diagrama[data-ready="true"]').wait_for()
    assert "phva-active" in marker(page, "Activity_Revisar")
    assert page.locator(".bjs-powered-by").is_visible()  # the bpmn.io watermark stays visible
    page.get_by_role("link", name="Revisar solicitud").click()

    page.get_by_label("Número de folios").fill("0")
    page.get_by_role("button", name="Completar tarea").click()
    concepto_error = page.locator("#campo-concepto-error")
    assert "Este campo es obligatorio." in concepto_error.inner_text()
    assert "Debe ser como mínimo 1." in page.locator("#campo-folios-error").inner_text()
    assert page.get_by_label("Número de folios").input_value() == "0"  # the input is kept

    page.get_by_label("Concepto").fill("Procede: documentos completos")
    page.get_by_label("Número de folios").fill("3")
    page.get_by_label("¿Procede?").check()
    page.get_by_role("button", name="Completar tarea").click()
    page.get_by_text("Completó «Revisar solicitud».").wait_for()
    assert page.get_by_role("heading", name="Responder").is_visible()  # the next task, for its assignee

    page.goto(f"{live_server}/procesos/{instance_id}")
    page.locator('#diagrama[data-ready="true"]').wait_for()
    assert "phva-completed" in marker(page, "Activity_Revisar")
    assert "phva-active" in marker(page, "Activity_Responder")
    assert page.locator(".phva-badge").first.inner_text().startswith("Vence:")
