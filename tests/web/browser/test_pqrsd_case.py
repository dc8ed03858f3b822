"""In a real browser, one PQRSD from the counter to its closing: filed with an attachment, found in the bandeja
by radicado and by name, verified, assigned, answered with the signed letter attached, approved by another
official (four eyes), its survey registered, and closed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.context import Context
from engine.identity import users
from engine.workflow import deployments
from web import create_app

pytestmark = pytest.mark.browser
ROOT = Path(__file__).resolve().parents[3]
PASSWORD = "clave-segura-1"
STAFF = {"clara": "atencion_ciudadano", "diego": "juridica", "julia": "juridica"}
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture
def app(sqlite_ctx: Context) -> Iterator[Flask]:
    outcome = deployments.deploy(sqlite_ctx, deployments.read_sources([ROOT / "bpmn", ROOT / "forms"]))
    assert outcome.report.ok, outcome.report.format()
    for name, group in STAFF.items():
        users.add_user(sqlite_ctx, name, password=PASSWORD, groups=group, roles="funcionario")
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sqlite_ctx)


def sign_in(page: Any, server: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{server}/ingresar")
    page.get_by_label("Usuario").fill(username)
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url(f"{server}/tareas**")


def take(page: Any, server: str, task_name: str, radicado: str) -> None:
    """Find the case's task in the inbox by its radicado and claim it."""
    page.goto(f"{server}/tareas?vista=dependencia&texto={radicado}")
    page.get_by_role("button", name=f"Reclamar «{task_name}", exact=False).first.click()
    page.get_by_text("Tomó la tarea.").wait_for()


def complete(page: Any) -> None:
    page.get_by_role("button", name="Completar tarea").click()
    page.wait_for_load_state()


def test_a_pqrsd_from_filing_to_closing(app: Flask, live_server: str, page: Any, tmp_path: Path) -> None:
    letter = tmp_path / "respuesta-firmada.pdf"
    letter.write_bytes(PDF)
    sign_in(page, live_server, "clara")
    page.get_by_role("link", name="Radicar PQRSD").click()
    page.get_by_label("Tipo de PQRSD").select_option("peticion_general")
    page.get_by_label("Canal de recepción").select_option("presencial_ventanilla")
    page.get_by_label("Asunto").fill("Reparación de la vía de la vereda El Salitre")
    page.get_by_label("Descripción de la petición").fill(
        "La vía está intransitable desde las lluvias de octubre."
    )
    page.get_by_label("Nombre completo").fill("Jorge Enrique Cárdenas")
    page.get_by_label("Correo electrónico", exact=True).fill("jorge.cardenas@example.co")
    page.set_input_files("input[name=anexos]", str(letter))
    page.get_by_role("button", name="Radicar").click()
    page.locator(".flash-success", has_text="Radicó la PQRSD").wait_for()
    radicado = page.url.rsplit("/", 1)[1]
    assert "respuesta-firmada.pdf" in page.content()

    for text in (radicado, "Cárdenas"):  # the bandeja finds it by radicado and by the petitioner's name
        page.goto(f"{live_server}/pqrsd?q={text}")
        assert page.get_by_role("link", name=radicado).is_visible()

    take(page, live_server, "Verificar competencia", radicado)
    page.get_by_label("Nivel 3", exact=False).check()
    complete(page)
    take(page, live_server, "Asignar la dependencia", radicado)
    page.get_by_label("Dependencia responsable").select_option("juridica")
    complete(page)

    sign_in(page, live_server, "diego")
    take(page, live_server, "Proyectar la respuesta", radicado)
    assert page.get_by_text(radicado).first.is_visible()  # the task page's case header
    signed = tmp_path / "oficio-respuesta.pdf"
    signed.write_bytes(PDF.replace(b"Count 0", b"Count 0 "))  # another file: the signed answer letter
    page.set_input_files("#tarea-anexos", str(signed))  # attached from the task itself
    page.get_by_role("button", name="Anexar").click()
    page.locator(".flash-success", has_text="oficio-respuesta.pdf").wait_for()
    page.get_by_label("Respuesta proyectada").fill(
        "Se programó la reparación de la vía para la semana próxima."
    )
    complete(page)

    page.goto(f"{live_server}/tareas?vista=todas&texto={radicado}")
    page.get_by_role("link", name="Revisar y aprobar la respuesta").click()
    assert "control de cuatro ojos" in page.content()  # who drafted the answer may not approve it
    assert page.get_by_role("button", name="Completar tarea").is_disabled()

    sign_in(page, live_server, "julia")
    take(page, live_server, "Revisar y aprobar la respuesta", radicado)
    page.get_by_label("¿Se aprueba la respuesta?").check()
    complete(page)

    sign_in(page, live_server, "clara")
    take(page, live_server, "Registrar la encuesta", radicado)
    page.get_by_label("Muy satisfecho").check()
    complete(page)

    page.goto(f"{live_server}/pqrsd/{radicado}")
    page.screenshot(path=str(ROOT / "test-artifacts" / "pqrsd-cerrada.png"), full_page=True)
    facts = page.locator("dl.facts").inner_text()
    assert "cerrada" in facts
    timeline = page.locator(".timeline").inner_text()
    assert "Respondió" in timeline and "Cerró la PQRSD" in timeline
