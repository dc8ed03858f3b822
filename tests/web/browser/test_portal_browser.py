"""In a real browser on a 390 px phone screen: a citizen files a PQRSD in the portal (answering the human check,
with a file), gets the radicado, code and due date, then tracks it from another browser by keyboard; axe-core
finds no serious or critical violation on any page, and no page scrolls sideways."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.clock import FrozenClock
from engine.portal.human_check import NUMBERS
from engine.pqrsd import radicacion
from tests.conftest import DATA, ROOT
from tests.scenarios.conftest import Scenario, deployed_template, scenario_context  # noqa: F401
from web import create_app

pytestmark = pytest.mark.browser
AXE = (DATA / "vendor" / "axe-core" / "axe.min.js").read_text()
SHOTS = ROOT / "test-artifacts"
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def app(tmp_path: Path, clock: FrozenClock, deployed_template: Path) -> Iterator[Flask]:  # noqa: F811
    shutil.copy(deployed_template, tmp_path / "phva.db")
    ctx = scenario_context(f"sqlite:///{tmp_path / 'phva.db'}", tmp_path, clock)
    # the question stays on; the frozen clock would make every form look sent in no time
    ctx.settings = dataclasses.replace(
        ctx.settings, portal_min_fill_seconds=0, entity_name="Alcaldía de Ejemplo"
    )
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx)
    ctx.db.dispose()


@pytest.fixture
def phone(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    context = browser.new_context(viewport=PHONE, locale="es-CO", timezone_id="America/Bogota")
    opened = context.new_page()
    opened.set_default_timeout(10_000)
    errors: list[str] = []
    opened.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield opened
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        SHOTS.mkdir(exist_ok=True)
        opened.screenshot(path=str(SHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    # no CSP refusal, no script error (a page answered 404 or 422 on purpose is logged too: not an error here)
    assert [e for e in errors if "responded with a status of 4" not in e] == [], errors


def serious_violations(page: Any) -> list[dict[str, Any]]:
    """axe-core's violations of impact serious or critical (WCAG 2 A/AA and best practices)."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE)  # evaluated by the browser's debugger, so the page's CSP stays as it is
    found = page.evaluate(
        """async () => (await axe.run(document, {resultTypes: ['violations']})).violations
            .map(v => ({id: v.id, impact: v.impact, help: v.help, targets: v.nodes.map(n => n.target.join(' '))}))"""
    )
    return [v for v in found if v["impact"] in ("serious", "critical")]


def fits_the_phone(page: Any) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"{page.url} mide {width} px de ancho en un teléfono de 390 px"
    assert serious_violations(page) == [], page.url


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SHOTS / f"portal-{name}.png"), full_page=True)


def answer_question(page: Any) -> None:
    label = page.locator("label[for=campo-verificacion]").inner_text()
    found = re.search(r"¿Cuánto es (\w+) más (\w+)\?", label)
    assert found, label
    page.locator("#campo-verificacion").fill(str(NUMBERS.index(found[1]) + NUMBERS.index(found[2])))


def test_a_citizen_files_and_tracks_a_pqrsd_on_a_phone(
    app: Flask, live_server: str, phone: Any, tmp_path: Path
) -> None:
    page = phone
    photo = tmp_path / "luminaria-apagada.pdf"
    photo.write_bytes(PDF)
    page.goto(f"{live_server}/portal")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Saltar al contenido"
    fits_the_phone(page)
    shot(page, "inicio-390")
    page.get_by_role("link", name="Radicar una PQRSD").first.click()
    page.get_by_label("¿Qué desea presentar?").select_option("reclamo")
    page.get_by_label("Asunto").fill("Luminarias apagadas en el parque central")
    page.get_by_label("Describa su solicitud").fill(
        "Desde hace un mes las luminarias del parque están apagadas."
    )
    page.get_by_label("Nombre completo o razón social").fill("Lucía Fernández")
    page.get_by_label("Correo electrónico", exact=True).fill("lucia.fernandez@example.co")
    page.get_by_label("Persona con discapacidad").check()
    page.get_by_label("Autorizo el tratamiento de estos datos", exact=False).check()
    page.set_input_files("#campo-anexos", str(photo))
    page.get_by_role("button", name="Radicar mi solicitud").click()  # the question left unanswered
    page.locator(".error-summary").wait_for()
    assert "Pregunta de verificación" in page.locator(".error-summary").inner_text()
    fits_the_phone(page)
    shot(page, "radicar-errores-390")
    answer_question(page)
    page.set_input_files("#campo-anexos", str(photo))
    page.get_by_role("button", name="Radicar mi solicitud").click()
    page.get_by_role("heading", name="Su solicitud quedó radicada").wait_for()
    codes = page.locator("dd.code").all_inner_texts()
    radicado, code = codes[0].strip(), codes[1].strip()
    assert re.fullmatch(r"2026-\d{6}", radicado) and re.fullmatch(r"[A-Z2-9]{10}", code)
    assert "martes 24 de marzo de 2026" in page.content()  # 15 business days, 23 March is a holiday
    assert radicacion.consultar(app.extensions["phva"], radicado)["due_date"] == "2026-03-24"
    fits_the_phone(page)
    shot(page, "radicada-390")
    with page.expect_download() as pdf:
        page.get_by_role("link", name="Descargar el acuse de recibo (PDF)").click()
    assert pdf.value.suggested_filename == f"acuse-{radicado}.pdf"

    page.context.clear_cookies()  # later, on another visit: only the radicado and the code open it
    page.goto(f"{live_server}/portal/consulta")
    page.get_by_label("Número de radicado").fill(radicado)
    page.get_by_label("Código de consulta").fill("ZZZZZZZZZZ")
    page.keyboard.press("Enter")
    page.get_by_role("alert").wait_for()
    assert "No encontramos una PQRSD" in page.get_by_role("alert").inner_text()
    fits_the_phone(page)
    page.get_by_label("Código de consulta").fill(code.lower())
    page.keyboard.press("Enter")
    page.get_by_role("heading", name="Estado: En trámite").wait_for()
    content = page.content()
    assert "luminaria-apagada.pdf" in content and "Lucía" not in content
    fits_the_phone(page)
    shot(page, "caso-390")
    page.goto(f"{live_server}/portal/caso/desistir")
    fits_the_phone(page)
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{live_server}/portal/caso")
    shot(page, "caso-1280")
    page.goto(f"{live_server}/portal/radicar")
    shot(page, "radicar-1280")


def test_a_citizen_completes_a_requerimiento_and_answers_the_survey_on_a_phone(
    app: Flask, live_server: str, phone: Any, clock: FrozenClock, tmp_path: Path
) -> None:
    ctx = app.extensions["phva"]
    sc = Scenario(ctx, clock)
    case = radicacion.file_pqrsd(ctx, {"tipo": "peticion_general", "asunto": "Certificado de residencia",
                                       "descripcion": "Solicito el certificado de residencia.",
                                       "nombre": "Jorge Cárdenas"}, actor=None, default_channel="formulario_web")  # fmt: skip
    pid, radicado, code = case["instance_id"], case["radicado"], case["codigo_consulta"]
    assert isinstance(pid, int) and code
    sc.walk(pid, ("Task_Verificar", {"completa": False, "nivel": "autogestion",
                                     "informacion_faltante": "Copia de un recibo de servicios públicos."}),
            "Task_Requerir")  # fmt: skip
    page = phone
    page.goto(f"{live_server}/portal/consulta")
    page.get_by_label("Número de radicado").fill(radicado)
    page.get_by_label("Código de consulta").fill(code)
    page.get_by_role("button", name="Consultar").click()
    page.get_by_role("heading", name="Estado: Esperando información suya").wait_for()
    assert "Copia de un recibo de servicios públicos." in page.content()
    fits_the_phone(page)
    shot(page, "requerimiento-390")
    receipt = tmp_path / "recibo-luz.pdf"
    receipt.write_bytes(PDF)
    page.get_by_label("La información que le pidieron").fill("Anexo el recibo de la luz de febrero.")
    page.set_input_files("#campo-anexos", str(receipt))
    page.get_by_role("button", name="Enviar la información").click()
    page.get_by_text("El plazo de respuesta de su solicitud volvió a correr.").wait_for()
    assert page.get_by_role("heading", name="Estado: En trámite").is_visible()

    sc.walk(pid, ("Task_Autogestion", {"respuesta": "Su certificado está disponible en la web."}))
    page.reload()
    page.get_by_role("heading", name="Estado: Respondida").wait_for()
    fits_the_phone(page)
    shot(page, "encuesta-390")
    page.get_by_label("Muy satisfecho").check()
    page.get_by_label("Sí", exact=True).check()
    page.get_by_role("button", name="Enviar la encuesta").click()
    page.get_by_text("Gracias por responder la encuesta").wait_for()
    assert page.get_by_role("heading", name="Estado: Cerrada").is_visible()
    assert sc.instance(pid)["status"] == "completed"
    fits_the_phone(page)
