"""Each stage of the value chain, the improvement action and the whole PHVA cycle, run to their end."""

from __future__ import annotations

import pytest

from tests.scenarios.conftest import Scenario

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


def seguimiento(oportunidad: int, satisfaccion: int) -> tuple[object, ...]:
    return (
        ("Task_LineaBase", {"periodo_desde": "2026-01-01", "periodo_hasta": "2026-04-01"}),
        (
            "Task_HacerSeguimiento",
            {"resultado_oportunidad": oportunidad, "resultado_satisfaccion": satisfaccion},
        ),
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


def test_seguimiento_flags_the_indicators_below_target(sc: Scenario) -> None:
    pid = sc.start("seguimiento_relacionamiento")
    sc.walk(pid, *seguimiento(oportunidad=88, satisfaccion=90))
    data = sc.data(pid)
    assert sc.instance(pid)["status"] == "completed"
    assert data["indicadores_bajo_meta"] is True
    assert data["brechas"] == ["Oportunidad en la respuesta a PQRSD: 88 % (meta 95 %)"]
    assert data["estadisticas"]["periodo_desde"] == "2026-01-01"


def test_proponer_ajustes_returns_the_proposal_until_it_is_approved(sc: Scenario) -> None:
    pid = sc.start("proponer_ajustes_oferta")
    sc.walk(pid, *PROPONER[:4], ("Task_AprobarPropuesta", {"propuesta_aprobada": False}), *PROPONER[3:])
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Proponer" in detail["completed_activities"]


def test_accion_mejora_is_reformulated_until_it_proves_effective(sc: Scenario) -> None:
    pid = sc.start("accion_mejora", {"brechas": ["Oportunidad 88 %"]})
    sc.walk(pid, *MEJORA[:3], ("Task_VerificarEficacia", {"accion_eficaz": False}), *MEJORA[1:])
    assert sc.instance(pid)["status"] == "completed"


@pytest.mark.parametrize("below_target", [True, False])
def test_ciclo_phva_runs_every_stage_in_order_and_acts_on_indicators_below_target(
    sc: Scenario, below_target: bool
) -> None:
    pid = sc.start("ciclo_phva")
    sc.walk(pid, *CONOCER, *FORMULAR, *DESARROLLAR, *seguimiento(80 if below_target else 97, 85))
    if below_target:
        sc.walk(pid, *MEJORA)
    sc.walk(pid, *PROPONER, ("Task_DecidirCiclo", {"continuar_ciclo": not below_target}))
    detail = sc.instance(pid)
    assert ("Call_Mejora" in detail["completed_activities"]) is below_target
    if below_target:
        assert detail["status"] == "completed"
        return
    assert list(sc.timers(pid)) == ["Timer_SiguientePeriodo"]
    assert sc.advance(days=364) == 0
    assert sc.advance(days=2) == 1
    sc.walk(
        pid,
        *CONOCER,
        *FORMULAR,
        *DESARROLLAR,
        *seguimiento(97, 85),
        *PROPONER,
        ("Task_DecidirCiclo", {"continuar_ciclo": False}),
    )
    assert sc.instance(pid)["status"] == "completed"
