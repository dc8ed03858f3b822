"""The PHVA loop closes on the report's figures: the follow-up reads the period's indicators from the PQRSD
report, and each indicator below its goal opens one improvement action with the indicator, figure and goal."""

from __future__ import annotations

from typing import Any

from engine.identity import users
from engine.reports import pqrsd_goals
from engine.workflow import views
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import AREA, RESPONDER, radicar

MARCH = {"periodo_desde": "2026-03-01", "periodo_hasta": "2026-03-31"}


def answered(sc: Scenario, *, late: bool) -> None:
    """A petition filed Monday 2 March 2026 (due Tuesday 24 March), answered on the 5th or on the 25th, then
    closed with its survey."""
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    sc.advance(days=23 if late else 3)
    sc.walk(pid, *RESPONDER, "Task_Encuesta")


def follow_up(sc: Scenario, period: dict[str, str] = MARCH) -> tuple[int, dict[str, Any]]:
    pid = sc.start("seguimiento_relacionamiento")
    sc.walk(pid, ("Task_LineaBase", period))
    return pid, sc.data_of_task(pid, "Task_HacerSeguimiento")


def improvement_actions(sc: Scenario) -> list[dict[str, Any]]:
    return views.instances(sc.ctx, process_key="accion_mejora")


def test_an_indicator_below_its_goal_opens_an_improvement_action_with_its_figures(sc: Scenario) -> None:
    answered(sc, late=True)
    follow, data = follow_up(sc)
    oportunidad = data["indicadores"]["oportunidad"]
    assert (
        oportunidad["valor"],
        oportunidad["meta"],
        oportunidad["numerador"],
        oportunidad["denominador"],
    ) == (
        0.0,
        95.0,
        0,
        1,
    )
    assert data["indicadores_bajo_meta"] is True
    assert data["brechas"] == ["Porcentaje de oportunidad en la respuesta a PQRSD: 0 % (meta 95 %)"]
    assert data["enlace_reporte"] == "/reportes/pqrsd?from=2026-03-01&to=2026-03-31"
    [action] = improvement_actions(sc)
    assert action["business_key"] == "mejora-oportunidad-2026-03"
    assert data["acciones_mejora"] == [
        {"indicador": "oportunidad", "clave": action["business_key"], "proceso": action["id"],
         "enlace": f"/procesos/{action['id']}"}
    ]  # fmt: skip
    started = sc.data_of_task(action["id"], "Task_AnalizarCausas")
    assert (started["indicador"], started["valor"], started["meta"], started["origen_seguimiento"]) == (
        "oportunidad",
        0.0,
        95.0,
        follow,
    )
    assert (started["periodo_desde"], started["periodo_hasta"]) == ("2026-03-01", "2026-03-31")
    assert sc.task(action["id"], "Task_AnalizarCausas")["candidate_groups"] == ["secretaria_general"]
    sc.walk(follow, "Task_HacerSeguimiento", "Task_Realimentacion")
    assert sc.instance(follow)["status"] == "completed"


def test_the_same_indicator_and_period_open_one_improvement_action_only(sc: Scenario) -> None:
    answered(sc, late=True)
    _, first = follow_up(sc)
    _, again = follow_up(sc)
    [action] = improvement_actions(sc)
    assert first["acciones_mejora"] == again["acciones_mejora"]
    assert again["acciones_mejora"][0]["proceso"] == action["id"]
    follow_up(sc, {"periodo_desde": "2026-03-01", "periodo_hasta": "2026-04-30"})  # another period: its own
    assert sorted(a["business_key"] for a in improvement_actions(sc)) == [
        "mejora-oportunidad-2026-03",
        "mejora-oportunidad-20260301-20260430",
    ]


def test_indicators_on_goal_or_not_measured_open_nothing(sc: Scenario) -> None:
    answered(sc, late=False)
    _, data = follow_up(sc)
    assert data["indicadores"]["oportunidad"]["valor"] == 100.0
    assert data["indicadores"]["calidad"]["valor"] is None  # no answer reviewed: not measured, not a gap
    assert (data["indicadores_bajo_meta"], data["brechas"], data["acciones_mejora"]) == (False, [], [])
    assert improvement_actions(sc) == []


def test_the_goal_comes_from_the_goals_table_of_the_vigencia(sc: Scenario) -> None:
    answered(sc, late=True)
    users.add_user(sc.ctx, "jefa", roles="admin")
    pqrsd_goals.set_goal(sc.ctx, "oportunidad", 2026, "0", "jefa")
    _, data = follow_up(sc)
    assert data["indicadores"]["oportunidad"]["meta"] == 0.0
    assert data["indicadores_bajo_meta"] is False
    assert improvement_actions(sc) == []
