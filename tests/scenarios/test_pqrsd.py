"""Every branch of one PQRSD under Ley 1755 de 2015, on the business-day calendar, with a moved clock.

Each case is filed through the real radicación; the process keeps the case's estado and legal clock in step
through its service tasks, so the assertions read the case as the API and the case page show it.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from lxml import etree

from engine.errors import IncidentRaised
from engine.pqrsd import actions, radicacion
from engine.pqrsd.records import CaseDetail
from engine.pqrsd.views import case_detail
from engine.store import cases as case_store
from engine.store import ladders as ladder_store
from engine.store.uow import UnitOfWork
from tests.conftest import ROOT
from tests.helpers import start_model
from tests.scenarios.conftest import Scenario

CLERK = "u.atencion_ciudadano"
RADICADO = "2026-000001"  # the first radicado of 2026 in a fresh database


def peticion(**changes: Any) -> dict[str, Any]:
    """Filed Monday 2 March 2026 at 08:00 in Bogotá through the web form."""
    return {
        "tipo": "peticion_general",
        "canal": "formulario_web",
        "asunto": "Estado de mi solicitud de subsidio",
        "descripcion": "Solicito información sobre el estado de mi solicitud.",
        "anonimo": False,
        "nombre": "María Pérez",
        "correo": "maria.perez@example.co",
        "prioridad": "normal",
        "fecha_recibo": "2026-03-02T08:00:00-05:00",
        **changes,
    }


def radicar(sc: Scenario, **changes: Any) -> int:
    """Radicate the petition the way every entry point does; its `pqrsd` process starts keyed by the radicado."""
    case = radicacion.file_pqrsd(sc.ctx, peticion(**changes), actor=CLERK)
    assert case["radicado"] == RADICADO and case.get("process_error") is None, case.get("process_error")
    assert isinstance(case["instance_id"], int)
    return case["instance_id"]


def caso(sc: Scenario) -> CaseDetail:
    return case_detail(sc.ctx, RADICADO, CLERK)


def eventos(sc: Scenario) -> list[str]:
    return [e["action"] for e in caso(sc)["eventos"]]


AREA = ("Task_Verificar", {"nivel": "area_misional"})
RESPONDER = ("Task_ProyectarRespuesta", ("Task_AprobarRespuesta", {"respuesta_aprobada": True}))


BPMN = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
TOPIC = "{http://camunda.org/schema/1.0/bpmn}topic"
CASE_SERVICES = {
    "Task_Registrar": "pqrsd_registrar",
    "Task_CalcularTerminos": "pqrsd_en_tramite",
    "Task_Suspender": "pqrsd_requerimiento",
    "Task_Reactivar": "pqrsd_reanudar",
    "Task_ValidarProrroga": "pqrsd_validar_prorroga",
    "Task_AplicarProrroga": "pqrsd_prorrogar",
    "Task_RegistrarTraslado": "pqrsd_trasladar",
    "Task_RegistrarDesistimiento": "pqrsd_desistir",
    "Task_RegistrarRespuesta": "pqrsd_responder",
    "Task_RegistrarPublicacion": "pqrsd_responder",
    "Task_Cerrar": "pqrsd_cerrar",
    "Task_CerrarSinEncuesta": "pqrsd_cerrar",
    "Task_CerrarPublicada": "pqrsd_cerrar",
}


def test_case_services_keep_the_legal_clock_and_the_estado_no_script_does() -> None:
    tree = etree.parse(str(ROOT / "bpmn" / "pqrsd.bpmn"))
    assert tree.xpath("//bpmn:scriptTask", namespaces=BPMN) == []
    topics = {task.get("id"): task.get(TOPIC) for task in tree.xpath("//bpmn:serviceTask", namespaces=BPMN)}
    assert CASE_SERVICES.items() <= topics.items()


def test_the_process_does_not_run_without_a_radicated_case(sc: Scenario) -> None:
    started = start_model(sc.ctx, "pqrsd", peticion(), business_key=None)
    assert started.incident is not None and "no corresponde a una PQRSD radicada" in started.incident


def test_only_the_cases_own_process_acts_on_it(sc: Scenario) -> None:
    pid = radicar(sc)
    other = start_model(sc.ctx, "pqrsd", peticion(), business_key=RADICADO)
    assert other.incident is not None and f"la tramita el proceso n.º {pid}," in other.incident


def test_peticion_is_answered_by_the_assigned_dependencia_within_its_term(any_db: Scenario) -> None:
    sc = any_db
    pid = radicar(sc)
    data = sc.data(pid)
    assert (data["fecha_radicado"], data["termino"], data["dias_termino"]) == (
        "2026-03-02",
        "peticion_general",
        15,
    )
    assert data["fecha_vencimiento"] == "2026-03-24T23:59:59-05:00"  # Mon 23 March (San José) is a holiday
    assert data["alerta_en"] == "2026-03-16T08:00:00-05:00"
    assert sc.task(pid, "Task_Verificar")["due_at"].startswith("2026-03-10T04:59:59")  # 5 business days, UTC
    case = caso(sc)
    assert (case["estado"], case["vence_el"], data["estado"]) == ("en_tramite", "2026-03-24", "en_tramite")
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    assert sc.task(pid, "Task_ProyectarRespuesta")["candidate_groups"] == ["juridica"]
    assert set(sc.timers(pid)) == {"Timer_Alerta", "Timer_Vencida"}
    sc.advance(days=3)
    sc.walk(
        pid,
        "Task_ProyectarRespuesta",
        ("Task_AprobarRespuesta", {"respuesta_aprobada": False}),
        *RESPONDER,
    )
    assert caso(sc)["estado"] == "respondida"  # the answer went out: the survey is still pending
    assert caso(sc)["dependencia"] == "juridica"  # the one chosen in Task_AsignarDependencia, for the report
    assert sc.data(pid)["notificaciones"][-1]["destinatario"] == "maria.perez@example.co"
    sc.walk(pid, ("Task_Encuesta", {"satisfaccion": "5"}))
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Respondida" in detail["completed_activities"]
    assert "Timer_Vencida" not in detail["completed_activities"]
    assert sc.data(pid)["satisfaccion"] == "5"
    assert caso(sc)["estado"] == "cerrada"
    assert {"pqrsd_radicada", "pqrsd_en_tramite", "pqrsd_respondida", "pqrsd_cerrada"} <= set(eventos(sc))


def test_peticion_outside_competence_is_transferred_within_five_business_days(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, ("Task_Verificar", {"competente": False, "entidad_competente": "Superintendencia de Salud"}))
    assert sc.task(pid, "Task_Trasladar")["due_at"].startswith("2026-03-10T04:59:59")
    sc.advance(days=2)  # Wednesday 4 March
    sc.walk(
        pid,
        (
            "Task_Trasladar",
            {"entidad_destino": "Superintendencia de Salud", "radicado_oficio_traslado": "S-0012"},
        ),
    )
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Trasladada" in detail["completed_activities"]
    [aviso] = sc.data(pid)["notificaciones"]
    assert (aviso["destinatario"], aviso["estado"]) == ("maria.perez@example.co", "trasladada")
    case = caso(sc)
    assert case["estado"] == "trasladada"
    assert case["traslado"] is not None
    assert (case["traslado"]["entidad_destino"], case["traslado"]["oficio_radicado"]) == (
        "Superintendencia de Salud",
        "S-0012",
    )
    assert case["traslado"]["dentro_de_termino"] is True  # by Mon 9 March (art. 21)


def test_incomplete_peticion_resumes_its_term_when_the_citizen_completes_it(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.advance(days=2)  # Wednesday 4 March: two business days used (3 and 4 March)
    sc.walk(pid, ("Task_Verificar", {"completa": False, "nivel": "autogestion"}), "Task_Requerir")
    data = sc.data(pid)
    assert (data["estado"], data["plazo_ciudadano"]) == ("en_requerimiento", "2026-04-06T23:59:59-05:00")
    assert list(sc.timers(pid)) == ["Timer_PlazoCiudadano"]
    case = caso(sc)
    assert (case["estado"], case["vence_el"], case["dias_habiles_restantes"]) == (
        "en_requerimiento",
        None,
        None,
    )
    assert case["suspensions"][0]["plazo_ciudadano"] == "2026-04-06T23:59:59-05:00"
    sc.advance(days=7)  # Wednesday 11 March
    assert sc.complete_message("pqrsd_completada", RADICADO, {"anexos": "Copia de la cédula"}) == pid
    data = sc.data(pid)
    # 13 business days left after 11 March: the 5 suspended (5, 6, 9, 10, 11 March) move 24 March to 31 March
    assert data["fecha_vencimiento"] == "2026-03-31T23:59:59-05:00"
    assert (caso(sc)["estado"], caso(sc)["vence_el"]) == ("en_tramite", "2026-03-31")
    assert data["anexos"] == "Copia de la cédula"  # message variables are process variables
    assert "Event_Completada_Response" not in data
    sc.walk(pid, "Task_Autogestion")
    assert caso(sc)["estado"] == "respondida"
    assert sc.advance(days=11) >= 1  # no survey answer in 10 days: closed without it
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_SinEncuesta" in detail["completed_activities"]
    assert caso(sc)["estado"] == "cerrada"


def test_requerimiento_moves_the_due_date_by_exactly_the_business_days_suspended(sc: Scenario) -> None:
    """PQRSD_RULES §2.6: radicación Wed 18 Mar 2026, requerimiento Wed 25 Mar, complied Wed 8 Apr (RESUME)."""
    sc.clock.set(datetime(2026, 3, 18, 13, 0, tzinfo=UTC))  # 08:00 in Bogotá
    pid = radicar(sc, fecha_recibo="18/03/2026 08:00")
    assert caso(sc)["vence_el"] == "2026-04-13"  # 15 days: 19 Mar … 13 Apr (San José, Semana Santa skipped)
    sc.advance(days=7)  # Wed 25 March: 19, 20, 24, 25 March used (Mon 23 is a holiday)
    sc.walk(pid, ("Task_Verificar", {"completa": False}), ("Task_Requerir", {"texto_requerimiento": "Copia"}))
    case = caso(sc)
    assert (case["estado"], case["vence_el"]) == ("en_requerimiento", None)
    assert case["suspensions"][0]["plazo_ciudadano"] == "2026-04-27T23:59:59-05:00"  # Sat 25 Apr → Mon 27
    sc.advance(days=14)  # Wed 8 April: the citizen brings the documents to the ventanilla
    sc.walk(pid, ("Task_EsperarComplemento", {"anexos": "Copia de la escritura"}))
    # Suspended 26, 27, 30, 31 Mar, 1, 6, 7, 8 Apr (2-3 Apr: Semana Santa): 8 business days after 13 Apr
    case = caso(sc)
    assert (case["estado"], case["vence_el"], case["original_due_date"]) == (
        "en_tramite",
        "2026-04-23",
        "2026-04-13",
    )
    assert sc.data(pid)["fecha_vencimiento"] == "2026-04-23T23:59:59-05:00"
    assert sc.timers(pid)["Timer_Vencida"].startswith("2026-04-24T04:59:59")  # the escalation moved too
    assert "pqrsd_reanudada" in eventos(sc)


def test_a_requerimiento_after_day_ten_is_an_incident_that_leaves_the_case_as_it_was(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.advance(days=15)  # Tuesday 17 March: the tenth business day was Monday 16 (art. 17)
    sc.walk(pid, ("Task_Verificar", {"completa": False}))
    with pytest.raises(IncidentRaised, match="Task_Suspender"):
        sc.walk(pid, "Task_Requerir")
    [incident] = sc.instance(pid)["incidents"]
    assert incident["message"] == (
        f"ActionRefused: PQRSD {RADICADO}: el requerimiento debía hacerse a más tardar el lunes 16 de marzo de "
        "2026 (10 días, art. 17)."
    )
    case = caso(sc)
    assert (case["estado"], case["vence_el"], case["suspensions"]) == ("en_tramite", "2026-03-24", [])


def test_incomplete_peticion_ends_in_desistimiento_when_the_month_runs_out(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, ("Task_Verificar", {"completa": False}), "Task_Requerir")
    assert sc.data(pid)["plazo_ciudadano"] == "2026-04-06T23:59:59-05:00"  # 2 and 3 April: Semana Santa
    assert sc.advance(days=35) == 0  # Monday 6 April, last day of the month
    assert sc.advance(days=1) == 1
    assert caso(sc)["estado"] == "en_requerimiento"  # the act is still to be decreed
    sc.walk(pid, ("Task_Desistimiento", {"acto_desistimiento": "Resolución 045 de 2026"}))
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Desistida" in detail["completed_activities"]
    assert caso(sc)["estado"] == "desistida_tacita"
    assert "pqrsd_desistida_tacita" in eventos(sc)


def test_prorroga_before_the_due_date_moves_the_deadline_and_the_escalation(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "dependencias"}))
    sc.advance(days=10)  # 12 March, before the due date
    sc.walk(
        pid,
        (
            "Task_ProyectarRespuesta",
            {
                "solicitar_prorroga": True,
                "motivo_prorroga": "Visita técnica",
                "nueva_fecha_respuesta": "2026-04-10",
            },
        ),
        ("Task_ComunicarProrroga", {"radicado_oficio_prorroga": "2026-S-0456"}),
    )
    data = sc.data(pid)
    assert data["fecha_vencimiento"] == "2026-04-10T23:59:59-05:00"
    assert data["vencimiento_original"] == "2026-03-24T23:59:59-05:00"
    assert sc.timers(pid)["Timer_Vencida"].startswith("2026-04-11T04:59:59")
    case = caso(sc)
    assert (case["estado"], case["vence_el"], case["original_due_date"]) == (
        "prorrogada",
        "2026-04-10",
        "2026-03-24",
    )
    assert case["prorroga"] is not None
    assert (case["prorroga"]["motivo"], case["prorroga"]["maximo"]) == (
        "Visita técnica",
        "2026-04-16",
    )  # 30 days
    sc.advance(days=14)  # 26 March: past the original due date, nothing escalates
    assert "Task_Vencida" not in {t["bpmn_id"] for t in sc.open_tasks(pid)}
    sc.walk(pid, *RESPONDER, "Task_Encuesta")
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "Task_AplicarProrroga" in detail["completed_activities"]
    assert caso(sc)["estado"] == "cerrada"


def _refusal_of_prorrogar(sc: Scenario, nueva_fecha: date) -> str:
    """The case service itself, called on the case: what ActionRefused says (and the case is left as it was)."""
    with UnitOfWork(sc.ctx.db) as uow:
        case = case_store.case_by_radicado(uow.session, RADICADO)
        assert case is not None
        with pytest.raises(actions.ActionRefused) as refused:
            actions.prorrogar(sc.ctx, uow.session, case, notice_at=sc.ctx.clock.now(), motivo="Visita técnica",
                              nueva_fecha=nueva_fecha, actor=CLERK)  # fmt: skip
    return refused.value.message


def test_second_prorroga_is_refused_with_the_reason(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(
        pid,
        AREA,
        ("Task_AsignarDependencia", {"dependencia": "dependencias"}),
        ("Task_ProyectarRespuesta", {"solicitar_prorroga": True, "nueva_fecha_respuesta": "2026-04-10"}),
        "Task_ComunicarProrroga",
        ("Task_ProyectarRespuesta", {"solicitar_prorroga": True, "nueva_fecha_respuesta": "2026-04-15"}),
    )
    why = "la prórroga procede una sola vez (art. 14 par.); ya se prorrogó hasta el viernes 10 de abril de 2026."
    redo = sc.data_of_task(pid, "Task_ProyectarRespuesta")
    assert (redo["observacion_prorroga"], redo["prorroga_valida"], redo["solicitar_prorroga"]) == (
        why[:1].upper() + why[1:],
        False,
        False,
    )
    assert _refusal_of_prorrogar(sc, date(2026, 4, 15)) == f"PQRSD {RADICADO}: {why}"
    assert (caso(sc)["vence_el"], caso(sc)["estado"]) == ("2026-04-10", "prorrogada")


@pytest.mark.parametrize(
    ("days", "nueva_fecha", "why"),
    [
        pytest.param(
            23,  # Wed 25 March, the day after the due date
            "2026-04-10",
            "la prórroga debe comunicarse antes del vencimiento original (2026-03-24); el aviso es del 2026-03-25.",
            id="after-the-due-date",
        ),
        pytest.param(
            10,
            "2026-04-30",
            "la nueva fecha (2026-04-30) supera el máximo legal (2026-04-16).",  # twice the 15 days
            id="beyond-twice-the-term",
        ),
    ],
)
def test_late_or_too_long_prorroga_is_refused_with_the_reason(
    sc: Scenario, days: int, nueva_fecha: str, why: str
) -> None:
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "dependencias"}))
    sc.advance(days=days)
    sc.walk(
        pid, ("Task_ProyectarRespuesta", {"solicitar_prorroga": True, "nueva_fecha_respuesta": nueva_fecha})
    )
    redo = sc.data_of_task(pid, "Task_ProyectarRespuesta")
    assert (redo["observacion_prorroga"], redo["prorroga_valida"]) == (why[:1].upper() + why[1:], False)
    assert _refusal_of_prorrogar(sc, date.fromisoformat(nueva_fecha)) == f"PQRSD {RADICADO}: {why}"
    case = caso(sc)
    assert (case["vence_el"], case["prorroga"], case["estado"]) == ("2026-03-24", None, "en_tramite")


def test_overdue_pqrsd_alerts_at_two_thirds_and_escalates_to_the_supervisor(any_db: Scenario) -> None:
    sc = any_db
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    assert sc.advance(days=14, hours=1) == 1  # 16 March 09:00: two thirds of the term
    assert "End_Alertada" in sc.instance(pid)["completed_activities"]
    assert sc.advance(days=9) == 1  # 25 March: the term expired on the 24th
    vencida = sc.task(pid, "Task_Vencida")
    assert (vencida["candidate_groups"], vencida["priority"]) == (["supervision"], 100)
    assert caso(sc)["dias_habiles_restantes"] == -1
    sc.walk(pid, "Task_Vencida", *RESPONDER, "Task_Encuesta")
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert {"End_Escalada", "End_Respondida"} <= set(detail["completed_activities"])
    assert caso(sc)["estado"] == "cerrada"


def test_anonymous_denuncia_goes_to_control_interno_and_its_answer_is_published(sc: Scenario) -> None:
    pid = radicar(sc, tipo="denuncia", anonimo=True, nombre="", correo="")
    data = sc.data(pid)
    assert (data["tratamiento"], data["dependencia_sugerida"]) == ("denuncia_anonima", "control_interno")
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "control_interno"}))
    assert sc.task(pid, "Task_ProyectarRespuesta")["candidate_groups"] == ["control_interno"]
    sc.walk(pid, *RESPONDER, "Task_Publicar")
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Publicada" in detail["completed_activities"]
    assert "Task_Encuesta" not in detail["completed_activities"]
    assert caso(sc)["estado"] == "cerrada"  # published (respondida), then closed: there is no one to survey
    assert eventos(sc).index("pqrsd_respondida") < eventos(sc).index("pqrsd_cerrada")


def test_priority_case_takes_urgent_measures_first_and_alerts_early(sc: Scenario) -> None:
    pid = radicar(sc, prioridad="urgente_vida_integridad")
    urgent = sc.task(pid, "Task_MedidasUrgentes")
    assert (urgent["candidate_groups"], urgent["priority"]) == (["supervision"], 90)
    assert sc.data(pid)["alerta_en"] == "2026-03-05T08:00:00-05:00"  # third business day
    sc.walk(pid, "Task_MedidasUrgentes")
    assert sc.task(pid, "Task_Verificar")["priority"] == 90
    sc.walk(pid, ("Task_Verificar", {"nivel": "punto_atencion"}), "Task_PuntoAtencion", "Task_Encuesta")
    assert sc.instance(pid)["status"] == "completed"
    assert caso(sc)["estado"] == "cerrada"


def test_the_answer_tasks_carry_their_escalation_ladder(sc: Scenario) -> None:
    """The shipped model arms the ladders drawn on Proyectar and Aprobar when those tasks open, and ends them."""
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    draft = sc.task(pid, "Task_ProyectarRespuesta")
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        steps = [
            (s.when_text, s.action, s.status) for s in ladder_store.steps_of_task(uow.session, draft["id"])
        ]
    assert [(when, action) for when, action, _ in steps] == [
        ("50%", "avisar_responsable"),
        ("100%-1d", "avisar_supervisor"),
        ("100%+2d", "reasignar_supervisor"),
        ("100%+5d", "avisar_jefe"),
    ]
    sc.walk(pid, "Task_ProyectarRespuesta")
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        ended = {s.status for s in ladder_store.steps_of_task(uow.session, draft["id"])}
        review = sc.task(pid, "Task_AprobarRespuesta")
        armed = [s.action for s in ladder_store.steps_of_task(uow.session, review["id"])]
    assert ended == {"cancelled"} and armed == ["avisar_responsable", "avisar_supervisor"]
