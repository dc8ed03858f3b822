"""In a real browser: the instance page opens its diagram on the current activities, in their subprocess."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from engine.clock import FrozenClock
from engine.identity import users
from engine.workflow import diagrams, timers, views
from tests.conftest import ROOT, make_database_url
from tests.scenarios.conftest import Scenario, prepare, scenario_context
from tests.scenarios.test_pqrsd import AREA, radicar
from tests.web.browser.conftest import ARTIFACTS
from tests.web.conftest import PASSWORD
from web import create_app

pytestmark = pytest.mark.browser

MODELS = sorted(p.stem for p in (ROOT / "bpmn").glob("*.bpmn"))


@pytest.fixture
def sc(request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock) -> Iterator[Scenario]:
    """bpmn/ and forms/ deployed as `phva init` does, and an analyst who may see every instance."""
    ctx = scenario_context(make_database_url("sqlite", request, tmp_path), tmp_path, clock)
    prepare(ctx)
    users.add_user(ctx, "ana", password=PASSWORD, roles="analista", groups="atencion_ciudadano")
    yield Scenario(ctx, clock)
    ctx.db.dispose()


@pytest.fixture
def app(sc: Scenario) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def watch(page: Any) -> list[str]:
    """Console errors and warnings, page errors and failed requests, from now on."""
    found: list[str] = []
    page.on(
        "console", lambda m: found.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None
    )
    page.on("pageerror", lambda error: found.append(f"pageerror: {error}"))
    page.on("requestfailed", lambda r: found.append(f"requestfailed: {r.url} {r.failure}"))
    page.on("response", lambda r: found.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    return found


def open_instance(page: Any, live_server: str, instance_id: int) -> list[str]:
    """Sign in, open the instance page and wait for its diagram; what went wrong on the page meanwhile."""
    page.goto(f"{live_server}/ingresar")
    page.get_by_label("Usuario").fill("ana")
    page.get_by_label("Contraseña").fill(PASSWORD)
    page.get_by_role("button", name="Ingresar").click()
    page.wait_for_url("**/tareas**")
    troubles = watch(page)
    page.goto(f"{live_server}/procesos/{instance_id}")
    page.locator('#diagrama[data-ready="true"]').wait_for()
    return troubles


def zoom(page: Any) -> float:
    return float(page.locator("#diagrama").get_attribute("data-zoom"))


def inside(inner: dict[str, float], outer: dict[str, float]) -> bool:
    return (
        outer["x"] <= inner["x"]
        and inner["x"] + inner["width"] <= outer["x"] + outer["width"]
        and outer["y"] <= inner["y"]
        and inner["y"] + inner["height"] <= outer["y"] + outer["height"]
    )


def test_pqrsd_page_opens_the_subprocess_on_the_current_task_and_zooms(
    sc: Scenario, live_server: str, page: Any
) -> None:
    instance_id = radicar(sc)
    sc.walk(instance_id, AREA)  # area misional: the dependencia is assigned inside «Gestionar la respuesta»
    assert [t["bpmn_id"] for t in sc.open_tasks(instance_id)] == ["Task_AsignarDependencia"]
    page.set_viewport_size({"width": 1280, "height": 900})

    troubles = open_instance(page, live_server, instance_id)
    diagram = page.locator("#diagrama")
    task = page.locator('.djs-shape[data-element-id="Task_AsignarDependencia"]')
    assert diagram.get_attribute("data-plane") == "Sub_Respuesta_plane"  # drilled in
    assert "phva-active" in str(task.get_attribute("class"))
    assert inside(task.bounding_box(), diagram.bounding_box())
    assert page.locator(".bjs-breadcrumbs").is_visible()
    assert page.locator(".bjs-powered-by").is_visible()  # the bpmn.io watermark stays visible
    assert "Gestionar la respuesta" in page.locator("#diagrama-estado").inner_text()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator(".diagram-tools").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "diagrama-subproceso.png"))

    opened = zoom(page)
    page.get_by_role("button", name="Acercar").click()
    assert zoom(page) > opened
    page.get_by_role("button", name="Alejar").focus()
    page.keyboard.press("Enter")  # the controls are buttons: the keyboard works as the mouse
    page.keyboard.press("Space")
    assert zoom(page) < opened
    page.get_by_role("button", name="Ajustar").click()
    fitted = zoom(page)
    assert fitted not in (opened, pytest.approx(opened / 1.25))
    canvas = page.get_by_role("img", name="Diagrama del proceso", exact=False)
    canvas.focus()
    moved = page.locator(".djs-container > svg .viewport").get_attribute("transform")
    page.keyboard.press("ArrowRight")
    assert page.locator(".djs-container > svg .viewport").get_attribute("transform") != moved
    page.keyboard.press("+")
    assert zoom(page) > fitted

    page.get_by_role("button", name="Volver al proceso principal").click()
    assert diagram.get_attribute("data-plane") == "Collaboration_pqrsd"
    assert page.get_by_role("button", name="Volver al proceso principal").is_hidden()
    holder = page.locator('.djs-shape[data-element-id="Sub_Respuesta"]')
    assert "phva-active" in str(holder.get_attribute("class"))  # the subprocess shows it holds the task
    assert inside(holder.bounding_box(), diagram.bounding_box())
    page.screenshot(path=str(ARTIFACTS / "diagrama-principal.png"))

    page.get_by_role(
        "button", name="Abrir «Gestionar la respuesta»"
    ).click()  # bpmn-js's drill-down, in Spanish
    assert diagram.get_attribute("data-plane") == "Sub_Respuesta_plane"
    assert troubles == []


def start_one(sc: Scenario, key: str) -> int:
    """An instance of the process, started the way it starts in the entity."""
    if key == "pqrsd":
        return radicar(sc)
    if key == "informe_pqrsd":  # its cycle timer starts it on the 1st of the month
        sc.clock.advance(days=31, hours=1)
        assert timers.fire_due_timers(sc.ctx).started == 1
        return int(views.instances(sc.ctx, process_key=key)[0]["id"])
    return sc.start(key, {"brechas": ["Oportunidad 88 %"]} if key == "accion_mejora" else None)


@pytest.mark.parametrize("key", MODELS)
def test_instance_page_of_every_model_shows_the_current_activity_without_console_errors(
    key: str, sc: Scenario, live_server: str, page: Any
) -> None:
    instance_id = start_one(sc, key)
    found = diagrams.instance_diagram(sc.ctx, instance_id, "ana")
    current = {found["called_in"].get(t["bpmn_id"], t["bpmn_id"]) for t in sc.open_tasks(instance_id)}
    assert current

    troubles = open_instance(page, live_server, instance_id)
    diagram = page.locator("#diagrama").bounding_box()
    for element_id in current:  # a called process's task is shown on its call activity
        shape = page.locator(f'.djs-shape[data-element-id="{element_id}"]')
        assert "phva-active" in str(shape.get_attribute("class")), element_id
        assert inside(shape.bounding_box(), diagram), element_id
    assert page.locator(".bjs-powered-by").is_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.locator("#diagrama").screenshot(path=str(ARTIFACTS / f"diagrama-{key}.png"))
    assert troubles == []
