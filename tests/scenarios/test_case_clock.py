"""Every task of a case carries the case's legal clock: its due date and the share of its term used."""

from __future__ import annotations

from datetime import UTC, datetime

from engine.identity.users import get_user
from engine.pqrsd import radicacion
from engine.workflow import inbox
from engine.workflow.inbox import InboxQuery
from tests.scenarios.conftest import Scenario

FILING = {
    "tipo": "peticion_general",
    "canal": "presencial_ventanilla",
    "fecha_recibo": "02/03/2026 08:00",  # Monday: due Tuesday 24 March (San José, Monday 23, is a holiday)
    "asunto": "Subsidio de vivienda",
    "descripcion": "Solicito el estado de mi postulación.",
    "nombre": "María Pérez",
}


def _case_tasks(sc: Scenario, radicado: str) -> list[dict[str, object]]:
    page = inbox.inbox(
        sc.ctx, get_user(sc.ctx, "u.atencion_ciudadano"), InboxQuery(view="todas", text=radicado)
    )
    return [dict(t) for t in page["items"]]


def test_a_case_received_in_the_past_shows_its_term_used_on_every_task(any_db: Scenario) -> None:
    sc = any_db
    sc.clock.set(datetime(2026, 3, 16, 14, 0, tzinfo=UTC))  # Monday 16 March, 09:00 in Bogotá
    case = radicacion.file_pqrsd(sc.ctx, FILING, actor="u.atencion_ciudadano")
    assert case["due_date"] == "2026-03-24"
    assert case["amarillo_at"] == "2026-03-12T00:00:00-05:00"  # day 8 of 15
    assert case["alerta_at"] == "2026-03-16T00:00:00-05:00"  # day 10 of 15: two thirds

    [task] = _case_tasks(sc, case["radicado"])  # found by its radicado, not by its name
    assert task["radicado"] == case["radicado"]
    assert task["semaforo"] == "amarillo" and task["alerta"] is True
    assert task["term_used"] == round(10 / 15, 3)  # 10 business days of 15 since the radicación


def test_tasks_without_their_own_due_date_carry_the_cases(any_db: Scenario) -> None:
    sc = any_db
    case = radicacion.file_pqrsd(sc.ctx, FILING, actor="u.atencion_ciudadano")
    pid = case["instance_id"]
    assert isinstance(pid, int)
    sc.walk(pid, ("Task_Verificar", {"nivel": "area_misional"}))
    task = sc.task(pid, "Task_AsignarDependencia")  # the model gives it no dueDate of its own
    assert task["due_at"] == datetime(2026, 3, 25, 4, 59, 59, tzinfo=UTC).isoformat()


def test_an_overdue_case_is_red_on_its_tasks(sc: Scenario) -> None:
    case = radicacion.file_pqrsd(sc.ctx, FILING, actor="u.atencion_ciudadano")
    sc.clock.set(datetime(2026, 3, 26, 14, 0, tzinfo=UTC))
    [task, *_] = _case_tasks(sc, "María Pérez")  # the petitioner's name finds it too
    assert task["radicado"] == case["radicado"]
    assert task["semaforo"] == "rojo" and task["term_used"] == 1.0
