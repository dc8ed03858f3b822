"""Each stage of the value chain, the improvement action and the whole PHVA cycle, run to their end."""

from __future__ import annotations

import pytest

from engine.workflow import views
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_phva_loop import answered

CONOCER = (
    "Task_ConformarGrupo",
    "Task_AnalizarCaracteristicas",
    ("Task_ValidarCaracterizacion", {"caracterizacion_aprobada": True}),
    "Task_DivulgarCaracterizacion",
)
FORMULAR = (
    "Task_RecopilarInformacion",
    "Task_FormasRelacionamiento",
    "Task_IdentificarOferta",
    "Task_DisenarEstrategia",
    ("Task_SocializarLideres", {"requiere_ajustes": False}),
    "Task_Capacitar",
    "Task_SocializarGrupos",
)
DESARROLLAR = (
    "Task_ArticularDependencias",
    "Task_PonerEnMarcha",
    "Task_OperarCanales",
    "Task_Participacion",
    "Task_RendicionCuentas",
    "Task_MedirSatisfaccion",
    "Task_SeguimientoImplementacion",
)
PROPONER = (
    "Task_AnalizarNormatividad",
    "Task_ValidarPertinencia",
    "Task_AnalizarAlineacion",
    "Task_GenerarPropuesta",
    ("Task_AprobarPropuesta", {"propuesta_aprobada": True}),
)
MEJORA = (
    "Task_AnalizarCausas",
    "Task_FormularAccion",
    "Task_EjecutarAccion",
    ("Task_VerificarEficacia", {"accion_eficaz": True}),
    "Task_LeccionesAprendidas",
)


def seguimiento(desde: str = "2026-03-01", hasta: str = "2026-03-31") -> tuple[object, ...]:
    return (
        ("Task_LineaBase", {"periodo_desde": desde, "periodo_hasta": hasta}),
        "Task_HacerSeguimiento",
        "Task_Realimentacion",
    )


def test_conocer_ciudadania_returns_the_characterization_until_the_committee_approves(
    any_db: Scenario,
) -> None:
    sc = any_db
    pid = sc.start("conocer_ciudadania")
    sc.walk(
        pid,
        "Task_ConformarGrupo",
        "Task_AnalizarCaracteristicas",
        ("Task_ValidarCaracterizacion", {"caracterizacion_aprobada": False}),
    )
    assert sc.task(pid, "Task_AnalizarCaracteristicas")["candidate_groups"] == ["atencion_ciudadano"]
    sc.walk(pid, *CONOCER[1:])
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Conocer" in detail["completed_activities"]
    assert sc.data(pid)["mecanismo_recoleccion"] == "encuesta"


def test_formular_estrategia_adjusts_the_strategy_after_the_leaders_observations(sc: Scenario) -> None:
    pid = sc.start("formular_estrategia")
    sc.walk(
        pid,
        *FORMULAR[:4],
        ("Task_SocializarLideres", {"requiere_ajustes": True}),
        "Task_AjustarEstrategia",
        *FORMULAR[5:],
    )
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "Task_AjustarEstrategia" in detail["completed_activities"]
    assert sc.data(pid)["meta_oportunidad"] == 95


def test_desarrollar_interaccion_runs_channels_participation_and_accountability_in_parallel(
    sc: Scenario,
) -> None:
    pid = sc.start("desarrollar_interaccion")
    sc.walk(pid, "Task_ArticularDependencias", "Task_PonerEnMarcha")
    parallel = {t["bpmn_id"] for t in sc.open_tasks(pid)}
    assert parallel == {"Task_OperarCanales", "Task_Participacion", "Task_RendicionCuentas"}
    sc.walk(pid, *DESARROLLAR[2:])
    assert sc.instance(pid)["status"] == "completed"


def test_seguimiento_reads_the_periods_indicators_from_the_report(sc: Scenario) -> None:
    pid = sc.start("seguimiento_relacionamiento")
    sc.walk(pid, *seguimiento("2026-01-01", "2026-03-31"))
    data = sc.data(pid)
    assert sc.instance(pid)["status"] == "completed"
    assert set(data["indicadores"]) == {"oportunidad", "calidad", "satisfaccion", "canal_presencial"}
    assert data["indicadores"]["satisfaccion"]["meta"] == 80  # the goals table's default for the vigencia
    assert all(i["valor"] is None for i in data["indicadores"].values())  # no PQRSD yet: nothing measured
    assert (data["indicadores_bajo_meta"], data["brechas"], data["acciones_mejora"]) == (False, [], [])
    assert data["enlace_reporte"] == "/reportes/pqrsd?from=2026-01-01&to=2026-03-31"


def test_proponer_ajustes_returns_the_proposal_until_it_is_approved(sc: Scenario) -> None:
    pid = sc.start("proponer_ajustes_oferta")
    sc.walk(pid, *PROPONER[:4], ("Task_AprobarPropuesta", {"propuesta_aprobada": False}), *PROPONER[3:])
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Proponer" in detail["completed_activities"]


def test_accion_mejora_is_reformulated_until_it_proves_effective(sc: Scenario) -> None:
    pid = sc.start(
        "accion_mejora", {"brechas": ["Porcentaje de oportunidad en la respuesta a PQRSD: 88 % (meta 95 %)"]}
    )
    sc.walk(pid, *MEJORA[:3], ("Task_VerificarEficacia", {"accion_eficaz": False}), *MEJORA[1:])
    assert sc.instance(pid)["status"] == "completed"


@pytest.mark.parametrize("below_target", [True, False])
def test_ciclo_phva_runs_every_stage_in_order_and_acts_on_indicators_below_target(
    sc: Scenario, below_target: bool
) -> None:
    answered(sc, late=below_target)  # March's one PQRSD: oportunidad 0 % or 100 %
    pid = sc.start("ciclo_phva")
    sc.walk(pid, *CONOCER, *FORMULAR, *DESARROLLAR, *seguimiento())
    actions = views.instances(sc.ctx, process_key="accion_mejora")
    assert [a["business_key"] for a in actions] == (["mejora-oportunidad-2026-03"] if below_target else [])
    assert sc.data_of_task(pid, "Task_AnalizarNormatividad")["indicadores_bajo_meta"] is below_target
    sc.walk(pid, *PROPONER, ("Task_DecidirCiclo", {"continuar_ciclo": not below_target}))
    if below_target:  # the improvement action runs on its own; the cycle has closed
        assert sc.instance(pid)["status"] == "completed"
        sc.walk(actions[0]["id"], *MEJORA)
        assert sc.instance(actions[0]["id"])["status"] == "completed"
        return
    assert list(sc.timers(pid)) == ["Timer_SiguientePeriodo"]
    assert sc.advance(days=364) == 0
    assert sc.advance(days=2) == 1
    sc.walk(
        pid,
        *CONOCER,
        *FORMULAR,
        *DESARROLLAR,
        *seguimiento("2027-01-01", "2027-03-31"),
        *PROPONER,
        ("Task_DecidirCiclo", {"continuar_ciclo": False}),
    )
    assert sc.instance(pid)["status"] == "completed"
