"""Escalation ladders at run time, on SQLite and PostgreSQL: armed with the task, moments on the business-day
calendar (weekends and holidays skipped), each step fired once and audited, cancelled with the task, retried
and then an incident when it cannot act."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.legal.calendar import BusinessCalendar
from engine.pqrsd.legal_data import snapshot
from engine.store.ladder_tables import LadderStep
from engine.store.notification_tables import Notification
from engine.store.tables import AuditEvent, Incident, Task, User
from engine.store.uow import UnitOfWork
from engine.workflow import incidents, instances, ladders, tasks
from engine.workflow.timers import RetryPolicy
from tests.helpers import deploy_files, task_named

BOGOTA_OFFSET = "-05:00"
CREATED = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)  # Friday 10:00 in Bogotá; Monday the 23rd is San José
DUE = "2026-03-27T23:59:59-05:00"  # four business days: 24, 25, 26 and 27 March


def at(local: str) -> datetime:
    return datetime.fromisoformat(local + BOGOTA_OFFSET).astimezone(UTC)


EXPECTED = {  # step → moment, on the business-day calendar
    "50%": at("2026-03-25T00:00:00"),  # 2 of 4 business days used: the day the semáforo turns amarillo
    "2/3": at("2026-03-26T00:00:00"),  # ceil(4 · 2/3) = 3 business days
    "100%": at("2026-03-27T23:59:59"),
    "100%+2d": at("2026-03-31T23:59:59"),  # Saturday, Sunday skipped: Monday 30, Tuesday 31
}


def calendar_for(ctx: Context) -> ladders.CalendarFor:
    def calendar(years: Iterable[int]) -> BusinessCalendar:
        return snapshot(ctx, years).calendar

    return calendar


def run(ctx: Context, **kwargs: Any) -> ladders.LadderReport:
    return ladders.run_round(ctx, calendar_for(ctx), worker="prueba", **kwargs)


def steps(ctx: Context, **where: Any) -> list[LadderStep]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(LadderStep).order_by(LadderStep.task_id, LadderStep.position)
        for column, value in where.items():
            query = query.where(getattr(LadderStep, column) == value)
        found = list(uow.session.scalars(query))
        uow.session.expunge_all()
    return found


def notified(ctx: Context) -> list[tuple[str, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(Notification.recipient, Notification.subject)
            .where(Notification.event == "escalamiento")
            .order_by(Notification.id)
        )
        return [(r, s) for r, s in rows]


def audited(ctx: Context, action: str = "escalamiento") -> list[str]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list(
            uow.session.scalars(
                select(AuditEvent.summary).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )


def assignee_of(ctx: Context, task_id: int) -> str | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(select(Task.assignee).where(Task.id == task_id))


@pytest.fixture
def people(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="atencion_ciudadano")
    users.add_user(ctx, "beto", groups="atencion_ciudadano")
    users.add_user(ctx, "sofia", groups="atencion_ciudadano", roles="supervisor")
    users.add_user(ctx, "jefa", groups="supervision", roles="supervisor")
    users.add_user(ctx, "juan", groups="juridica")


@pytest.fixture
def started(ctx: Context, clock: FrozenClock, people: None) -> int:
    clock.set(CREATED)
    deploy_files(ctx, "ladder_respuesta.bpmn")
    return instances.start_process(ctx, "respuesta_escalada", data={"vence": DUE}).id


def test_starting_arms_the_tasks_ladder_and_the_round_puts_it_on_the_business_day_calendar(
    ctx: Context, started: int
) -> None:
    armed = steps(ctx)
    assert [(s.when_text, s.action, s.status) for s in armed] == [
        ("50%", "avisar_responsable", "pending"),
        ("2/3", "avisar_supervisor", "pending"),
        ("100%", "reasignar_supervisor", "pending"),
        ("100%+2d", "avisar_jefe", "pending"),
    ]
    report = run(ctx)
    assert (report.scheduled, report.fired) == (4, 0)
    assert {s.when_text: s.fire_at for s in steps(ctx)} == EXPECTED
    assert {s.status for s in steps(ctx)} == {"waiting"}


def test_each_step_fires_once_at_its_moment_reaching_whom_it_names(
    ctx: Context, clock: FrozenClock, started: int
) -> None:
    task_id = task_named(ctx, started, "Responder la solicitud")["id"]
    run(ctx)
    clock.set(EXPECTED["50%"] - timedelta(seconds=1))
    assert run(ctx).fired == 0  # one second before: nothing
    clock.set(EXPECTED["50%"])
    assert run(ctx).fired == 1
    assert sorted(r for r, _ in notified(ctx)) == ["ana", "beto", "sofia"]  # unassigned: its dependencia
    assert notified(ctx)[0][1] == "Escalamiento: «Responder la solicitud» al 50 % de su término"
    assert run(ctx).fired == 0  # exactly once
    clock.set(EXPECTED["2/3"])
    assert run(ctx).fired == 1
    assert notified(ctx)[-1] == ("sofia", "Escalamiento: «Responder la solicitud» al 2/3 de su término")
    clock.set(EXPECTED["100%"])
    assert run(ctx).fired == 1
    assert assignee_of(ctx, task_id) == "sofia"  # the supervisor of atencion_ciudadano
    clock.set(EXPECTED["100%+2d"])
    assert run(ctx).fired == 1
    assert notified(ctx)[-1] == ("jefa", "Escalamiento: «Responder la solicitud» vencida hace 2 días hábiles")
    assert run(ctx).fired == 0
    assert [s.status for s in steps(ctx)] == ["fired"] * 4
    summaries = audited(ctx)
    assert len(summaries) == 4
    assert (
        summaries[2]
        == "Escalamiento «100%:reasignar_supervisor» de 'Responder la solicitud': reasignó la tarea a sofia"
    )
    assert "avisó a jefa" in summaries[3]


def test_a_round_after_a_long_stop_fires_every_missed_step_once_in_order(
    ctx: Context, clock: FrozenClock, started: int
) -> None:
    clock.set(datetime(2026, 4, 6, 15, 0, tzinfo=UTC))
    report = run(ctx)
    assert (report.scheduled, report.fired) == (4, 4)
    assert [s.split("»")[0] for s in audited(ctx)] == [
        "Escalamiento «50%:avisar_responsable",
        "Escalamiento «2/3:avisar_supervisor",
        "Escalamiento «100%:reasignar_supervisor",
        "Escalamiento «100%+2d:avisar_jefe",
    ]
    assert report.lateness == sorted(report.lateness, reverse=True)
    assert run(ctx).fired == 0


def test_completing_the_task_cancels_its_steps_and_arms_the_next_tasks_process_ladder(
    ctx: Context, clock: FrozenClock, started: int
) -> None:
    run(ctx)
    task_id = task_named(ctx, started, "Responder la solicitud")["id"]
    tasks.complete_task(ctx, task_id, "ana", {})
    assert {s.status for s in steps(ctx, task_id=task_id)} == {"cancelled"}
    [review] = steps(ctx, status="pending")  # "Revisar" has none of its own: the process's 100% step
    assert (review.when_text, review.action) == ("100%", "avisar_supervisor")
    clock.set(datetime(2026, 5, 1, tzinfo=UTC))
    assert run(ctx).fired == 0
    [review] = steps(ctx, id=review.id)
    assert (review.status, review.fire_at) == ("no_due", None)  # no due date: nothing to measure against
    assert notified(ctx) == []


def test_a_task_ended_another_way_is_cancelled_when_its_step_comes_due(
    ctx: Context, clock: FrozenClock, started: int
) -> None:
    run(ctx)
    with UnitOfWork(ctx.db) as uow:  # e.g. an administrator's repair that closed the row
        uow.session.execute(
            Task.__table__.update().where(Task.instance_id == started).values(state="cancelled")
        )
        uow.commit()
    clock.set(EXPECTED["2/3"])
    report = run(ctx)
    assert (report.fired, report.cancelled) == (0, 1)
    assert {s.status for s in steps(ctx)} == {"cancelled"}


def test_a_moved_due_date_is_measured_again_before_the_step_fires(
    ctx: Context, clock: FrozenClock, started: int
) -> None:
    run(ctx)
    later = at("2026-04-10T23:59:59")
    with UnitOfWork(ctx.db) as uow:  # a prórroga, written straight to the row
        uow.session.execute(Task.__table__.update().where(Task.instance_id == started).values(due_at=later))
        uow.commit()
    clock.set(EXPECTED["50%"])
    assert run(ctx).fired == 0
    moments = {s.when_text: s.fire_at for s in steps(ctx)}
    # to 10 April: 12 business days (Holy Thursday and Good Friday skipped); the 6th is Tuesday 31 March
    assert moments["50%"] == at("2026-03-31T00:00:00")
    assert moments["100%"] == later


def test_a_step_that_cannot_act_is_retried_then_an_incident_and_others_still_fire(
    ctx: Context, clock: FrozenClock, started: int
) -> None:
    _set_active(ctx, "jefa", False)
    policy = RetryPolicy(max_attempts=2, backoff_seconds=60)
    clock.set(EXPECTED["100%+2d"])
    report = run(ctx, policy=policy)
    assert (report.fired, report.failed) == (3, 1)  # the jefe step found nobody; the other three went on
    [step] = steps(ctx, action="avisar_jefe")
    assert (step.status, step.attempts) == ("waiting", 1)
    assert step.last_error is not None and "No hay supervisores activos" in step.last_error
    assert run(ctx, policy=policy).failed == 0  # in its backoff
    clock.advance(seconds=61)
    assert run(ctx, policy=policy).failed == 1
    [step] = steps(ctx, action="avisar_jefe")
    assert step.status == "failed"
    with UnitOfWork(ctx.db, write=False) as uow:
        [incident] = uow.session.scalars(select(Incident).where(Incident.kind == "escalamiento"))
        uow.session.expunge_all()
    assert incident.message.startswith(
        "El escalamiento «100%+2d:avisar_jefe» de la tarea 'Responder la solicitud' falló 2 veces"
    )
    assert incident.instance_id == started and incident.bpmn_id == "Responder"
    assert len(audited(ctx, "escalamiento_fallido")) == 2
    _set_active(ctx, "jefa", True)
    incidents.retry_incident(ctx, incident.id, actor="root")
    report = run(ctx, policy=policy)
    assert (report.rearmed, report.fired) == (1, 1)
    assert notified(ctx)[-1][0] == "jefa"


def _set_active(ctx: Context, username: str, active: bool) -> None:
    with UnitOfWork(ctx.db) as uow:
        uow.session.execute(User.__table__.update().where(User.username == username).values(active=active))
        uow.commit()
