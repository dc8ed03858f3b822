"""Every timer firing writes exactly one `timer_fired` audit row, whether the scheduler fires it or a use case
(a completion that advances the instance past a due timer), and a timer cancelled before it fired writes none."""

from __future__ import annotations

from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.store.tables import AuditEvent, Timer
from engine.store.uow import UnitOfWork
from engine.workflow import instances, timers
from tests.helpers import complete_named, deploy_xml, flow, open_tasks, process_xml

# «Primero» and a branch that waits one hour before «Después del plazo»
PARALLEL_WAIT = process_xml(
    '<bpmn:startEvent id="inicio"/><bpmn:parallelGateway id="abrir"/>'
    '<bpmn:userTask id="primero" name="Primero"/>'
    '<bpmn:intermediateCatchEvent id="plazo" name="Una hora">'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:intermediateCatchEvent>"
    '<bpmn:userTask id="despues" name="Después del plazo"/>'
    '<bpmn:endEvent id="fin1"/><bpmn:endEvent id="fin2"/>'
    + flow("inicio>abrir", "abrir>primero", "abrir>plazo", "plazo>despues", "primero>fin1", "despues>fin2"),
    pid="plazo_paralelo",
)
# «Atender» with an interrupting one-hour boundary timer leading to «Vencida»
BOUNDARY = process_xml(
    '<bpmn:startEvent id="inicio"/><bpmn:userTask id="atender" name="Atender"/>'
    '<bpmn:boundaryEvent id="vence" name="Vence" attachedToRef="atender">'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
    "</bpmn:boundaryEvent>"
    '<bpmn:userTask id="vencida" name="Vencida"/><bpmn:endEvent id="fin1"/><bpmn:endEvent id="fin2"/>'
    + flow("inicio>atender", "atender>fin1", "vence>vencida", "vencida>fin2"),
    pid="con_limite",
)


def timer_audits(ctx: Context, instance_id: int) -> list[AuditEvent]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(AuditEvent).where(
            AuditEvent.action == "timer_fired", AuditEvent.instance_id == instance_id
        )
        found = list(uow.session.scalars(query.order_by(AuditEvent.id)))
        uow.session.expunge_all()
        return found


def timer_statuses(ctx: Context, instance_id: int) -> list[tuple[str, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(Timer.bpmn_id, Timer.status).where(Timer.instance_id == instance_id).order_by(Timer.id)
        )
        return [(str(b), str(s)) for b, s in rows]


def test_a_timer_fired_by_a_completion_is_audited_once(ctx: Context, clock: FrozenClock) -> None:
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(ctx, "plazo.bpmn", PARALLEL_WAIT)
    instance = instances.start_process(ctx, "plazo_paralelo").id
    clock.advance(hours=2)  # the scheduler has not run: the completion below is what fires the timer
    complete_named(ctx, instance, "Primero")
    assert [t["name"] for t in open_tasks(ctx, instance)] == ["Después del plazo"]
    [event] = timer_audits(ctx, instance)
    assert event.actor == "phva"
    assert "Una hora" in event.summary
    assert event.data_after is not None and event.data_after["activity"] == "plazo"
    assert timer_statuses(ctx, instance) == [("plazo", "fired")]
    assert timers.fire_due_timers(ctx, worker="prueba").fired == 0  # and the scheduler finds nothing left
    assert len(timer_audits(ctx, instance)) == 1


def test_a_timer_fired_by_the_scheduler_is_audited_once(ctx: Context, clock: FrozenClock) -> None:
    deploy_xml(ctx, "plazo.bpmn", PARALLEL_WAIT)
    instance = instances.start_process(ctx, "plazo_paralelo").id
    clock.advance(hours=2)
    assert timers.fire_due_timers(ctx, worker="prueba").fired == 1
    [event] = timer_audits(ctx, instance)
    assert event.actor == "prueba"
    assert timers.fire_due_timers(ctx, worker="prueba").fired == 0
    assert len(timer_audits(ctx, instance)) == 1


def test_a_due_boundary_timer_cancelled_by_completing_its_task_writes_no_firing(
    ctx: Context, clock: FrozenClock
) -> None:
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(ctx, "limite.bpmn", BOUNDARY)
    instance = instances.start_process(ctx, "con_limite").id
    clock.advance(hours=2)  # due, but the user completes the task before any scheduler fires it
    complete_named(ctx, instance, "Atender")
    assert open_tasks(ctx, instance) == []
    assert timer_audits(ctx, instance) == []
    assert timer_statuses(ctx, instance) == [("vence", "cancelled")]
