"""Reassigning open tasks of a real PQRSD: who may, to whom, audited and notified; the escalation's power.

"Atender la PQRSD vencida" (Task_Vencida, group supervision) follows the term's deadline timer on the answer
subprocess: whoever holds it may view and reassign the overdue answer tasks of the same case.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from engine.errors import BadInput, Conflict, Forbidden
from engine.identity import users
from engine.modeling.escalation import escalations
from engine.notifications.events import GROUP_TASK, TASK_ASSIGNED
from engine.pqrsd import radicacion
from engine.store.notification_tables import Notification
from engine.store.tables import AuditEvent, User
from engine.store.uow import UnitOfWork
from engine.workflow import task_views, tasks
from engine.workflow.reassign import reassign_tasks
from tests.conftest import ROOT
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import AREA, peticion, radicar


def _overdue_answer(sc: Scenario) -> tuple[int, dict[str, object]]:
    """A case for juridica whose term ran out: its answer task is overdue and Task_Vencida is open."""
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    sc.advance(days=14, hours=1)
    sc.advance(days=9)
    sc.task(pid, "Task_Vencida")
    return pid, sc.task(pid, "Task_ProyectarRespuesta")


def _user(sc: Scenario, name: str, groups: str, roles: str = "funcionario") -> users.UserView:
    users.add_user(sc.ctx, name, groups=groups, roles=roles)
    return users.get_user(sc.ctx, name)


def _audits(sc: Scenario, task_id: int) -> list[tuple[str | None, str, dict[str, object] | None]]:
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.summary, AuditEvent.data_after).where(
                AuditEvent.task_id == task_id, AuditEvent.action == "reasignar"
            )
        )
        return [(r.actor, r.summary, r.data_after) for r in rows]


def _notifications(sc: Scenario, recipient: str) -> list[tuple[str, str, str | None]]:
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(Notification.event, Notification.subject, Notification.link).where(
                Notification.recipient == recipient
            )
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def test_the_pqrsd_model_declares_task_vencida_an_escalation_of_the_answer() -> None:
    about = escalations((ROOT / "bpmn" / "pqrsd.bpmn").read_bytes(), "pqrsd")
    assert set(about) == {"Task_Vencida"}
    assert {"Task_ProyectarRespuesta", "Task_AprobarRespuesta"} <= about["Task_Vencida"]
    assert "Task_Vencida" not in about["Task_Vencida"] and "Task_Verificar" not in about["Task_Vencida"]


def test_the_holder_of_the_escalation_sees_the_overdue_task(sc: Scenario) -> None:
    _, overdue = _overdue_answer(sc)
    page = task_views.task_page(sc.ctx, int(overdue["id"]), "u.supervision")  # was 403 before
    assert page["task"]["bpmn_id"] == "Task_ProyectarRespuesta"
    # Nobody else outside juridica does.
    with pytest.raises(Forbidden):
        task_views.task_page(sc.ctx, int(overdue["id"]), "u.planeacion")


def test_the_holder_of_the_escalation_reassigns_the_overdue_task_within_its_dependencia(
    sc: Scenario,
) -> None:
    """A funcionaria of supervision (no entity-wide role) acts only through the escalation task she holds."""
    _, overdue = _overdue_answer(sc)
    lucia = _user(sc, "lucia", "supervision")
    _user(sc, "juan", "juridica")
    task_id = int(overdue["id"])
    done = reassign_tasks(sc.ctx, lucia, [task_id], to_user="juan", reason="Juan tiene menos carga")
    assert done[0]["assignee"] == "juan"
    ((actor, summary, after),) = _audits(sc, task_id)
    assert (actor, after) == (
        "lucia",
        {"responsable": "juan", "dependencias": ["juridica"], "motivo": "Juan tiene menos carga"},
    )
    assert summary == "Reasignó 'Proyectar la respuesta' a juan. Motivo: Juan tiene menos carga"
    assert _notifications(sc, "juan") == [
        (TASK_ASSIGNED, "Tarea asignada: Proyectar la respuesta", f"/tareas/{task_id}")
    ]
    # Not to someone outside juridica: she has no power across dependencias.
    with pytest.raises(Forbidden, match="no pertenece a 'juridica'"):
        reassign_tasks(sc.ctx, lucia, [task_id], to_user="u.planeacion", reason="Otra dependencia")


def test_without_an_open_escalation_task_there_is_no_power(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    answer = sc.task(pid, "Task_ProyectarRespuesta")
    lucia = _user(sc, "lucia", "supervision")
    with pytest.raises(Forbidden, match="no la supervisa"):
        reassign_tasks(sc.ctx, lucia, [int(answer["id"])], to_user="u.juridica", reason="Sin escalamiento")
    with pytest.raises(Forbidden):
        task_views.task_page(sc.ctx, int(answer["id"]), "lucia")


def test_a_supervisor_reassigns_within_her_dependencias_and_the_supervision_group_across(
    any_db: Scenario,
) -> None:
    sc = any_db
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    answer = int(sc.task(pid, "Task_ProyectarRespuesta")["id"])
    jefa = _user(sc, "jefa.juridica", "juridica", "supervisor")
    otra = _user(sc, "jefa.planeacion", "planeacion", "supervisor")
    _user(sc, "juan", "juridica")
    with pytest.raises(Forbidden, match="no la supervisa"):
        reassign_tasks(sc.ctx, otra, [answer], to_user="u.planeacion", reason="No es mía")
    with pytest.raises(Forbidden, match="dependencia 'planeacion'"):
        reassign_tasks(sc.ctx, jefa, [answer], to_group="planeacion", reason="Fuera de su dependencia")
    assert reassign_tasks(sc.ctx, jefa, [answer], to_user="juan", reason="Reparto")[0]["assignee"] == "juan"
    supervisora = users.get_user(sc.ctx, "u.supervision")
    moved = reassign_tasks(sc.ctx, supervisora, [answer], to_group="planeacion", reason="Es de planeación")
    assert (moved[0]["assignee"], moved[0]["candidate_groups"]) == (None, ["planeacion"])
    assert [n[0] for n in _notifications(sc, "u.planeacion")] == [GROUP_TASK]
    # The task now is planeación's: its inbox offers it, juridica's supervisor no longer supervises it.
    assert tasks.claim_task(sc.ctx, answer, "u.planeacion")["assignee"] == "u.planeacion"
    with pytest.raises(Forbidden):
        reassign_tasks(sc.ctx, jefa, [answer], to_user="juan", reason="Recuperarla")


def test_refusals_name_the_task_and_change_nothing_in_bulk(sc: Scenario) -> None:
    first = radicar(sc)
    sc.walk(first, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}))
    answer = int(sc.task(first, "Task_ProyectarRespuesta")["id"])
    second = radicacion.file_pqrsd(sc.ctx, peticion(), actor="u.atencion_ciudadano")["instance_id"]
    assert isinstance(second, int)
    verify = int(sc.task(second, "Task_Verificar")["id"])
    jefa = _user(sc, "jefa.juridica", "juridica", "supervisor")
    _user(sc, "juan", "juridica")
    with pytest.raises(Forbidden) as refused:
        reassign_tasks(sc.ctx, jefa, [answer, verify], to_user="juan", reason="Reparto")
    assert refused.value.message.startswith("No se reasignó ninguna de las 2 tareas.")
    assert f"la tarea {verify} («Verificar" in refused.value.message
    assert sc.task(first, "Task_ProyectarRespuesta")["assignee"] is None  # the first one did not move
    assert _audits(sc, answer) == [] and _notifications(sc, "juan") == []
    for bad, error, text in (
        ({"to_user": "juan", "reason": "  "}, BadInput, "motivo"),
        ({"reason": "Sin destino"}, BadInput, "persona o a qué dependencia"),
        ({"to_user": "nadie", "reason": "x"}, BadInput, "No existe el usuario 'nadie'"),
        ({"to_group": "fantasma", "reason": "x"}, Conflict, "no tiene usuarios activos"),
    ):
        with pytest.raises(error, match=text):
            reassign_tasks(sc.ctx, jefa, [answer], **bad)  # type: ignore[arg-type]
    with pytest.raises(BadInput, match="al menos una tarea"):
        reassign_tasks(sc.ctx, jefa, [], to_user="juan", reason="x")


def test_an_inactive_user_or_the_drafter_under_four_eyes_cannot_receive_the_task(sc: Scenario) -> None:
    pid = radicar(sc)
    sc.walk(pid, AREA, ("Task_AsignarDependencia", {"dependencia": "juridica"}), "Task_ProyectarRespuesta")
    approve = int(sc.task(pid, "Task_AprobarRespuesta")["id"])
    _user(sc, "ausente", "juridica")
    supervisora = users.get_user(sc.ctx, "u.supervision")
    with pytest.raises(Forbidden, match="cuatro ojos"):
        reassign_tasks(sc.ctx, supervisora, [approve], to_user="u.juridica", reason="Que lo apruebe")
    with UnitOfWork(sc.ctx.db) as uow:  # deactivated by an administrator
        uow.session.execute(update(User).where(User.username == "ausente").values(active=False))
        uow.commit()
    with pytest.raises(Conflict, match="inactivo"):
        reassign_tasks(sc.ctx, supervisora, [approve], to_user="ausente", reason="Ausente")
