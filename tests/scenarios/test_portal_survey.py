"""The survey of an answered PQRSD lands in `pqrsd_surveys` once, whoever registers it: staff completing
Task_Encuesta (source «funcionario»), or the citizen in the portal, whose answer ends Task_Encuesta through the
message «pqrsd_encuesta_respondida» instead of the 10-day wait."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import Conflict
from engine.portal import actions as portal_actions
from engine.store.portal_tables import PqrsdSurvey
from engine.store.uow import UnitOfWork
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import RADICADO, caso, radicar


def surveys(sc: Scenario) -> list[tuple[str, int, dict[str, object]]]:
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        return [(r.source, r.rating, r.answers) for r in uow.session.scalars(select(PqrsdSurvey))]


def answered(sc: Scenario) -> int:
    pid = radicar(sc)
    sc.walk(pid, ("Task_Verificar", {"nivel": "autogestion"}), "Task_Autogestion")
    assert caso(sc)["estado"] == "respondida"
    assert "Task_Encuesta" in {t["bpmn_id"] for t in sc.open_tasks(pid)}
    return pid


def test_staff_registering_the_survey_writes_it_once(any_db: Scenario) -> None:
    sc = any_db
    pid = answered(sc)
    sc.walk(pid, ("Task_Encuesta", {"satisfaccion": "2", "comentarios_encuesta": "Tardaron mucho."}))
    assert surveys(sc) == [("funcionario", 2, {"comentarios": "Tardaron mucho."})]
    assert sc.instance(pid)["status"] == "completed" and caso(sc)["estado"] == "cerrada"
    with pytest.raises(Conflict, match="una sola vez"):
        portal_actions.answer_survey(sc.ctx, RADICADO, {"satisfaccion": "5"})
    assert len(surveys(sc)) == 1


def test_the_citizens_survey_in_the_portal_ends_task_encuesta_without_waiting(sc: Scenario) -> None:
    pid = answered(sc)
    portal_actions.answer_survey(sc.ctx, RADICADO, {"satisfaccion": "5", "tiempo": "4"})
    detail = sc.instance(pid)
    assert detail["status"] == "completed"
    assert {"Event_EncuestaPortal", "Task_RegistrarEncuesta", "End_Respondida"} <= set(
        detail["completed_activities"]
    )
    assert "Task_Encuesta" not in {t["bpmn_id"] for t in sc.open_tasks(pid)}
    assert surveys(sc) == [("portal", 5, {"tiempo": 4})]  # the service task did not add a second one
    assert caso(sc)["estado"] == "cerrada"
    assert sc.advance(days=11) == 0  # no 10-day timer left behind


def test_a_case_closed_without_survey_still_takes_one_from_the_portal(sc: Scenario) -> None:
    pid = answered(sc)
    assert sc.advance(days=11) >= 1
    assert "End_SinEncuesta" in sc.instance(pid)["completed_activities"]
    portal_actions.answer_survey(sc.ctx, RADICADO, {"satisfaccion": "3"})
    assert surveys(sc) == [("portal", 3, {})]


def test_no_survey_before_the_answer(sc: Scenario) -> None:
    radicar(sc)
    with pytest.raises(Conflict, match="aún no tiene respuesta"):
        portal_actions.answer_survey(sc.ctx, RADICADO, {"satisfaccion": "4"})
    assert surveys(sc) == []
