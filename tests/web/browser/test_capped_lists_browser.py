"""In a real browser, the lists that stop counting at 1.000: the PQRSD bandeja and a supervision list say
«1.000+», page on by «Siguiente» (the list's cursor), and fit a 390 px phone as they fit 1280 px."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import text

from engine.clock import FrozenClock
from engine.context import Context
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_supervision import RECEIVED, file_case
from tests.web.browser.conftest import ARTIFACTS
from tests.web.browser.test_pqrsd_case import sign_in
from tests.web.browser.test_supervision_browser import app, fits  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser
_COPIED = ", ".join(
    c.name for c in PqrsdCase.__table__.columns if c.name not in ("id", "radicado", "codigo_consulta")
)


def _many_cases(ctx: Context, n: int) -> None:
    """n copies of the case filed, each its own radicado (no process: the lists only need the rows)."""
    with UnitOfWork(ctx.db) as uow:
        uow.session.execute(
            text(
                f"INSERT INTO pqrsd_cases (radicado, {_COPIED}) WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL "
                f"SELECT i + 1 FROM n WHERE i < {n}) SELECT 'COPIA-' || i, {_COPIED.replace('instance_id', 'NULL')} "
                "FROM n, (SELECT * FROM pqrsd_cases ORDER BY id LIMIT 1)"
            )
        )
        uow.commit()


def _shots(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 390, "height": 844})
    fits(page, 390, ARTIFACTS / f"{name}-390.png")
    fits(page, 1280, ARTIFACTS / f"{name}-1280.png")


def test_the_bandeja_and_a_supervision_list_say_1000_plus_and_page_on(
    app: Flask,  # noqa: F811
    live_server: str,
    page: Any,
    sqlite_ctx: Context,
    clock: FrozenClock,
    tmp_path: Path,
) -> None:
    sc = Scenario(sqlite_ctx, clock)
    file_case(sc, RECEIVED["alerta"], "juridica")
    _many_cases(sqlite_ctx, 1050)

    sign_in(page, live_server, "u.atencion_ciudadano")  # who filed them sees them in her bandeja
    page.goto(f"{live_server}/pqrsd")
    assert page.get_by_role("status").inner_text().startswith("1.000+ PQRSD")
    _shots(page, "bandeja-capped")
    page.get_by_role("link", name="Siguiente →").first.click()
    page.wait_for_url("**pagina=2**")
    assert "página 2" in page.get_by_role("status").inner_text()

    sign_in(page, live_server, "sara")  # the supervision group: the entity
    page.goto(f"{live_server}/supervision/lista?ver=casos")
    status = page.get_by_role("status").inner_text()
    assert status.startswith("1.000+ pqrsd abiertas"), status
    _shots(page, "supervision-lista-capped")
    first = page.locator("table.tasks tbody tr td:nth-child(2)").all_inner_texts()
    page.get_by_role("link", name="Siguiente →").click()
    page.wait_for_url("**desde=**")
    second = page.locator("table.tasks tbody tr td:nth-child(2)").all_inner_texts()
    assert len(second) == 25 and not set(first) & set(second)
    assert page.get_by_role("link", name="← Primera página").is_visible()
    _shots(page, "supervision-lista-siguiente")
