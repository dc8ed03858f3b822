"""The bell and the notification list in chromium, on a desktop and a 390 px phone: the count shows, opening a
notification marks it read and goes to its task, nothing scrolls sideways."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from engine.notifications import events
from engine.notifications.notify import notify
from engine.store.uow import UnitOfWork
from tests.web.browser.conftest import ARTIFACTS
from tests.web.conftest import PASSWORD, engine


def _tell(app: Flask) -> None:
    ctx = engine(app)
    with UnitOfWork(ctx.db) as uow:
        for name in (
            "Revisar solicitud",
            "Responder la petición de María Pérez sobre su subsidio de vivienda",
        ):
            notify(uow.session, ctx, event=events.TASK_ASSIGNED, subject=f"Tarea asignada: {name}",
                   body=f"sara le asignó la tarea «{name}».", link="/tareas", users=["ana"])  # fmt: skip
        notify(uow.session, ctx, event=events.CASE_OVERDUE, subject="PQRSD vencida: 2026-000001",
               body="El término de la PQRSD 2026-000001 «Subsidio» venció el 24/03/2026 sin respuesta.",
               link="/tareas", users=["ana"])  # fmt: skip
        uow.commit()


@pytest.mark.parametrize(("width", "height"), [(1280, 900), (390, 844)])
def test_the_bell_counts_and_opening_a_notification_marks_it_read(
    app: Flask, browser: Any, live_server: str, width: int, height: int
) -> None:
    _tell(app)
    context = browser.new_context(viewport={"width": width, "height": height}, locale="es-CO",
                                  timezone_id="America/Bogota")  # fmt: skip
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto(f"{live_server}/ingresar")
    page.fill("#usuario", "ana")
    page.fill("#contrasena", PASSWORD)
    page.click("button[type=submit]")
    assert page.locator(".bell-count").inner_text() == "3"
    page.click("a.bell")
    assert page.locator("h1").inner_text() == "Notificaciones"
    assert page.locator(".notif-unread").count() == 3
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"notificaciones-{width}.png"), full_page=True)
    page.locator(".notif").first.get_by_role("button", name="Abrir").click()
    page.wait_for_url(f"{live_server}/tareas")
    assert page.locator(".bell-count").inner_text() == "2"
    page.goto(f"{live_server}/notificaciones")
    page.get_by_role("button", name="Marcar todas como leídas").click()
    assert page.locator(".bell-count").count() == 0
    assert "Todas sus notificaciones quedaron leídas." in page.locator(".flashes").inner_text()
    context.close()
