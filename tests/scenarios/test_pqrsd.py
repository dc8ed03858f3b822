"""Every branch of one PQRSD under Ley 1755 de 2015, on the business-day calendar, with a moved clock."""

from __future__ import annotations

from typing import Any

from tests.scenarios.conftest import Scenario

RADICADO = "2026-000123"


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
        "radicado": RADICADO,
        **changes,
    }


def radicar(sc: Scenario, **changes: Any) -> int:
    return sc.start("pqrsd", peticion(**changes), business_key=RADICADO)


AREA = ("Task_Verificar", {"nivel": "area_misional"})
RESPONDER = ("Task_ProyectarRespuesta", ("Task_AprobarRespuesta", {"respuesta_aprobada": True}))


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
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    assert sc.task(pid, "Task_ProyectarRespuesta")["candidate_groups"] == ["juridica"]
    assert set(sc.timers(pid)) == {"Timer_Alerta", "Timer_Vencida"}
    sc.advance(days=3)
    sc.walk(
        pid,
        "Task_ProyectarRespuesta",
        ("Task_AprobarRespuesta", {"respuesta_aprobada": False}),
        *RESPONDER,
        ("Task_Encuesta", {"satisfaccion": "5"}),
    )
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Respondida" in detail["completed_activities"]
    assert "Timer_Vencida" not in detail["completed_activities"]
    assert sc.data(pid)["satisfaccion"] == "5"


def test_peticion_outside_competence_is_transferred_within_five_business_days(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, ("Task_Verificar", {"competente": False, "entidad_competente": "Superintendencia de Salud"}))
    assert sc.task(pid, "Task_Trasladar")["due_at"].startswith("2026-03-10T04:59:59")
    sc.walk(pid, ("Task_Trasladar", {"entidad_destino": "Superintendencia de Salud"}))
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Trasladada" in detail["completed_activities"]
    assert sc.data(pid)["notificaciones"][0]["destinatario"] == "maria.perez@example.co"


def test_incomplete_peticion_resumes_its_term_when_the_citizen_completes_it(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.advance(days=2)  # Wednesday 4 March: two business days used
    sc.walk(pid, ("Task_Verificar", {"completa": False, "nivel": "autogestion"}), "Task_Requerir")
    data = sc.data(pid)
    assert (data["dias_usados"], data["plazo_ciudadano"]) == (2, "2026-04-06T23:59:59-05:00")
    assert list(sc.timers(pid)) == ["Timer_PlazoCiudadano"]
    sc.advance(days=7)  # Wednesday 11 March
    assert sc.complete_message("pqrsd_completada", RADICADO, {"anexos": "Copia de la cédula"}) == pid
    data = sc.data(pid)
    assert data["fecha_vencimiento"] == "2026-03-31T23:59:59-05:00"  # 13 business days left after 11 March
    assert data["Event_Completada_Response"] == {
        "anexos": "Copia de la cédula"
    }  # SpiffWorkflow: <event id>_Response
    sc.walk(pid, "Task_Autogestion")
    assert sc.advance(days=11) >= 1  # no survey answer in 10 days: closed without it
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_SinEncuesta" in detail["completed_activities"]


def test_incomplete_peticion_ends_in_desistimiento_when_the_month_runs_out(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, ("Task_Verificar", {"completa": False}), "Task_Requerir")
    assert sc.data(pid)["plazo_ciudadano"] == "2026-04-06T23:59:59-05:00"  # 2 and 3 April: Semana Santa
    assert sc.advance(days=35) == 0  # Monday 6 April, last day of the month
    assert sc.advance(days=1) == 1
    sc.walk(pid, ("Task_Desistimiento", {"acto_desistimiento": "Resolución 045 de 2026"}))
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "End_Desistida" in detail["completed_activities"]


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
    sc.advance(days=14)  # 26 March: past the original due date, nothing escalates
    assert "Task_Vencida" not in {t["bpmn_id"] for t in sc.open_tasks(pid)}
    sc.walk(pid, *RESPONDER, "Task_Encuesta")
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert "Task_AplicarProrroga" in detail["completed_activities"]


def test_second_prorroga_is_refused(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(
        pid,
        AREA,
        ("Task_AsignarDependencia", {"dependencia": "dependencias"}),
        ("Task_ProyectarRespuesta", {"solicitar_prorroga": True, "nueva_fecha_respuesta": "2026-04-10"}),
        "Task_ComunicarProrroga",
        ("Task_ProyectarRespuesta", {"solicitar_prorroga": True, "nueva_fecha_respuesta": "2026-04-30"}),
    )
    assert sc.data_of_task(pid, "Task_ProyectarRespuesta")["observacion_prorroga"].startswith(
        "La prórroga solo"
    )


def test_overdue_pqrsd_alerts_at_two_thirds_and_escalates_to_the_supervisor(any_db: Scenario) -> None:
    sc = any_db
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    assert sc.advance(days=14, hours=1) == 1  # 16 March 09:00: two thirds of the term
    assert "End_Alertada" in sc.instance(pid)["completed_activities"]
    assert sc.advance(days=9) == 1  # 25 March: the term expired on the 24th
    vencida = sc.task(pid, "Task_Vencida")
    assert (vencida["candidate_groups"], vencida["priority"]) == (["supervision"], 100)
    sc.walk(pid, "Task_Vencida", *RESPONDER, "Task_Encuesta")
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert {"End_Escalada", "End_Respondida"} <= set(detail["completed_activities"])


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


def test_priority_case_takes_urgent_measures_first_and_alerts_early(sc: Scenario) -> None:
    pid = radicar(sc, prioridad="urgente_vida_integridad")
    urgent = sc.task(pid, "Task_MedidasUrgentes")
    assert (urgent["candidate_groups"], urgent["priority"]) == (["supervision"], 90)
    assert sc.data(pid)["alerta_en"] == "2026-03-05T08:00:00-05:00"  # third business day
    sc.walk(pid, "Task_MedidasUrgentes")
    assert sc.task(pid, "Task_Verificar")["priority"] == 90
    sc.walk(pid, ("Task_Verificar", {"nivel": "punto_atencion"}), "Task_PuntoAtencion", "Task_Encuesta")
    assert sc.instance(pid)["status"] == "completed"
