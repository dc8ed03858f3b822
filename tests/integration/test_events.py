"""Link events and event-subprocess rules as Camunda 7 runs and refuses them (issue 13 §6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile, analyze
from engine.workflow import instances, tasks, timers, views
from tests.helpers import deploy_xml, open_tasks, process_xml, task_names

LINKED = """
    <bpmn:startEvent id="inicio"/>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="radicar"/>
    <bpmn:userTask id="radicar" name="Radicar"/>
    <bpmn:sequenceFlow id="f2" sourceRef="radicar" targetRef="irA"/>
    <bpmn:intermediateThrowEvent id="irA" name="A respuesta"><bpmn:linkEventDefinition name="respuesta"/>
    </bpmn:intermediateThrowEvent>
    <bpmn:intermediateCatchEvent id="desdeA" name="A respuesta"><bpmn:linkEventDefinition name="respuesta"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f3" sourceRef="desdeA" targetRef="responder"/>
    <bpmn:userTask id="responder" name="Responder"/>
    <bpmn:sequenceFlow id="f4" sourceRef="responder" targetRef="fin"/>
    <bpmn:endEvent id="fin"/>"""


def test_a_link_throw_goes_on_at_its_catch(ctx: Context) -> None:
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(ctx, "enlace.bpmn", process_xml(LINKED, pid="enlace"))
    started = instances.start_process(ctx, "enlace")
    [radicar] = open_tasks(ctx, started.id)
    tasks.complete_task(ctx, radicar["id"], "root", {})
    [responder] = open_tasks(ctx, started.id)
    assert responder["bpmn_id"] == "responder"
    tasks.complete_task(ctx, responder["id"], "root", {})
    detail = views.instance(ctx, started.id)
    assert detail["status"] == "completed"
    assert {"irA", "desdeA", "responder"} <= set(detail["completed_activities"])


def errors(body: str) -> list[tuple[str | None, str]]:
    report = analyze([SourceFile("m.bpmn", process_xml(body).encode())]).report
    return [(p.element_id, p.message) for p in report.errors]


def test_a_link_throw_without_its_catch_is_refused_by_name() -> None:
    found = errors(
        LINKED.replace(
            'name="respuesta"/>\n    </bpmn:intermediateCatchEvent>',
            'name="otro"/>\n    </bpmn:intermediateCatchEvent>',
        )
    )
    assert any(e == "irA" and "respuesta" in m for e, m in found), found


def test_an_error_start_outside_an_event_subprocess_is_refused() -> None:
    body = (
        '<bpmn:startEvent id="inicio"><bpmn:errorEventDefinition/></bpmn:startEvent>'
        '<bpmn:sequenceFlow id="f" sourceRef="inicio" targetRef="fin"/><bpmn:endEvent id="fin"/>'
    )
    assert any(e == "inicio" and "subproceso de evento" in m for e, m in errors(body))


TIMER_SUBPROCESS = """
    <bpmn:startEvent id="inicio"/><bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="atender"/>
    <bpmn:userTask id="atender" name="Atender"/><bpmn:sequenceFlow id="f2" sourceRef="atender" targetRef="fin"/>
    <bpmn:endEvent id="fin"/>
    <bpmn:subProcess id="vence" triggeredByEvent="true">
      <bpmn:startEvent id="venceInicio" {interrupting}>
        <bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>
      </bpmn:startEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="venceInicio" targetRef="escalar"/>
      <bpmn:userTask id="escalar" name="Escalar"/>
      <bpmn:sequenceFlow id="f4" sourceRef="escalar" targetRef="venceFin"/><bpmn:endEvent id="venceFin"/>
    </bpmn:subProcess>"""


def finish_all(ctx: Context, instance_id: int) -> None:
    for task in open_tasks(ctx, instance_id):
        tasks.complete_task(ctx, task["id"], "root", {})


@pytest.mark.parametrize(("interrupting", "after_timer"), [("", ["Escalar"]),
                                                           ('isInterrupting="false"', ["Atender", "Escalar"])])  # fmt: skip
def test_a_timer_event_subprocess_interrupts_or_not_and_ends_with_its_process(
    ctx: Context, clock: FrozenClock, interrupting: str, after_timer: list[str]
) -> None:
    # StartTimerEventTest.testStartTimerEventInEventSubProcess / testNonInterruptingStartTimerEventInEventSubProcess
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(
        ctx, "vence.bpmn", process_xml(TIMER_SUBPROCESS.format(interrupting=interrupting), pid="vencimiento")
    )
    early = instances.start_process(ctx, "vencimiento")
    finish_all(ctx, early.id)  # the flow ends before the timer: the process ends, the timer with it
    assert views.instance(ctx, early.id)["status"] == "completed" and views.timers(ctx) == []
    late = instances.start_process(ctx, "vencimiento")
    clock.advance(timedelta(hours=1, seconds=1))
    timers.fire_due_timers(ctx, worker="prueba")
    assert task_names(ctx, late.id) == after_timer
    finish_all(ctx, late.id)
    assert views.instance(ctx, late.id)["status"] == "completed"


def test_an_error_event_subprocess_replaces_the_rest_of_the_process(ctx: Context) -> None:
    body = """
    <bpmn:startEvent id="inicio"/><bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="par"/>
    <bpmn:parallelGateway id="par"/>
    <bpmn:sequenceFlow id="f2" sourceRef="par" targetRef="otra"/><bpmn:userTask id="otra" name="Otra"/>
    <bpmn:sequenceFlow id="f3" sourceRef="otra" targetRef="fin"/><bpmn:endEvent id="fin"/>
    <bpmn:sequenceFlow id="f4" sourceRef="par" targetRef="atender"/><bpmn:userTask id="atender" name="Atender"/>
    <bpmn:sequenceFlow id="f5" sourceRef="atender" targetRef="falla"/>
    <bpmn:endEvent id="falla"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:endEvent>
    <bpmn:subProcess id="manejo" triggeredByEvent="true">
      <bpmn:startEvent id="manejoInicio"><bpmn:errorEventDefinition errorRef="E1"/></bpmn:startEvent>
      <bpmn:sequenceFlow id="f6" sourceRef="manejoInicio" targetRef="corregir"/>
      <bpmn:userTask id="corregir" name="Corregir"/>
      <bpmn:sequenceFlow id="f7" sourceRef="corregir" targetRef="manejoFin"/><bpmn:endEvent id="manejoFin"/>
    </bpmn:subProcess>"""
    xml = process_xml(body, pid="con_falla").replace(
        "</bpmn:definitions>", '<bpmn:error id="E1" name="Falla" errorCode="FALLA"/></bpmn:definitions>'
    )
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(ctx, "falla.bpmn", xml)
    started = instances.start_process(ctx, "con_falla")
    atender = next(t for t in open_tasks(ctx, started.id) if t["name"] == "Atender")
    tasks.complete_task(ctx, atender["id"], "root", {})
    assert task_names(ctx, started.id) == ["Corregir"]  # «Otra» is cancelled with the rest of the process
    finish_all(ctx, started.id)
    assert views.instance(ctx, started.id)["status"] == "completed"
