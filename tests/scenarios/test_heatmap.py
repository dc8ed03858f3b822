"""The heatmap of the pqrsd model: per activity its open, overdue and completed tasks and the mean business
days spent there, from one aggregate statement; on the diagram and in a table."""

from __future__ import annotations

import pytest

from engine.errors import BadInput, Forbidden
from engine.identity import users
from engine.supervision import heatmap
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import AREA
from tests.scenarios.test_supervision import RECEIVED, file_case, radicacion_instance, watcher
from tests.scenarios.test_supervision_web import _app, _signed_in
from tests.sql_count import counting


def _activities(found: heatmap.Heatmap) -> dict[str, tuple[int, int, int, float | None]]:
    return {
        a["id"]: (a["abiertas"], a["vencidas"], a["completadas"], a["dias_promedio"])
        for a in found["activities"]
    }


def _three_cases(sc: Scenario) -> None:
    file_case(sc, RECEIVED["rojo"], "juridica")
    file_case(sc, RECEIVED["verde"], "juridica")
    late = file_case(sc, "2026-03-02T08:00:00-05:00")
    sc.clock.advance(days=3)  # Thursday: Task_Verificar of the third waited three business days
    sc.walk(radicacion_instance(sc, late), AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))


def test_counts_and_mean_business_days_per_activity(any_db: Scenario) -> None:
    sc = any_db
    _three_cases(sc)
    everyone = users.get_user(sc.ctx, "u.supervision")
    period = heatmap.parse_period({}, sc.ctx)
    heatmap.heatmap(sc.ctx, everyone, "pqrsd", 1, period)  # warm: the legal calendar is read once
    with counting(sc.ctx.db) as cost:
        found = heatmap.heatmap(sc.ctx, everyone, "pqrsd", 1, period)
    aggregate = [
        s for s in cost.statements if not s.startswith("SELECT set_config")
    ]  # PostgreSQL's planner settings
    assert len(aggregate) == 2, cost  # the version's diagram, the one aggregate
    stats = _activities(found)
    assert stats["Task_Verificar"] == (0, 0, 3, 1.0)  # 0, 0 and 3 business days
    assert stats["Task_AsignarDependencia"] == (0, 0, 3, 0.0)
    assert stats["Task_ProyectarRespuesta"] == (3, 1, 0, None)
    assert stats["Task_Vencida"] == (1, 1, 0, None)
    # A supervisor of juridica counts juridica's tasks only; a period before it all, no completions.
    jefa = watcher(sc, "jefa.juridica", "juridica")
    assert _activities(heatmap.heatmap(sc.ctx, jefa, "pqrsd", 1, period))["Task_Vencida"][0] == 0
    before = heatmap.parse_period({"desde": "2026-01-01", "hasta": "2026-01-31"}, sc.ctx)
    assert _activities(heatmap.heatmap(sc.ctx, everyone, "pqrsd", 1, before))["Task_Verificar"] == (
        0,
        0,
        0,
        None,
    )


def test_the_heatmap_page_draws_badges_and_a_table(sc: Scenario) -> None:
    _three_cases(sc)
    client = _signed_in(_app(sc), "u.supervision")
    page = client.get("/supervision/mapa/pqrsd/1").get_data(as_text=True)
    assert (
        "Mapa de calor: " in page
        and '<th scope="row">Proyectar la respuesta</th><td data-label="Abiertas">3</td>' in page
    )
    drawn = client.get("/supervision/mapa/pqrsd/1/diagrama").get_json()
    assert drawn["xml"].startswith("<?xml") and "Task_ProyectarRespuesta" in drawn["overdue"]
    badges = {b["id"]: b["label"] for b in drawn["badges"]}
    assert badges["Task_ProyectarRespuesta"] == "3 ab. · 1 venc. · 0 hechas"
    assert badges["Task_Verificar"] == "0 ab. · 0 venc. · 3 hechas · 1,0 d"
    assert "pqrsd" in client.get("/supervision/mapa").get_data(as_text=True)
    assert client.get("/supervision/mapa/pqrsd/99").status_code == 404


def test_bad_periods_and_staff_without_the_role_are_refused(sc: Scenario) -> None:
    with pytest.raises(BadInput, match="después de terminar"):
        heatmap.parse_period({"desde": "2026-03-10", "hasta": "2026-03-01"}, sc.ctx)
    with pytest.raises(BadInput, match="AAAA-MM-DD"):
        heatmap.parse_period({"desde": "ayer"}, sc.ctx)
    with pytest.raises(Forbidden, match="supervisores, analistas y administradores"):
        heatmap.versions(sc.ctx, users.get_user(sc.ctx, "u.juridica"))
