"""A Camunda Modeler file runs end to end through the services, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.errors import Conflict, Forbidden, ValidationFailed
from engine.workflow import instances, tasks, views
from tests.helpers import SOLICITUD, deploy_files, open_tasks, staff, task_named

REVIEW = {"concepto": "Procede la solicitud", "folios": 3, "aprobado": True, "canal_respuesta": "correo"}


@pytest.fixture
def started(ctx: Context) -> int:
    deploy_files(ctx, *SOLICITUD)
    staff(ctx)
    started = instances.start_process(
        ctx,
        "atender_solicitud",
        data={"solicitante": "ana", "asunto": "Copia", "tipo": "peticion"},
        business_key="R-1",
        actor="ana",
    )
    assert started.status == "running"
    return started.id


def test_started_instance_waits_in_a_group_task_with_due_date_and_timer(
    ctx: Context, started: int, clock: FrozenClock
) -> None:
    review = task_named(ctx, started, "Revisar solicitud")
    assert review["candidate_groups"] == ["atencion_ciudadano"]
    assert review["assignee"] is None
    assert review["due_at"] == (clock.now() + timedelta(days=15)).isoformat()
    assert review["priority"] == 50
    assert review["form"] == "formData"
    [timer] = views.timers(ctx)
    assert timer["activity"] == "Event_Plazo"
    assert timer["due_at"] == (clock.now() + timedelta(hours=2)).isoformat()


def test_invalid_form_data_is_refused_per_field_and_changes_nothing(ctx: Context, started: int) -> None:
    review = task_named(ctx, started, "Revisar solicitud")
    history = len(views.instance(ctx, started)["history"])
    with pytest.raises(ValidationFailed) as refused:
        tasks.complete_task(ctx, review["id"], "ana", {"folios": 0, "canal_respuesta": "paloma"})
    assert set(refused.value.details) == {"concepto", "folios", "canal_respuesta"}
    assert "obligatorio" in refused.value.details["concepto"]
    assert task_named(ctx, started, "Revisar solicitud")["state"] == "ready"
    assert len(views.instance(ctx, started)["history"]) == history


def test_approved_request_goes_to_the_requester_then_the_survey_then_ends(ctx: Context, started: int) -> None:
    review = task_named(ctx, started, "Revisar solicitud")
    tasks.claim_task(ctx, review["id"], "ana")
    tasks.complete_task(ctx, review["id"], "ana", REVIEW)
    answer = task_named(ctx, started, "Responder")
    assert answer["assignee"] == "ana"  # camunda:assignee="${solicitante}"
    assert answer["due_at"] is not None  # camunda:dueDate="${fecha_limite}" set by the Radicar script
    assert views.timers(ctx) == []  # the boundary timer went away with its task
    tasks.complete_task(ctx, answer["id"], "ana", {})
    survey = task_named(ctx, started, "Responder encuesta")  # inside the call activity
    assert survey["form"] == "encuesta_satisfaccion"
    with pytest.raises(ValidationFailed):
        tasks.complete_task(ctx, survey["id"], "ana", {"satisfaccion": "excelente"})
    tasks.complete_task(ctx, survey["id"], "ana", {"satisfaccion": "5", "comentarios": "Rápido"})
    detail = views.instance(ctx, started)
    assert detail["status"] == "completed"
    assert {"Activity_Revisar", "Activity_Responder", "Gateway_Aprobado"} <= set(
        detail["completed_activities"]
    )
    actions = [h["action"] for h in detail["history"]]
    assert actions.count("task_completed") == 3


def test_rejected_request_runs_the_embedded_subprocess(ctx: Context, started: int) -> None:
    review = task_named(ctx, started, "Revisar solicitud")
    tasks.complete_task(ctx, review["id"], "beto", {**REVIEW, "aprobado": False})
    notify = task_named(ctx, started, "Notificar rechazo")
    assert notify["candidate_groups"] == ["ventanilla"]
    tasks.complete_task(ctx, notify["id"], "root", {})
    assert views.instance(ctx, started)["status"] == "completed"


def test_non_interrupting_boundary_timer_adds_escalation_and_keeps_the_task(
    ctx: Context, started: int, clock: FrozenClock
) -> None:
    from engine.workflow.timers import fire_due_timers

    clock.advance(hours=1, minutes=59)
    assert fire_due_timers(ctx).fired == 0
    clock.advance(minutes=2)
    assert fire_due_timers(ctx).fired == 1
    names = sorted(t["name"] for t in open_tasks(ctx, started))
    assert names == ["Alertar supervisor", "Revisar solicitud"]
    clock.advance(hours=5)
    assert fire_due_timers(ctx).fired == 0  # non-interrupting duration timers fire once


def test_only_candidates_may_claim_and_only_the_holder_may_complete(ctx: Context, started: int) -> None:
    review = task_named(ctx, started, "Revisar solicitud")
    with pytest.raises(Forbidden):
        tasks.claim_task(ctx, review["id"], "juan")
    with pytest.raises(Forbidden):
        tasks.complete_task(ctx, review["id"], "juan", REVIEW)
    tasks.claim_task(ctx, review["id"], "ana")
    with pytest.raises(Conflict):
        tasks.claim_task(ctx, review["id"], "beto")
    with pytest.raises(Forbidden):
        tasks.complete_task(ctx, review["id"], "beto", REVIEW)
    with pytest.raises(Forbidden):
        tasks.assign_task(ctx, review["id"], "ana", "beto")  # only supervisors and admins assign
    tasks.assign_task(ctx, review["id"], "sofia", "beto")
    tasks.complete_task(ctx, review["id"], "beto", REVIEW)
    assert task_named(ctx, started, "Responder")["assignee"] == "ana"


def test_completing_a_task_twice_is_a_conflict(ctx: Context, started: int) -> None:
    review = task_named(ctx, started, "Revisar solicitud")
    tasks.complete_task(ctx, review["id"], "ana", REVIEW)
    with pytest.raises(Conflict):
        tasks.complete_task(ctx, review["id"], "ana", REVIEW)
