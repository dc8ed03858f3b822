"""Event subprocesses inside an embedded subprocess, as Camunda 7 runs them: an interrupting one cancels the
enclosing subprocess's activities only, a non-interrupting one runs alongside, and an error or escalation
thrown inside the subprocess starts the nearest enclosing event subprocess that catches it."""

from __future__ import annotations

import pytest

from engine.context import Context
from engine.identity import users
from engine.workflow import instances, tasks, views
from tests.helpers import deploy_xml, open_tasks, process_xml, task_named


def model(start_event: str, interrupting: bool, inner: str = "") -> str:
    """«Fuera» runs beside subprocess «sub» (task «Dentro» and its event subprocess «Atender aviso»)."""
    flag = "" if interrupting else ' isInterrupting="false"'
    return process_xml(
        f"""
    <bpmn:startEvent id="inicio"/><bpmn:parallelGateway id="abrir"/><bpmn:parallelGateway id="cerrar"/>
    <bpmn:userTask id="fuera" name="Fuera"/>
    <bpmn:subProcess id="sub">
      <bpmn:startEvent id="subInicio"/><bpmn:userTask id="dentro" name="Dentro"/>{inner}
      <bpmn:endEvent id="subFin"/>
      <bpmn:sequenceFlow id="s1" sourceRef="subInicio" targetRef="dentro"/>
      <bpmn:sequenceFlow id="s2" sourceRef="dentro" targetRef="{"lanzar" if inner else "subFin"}"/>
      {'<bpmn:sequenceFlow id="s3" sourceRef="lanzar" targetRef="subFin"/>' if inner else ""}
      <bpmn:subProcess id="aviso" triggeredByEvent="true">
        <bpmn:startEvent id="avisoInicio"{flag}>{start_event}</bpmn:startEvent>
        <bpmn:userTask id="atender" name="Atender aviso"/><bpmn:endEvent id="avisoFin"/>
        <bpmn:sequenceFlow id="a1" sourceRef="avisoInicio" targetRef="atender"/>
        <bpmn:sequenceFlow id="a2" sourceRef="atender" targetRef="avisoFin"/>
      </bpmn:subProcess>
    </bpmn:subProcess>
    <bpmn:endEvent id="fin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="abrir"/>
    <bpmn:sequenceFlow id="f2" sourceRef="abrir" targetRef="fuera"/>
    <bpmn:sequenceFlow id="f3" sourceRef="abrir" targetRef="sub"/>
    <bpmn:sequenceFlow id="f4" sourceRef="fuera" targetRef="cerrar"/>
    <bpmn:sequenceFlow id="f5" sourceRef="sub" targetRef="cerrar"/>
    <bpmn:sequenceFlow id="f6" sourceRef="cerrar" targetRef="fin"/>""",
        pid="anidado",
    ).replace("</bpmn:definitions>", f"{DECLARATIONS}</bpmn:definitions>")


DECLARATIONS = (
    '<bpmn:message id="msg" name="aviso"/><bpmn:error id="err" errorCode="E1"/>'
    '<bpmn:escalation id="esc" escalationCode="X1"/>'
)
MESSAGE = '<bpmn:messageEventDefinition messageRef="msg"/>'
THROW_ERROR = '<bpmn:endEvent id="lanzar"><bpmn:errorEventDefinition errorRef="err"/></bpmn:endEvent>'
THROW_ESCALATION = (
    '<bpmn:intermediateThrowEvent id="lanzar"><bpmn:escalationEventDefinition escalationRef="esc"/>'
    "</bpmn:intermediateThrowEvent>"
)


def names(ctx: Context, instance_id: int) -> list[str]:
    return sorted(t["name"] for t in open_tasks(ctx, instance_id))


def complete(ctx: Context, instance_id: int, name: str) -> None:
    tasks.complete_task(ctx, task_named(ctx, instance_id, name)["id"], "root", {})


def status(ctx: Context, instance_id: int) -> str:
    return str(views.instance(ctx, instance_id)["status"])


@pytest.fixture
def root(ctx: Context) -> Context:
    users.add_user(ctx, "root", roles="admin")
    return ctx


def test_an_interrupting_message_event_subprocess_cancels_only_its_subprocess(root: Context) -> None:
    deploy_xml(root, "anidado.bpmn", model(MESSAGE, interrupting=True))
    instance = instances.start_process(root, "anidado").id
    assert names(root, instance) == ["Dentro", "Fuera"]
    instances.correlate_message(root, "aviso", instance_id=instance)
    assert names(root, instance) == ["Atender aviso", "Fuera"]  # «Dentro» cancelled, «Fuera» untouched
    complete(root, instance, "Atender aviso")
    assert names(root, instance) == ["Fuera"] and status(root, instance) == "running"
    complete(root, instance, "Fuera")
    assert status(root, instance) == "completed"


def test_a_non_interrupting_message_event_subprocess_runs_alongside(root: Context) -> None:
    deploy_xml(root, "anidado.bpmn", model(MESSAGE, interrupting=False))
    instance = instances.start_process(root, "anidado").id
    instances.correlate_message(root, "aviso", instance_id=instance)
    assert names(root, instance) == ["Atender aviso", "Dentro", "Fuera"]
    complete(root, instance, "Dentro")
    complete(root, instance, "Fuera")
    assert status(root, instance) == "running"  # the subprocess waits for its event subprocess
    complete(root, instance, "Atender aviso")
    assert status(root, instance) == "completed"


def test_the_message_of_an_ended_subprocess_is_no_longer_awaited(root: Context) -> None:
    deploy_xml(root, "anidado.bpmn", model(MESSAGE, interrupting=False))
    instance = instances.start_process(root, "anidado").id
    complete(root, instance, "Dentro")  # the subprocess ends: its subscription with it
    with pytest.raises(Exception, match="Ningún proceso espera el mensaje 'aviso'"):
        instances.correlate_message(root, "aviso", instance_id=instance)
    assert names(root, instance) == ["Fuera"]


def test_an_error_thrown_in_the_subprocess_starts_its_event_subprocess(root: Context) -> None:
    deploy_xml(root, "anidado.bpmn", model('<bpmn:errorEventDefinition errorRef="err"/>', True, THROW_ERROR))
    instance = instances.start_process(root, "anidado").id
    complete(root, instance, "Dentro")  # reaches the error end event inside «sub»
    assert names(root, instance) == ["Atender aviso", "Fuera"]
    complete(root, instance, "Atender aviso")
    complete(root, instance, "Fuera")
    detail = views.instance(root, instance)
    assert detail["status"] == "completed" and "fin" in detail["completed_activities"]


def test_an_escalation_thrown_in_the_subprocess_starts_its_non_interrupting_event_subprocess(
    root: Context,
) -> None:
    deploy_xml(
        root,
        "anidado.bpmn",
        model('<bpmn:escalationEventDefinition escalationRef="esc"/>', False, THROW_ESCALATION),
    )
    instance = instances.start_process(root, "anidado").id
    complete(root, instance, "Dentro")  # the escalation is thrown and the subprocess goes on to its end
    assert names(root, instance) == ["Atender aviso", "Fuera"]
    complete(root, instance, "Fuera")
    assert status(root, instance) == "running"
    complete(root, instance, "Atender aviso")
    assert status(root, instance) == "completed"
