"""Messages and event-based gateways as Camunda 7 has them (issue 13 §1, engine.runtime.messages and
engine.modeling.event_checks).

Camunda's `correlateMessage(name, businessKey, variables)` sets the variables on the process instance:
the elements after the catch read them by name. SpiffWorkflow put them under `<event id>_Response`.
"""

from __future__ import annotations

from typing import Any

from engine.context import Context
from engine.modeling.definitions import SourceFile
from engine.store.instances import load_instance
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances
from engine.workflow.runs import load_run
from tests.helpers import DATA, deploy_xml, flow, open_tasks, process_xml, start_model

CORPUS = DATA / "camunda" / "corpus"


def data_of(ctx: Context, instance_id: int) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        return dict(load_run(ctx, uow.session, ref).data())


def deploy_corpus(ctx: Context, name: str) -> deployments.DeployOutcome:
    return deployments.deploy(ctx, [SourceFile(name, (CORPUS / name).read_bytes())])


def test_message_variables_are_process_variables_and_reach_the_output_mapping(ctx: Context) -> None:
    """InputOutputEventTest.testMessageCatchEvent: messageEventReceived("IncomingMessage", …, {messageVariable:
    "outValue"}) → the catch event's output parameter `${messageVariable}` gives outVariable = "outValue"."""
    assert deploy_corpus(ctx, "InputOutputEventTest.testMessageCatchEvent.bpmn").report.ok
    started = start_model(ctx, "testProcess", business_key="IO-1")
    assert open_tasks(ctx, started.id) == []
    target = instances.correlate_message(
        ctx, "IncomingMessage", business_key="IO-1", payload={"messageVariable": "outValue"}, actor="test"
    )
    assert target == started.id
    data = data_of(ctx, started.id)
    assert data["outVariable"] == "outValue"
    assert data["messageVariable"] == "outValue"
    assert not [k for k in data if k.endswith("_Response")]
    assert [t["bpmn_id"] for t in open_tasks(ctx, started.id)] == ["task"]


def test_a_gateway_after_a_receive_task_decides_on_the_message_variable(ctx: Context) -> None:
    body = (
        '<bpmn:startEvent id="s"/>'
        '<bpmn:receiveTask id="esperar" name="Esperar" messageRef="M"/>'
        '<bpmn:exclusiveGateway id="g" default="fno"/>'
        '<bpmn:userTask id="si" name="Aprobada"/><bpmn:userTask id="no" name="Rechazada"/>'
        '<bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>'
        + flow("s>esperar", "esperar>g", "si>e1", "no>e2")
        + '<bpmn:sequenceFlow id="fsi" sourceRef="g" targetRef="si">'
        '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${approved}</bpmn:conditionExpression>'
        "</bpmn:sequenceFlow>"
        '<bpmn:sequenceFlow id="fno" sourceRef="g" targetRef="no"/>'
    )
    process = '<bpmn:process id="prueba"'
    xml = process_xml(body).replace(process, '<bpmn:message id="M" name="decision"/>' + process)
    deploy_xml(ctx, "mensaje.bpmn", xml)
    yes = start_model(ctx, "prueba", business_key="A")
    no = start_model(ctx, "prueba", business_key="B")
    instances.correlate_message(ctx, "decision", business_key="A", payload={"approved": True}, actor="test")
    instances.correlate_message(ctx, "decision", business_key="B", payload={"approved": False}, actor="test")
    assert [t["name"] for t in open_tasks(ctx, yes.id)] == ["Aprobada"]
    assert [t["name"] for t in open_tasks(ctx, no.id)] == ["Rechazada"]
    assert data_of(ctx, yes.id)["approved"] is True


def test_a_message_without_variables_sets_none(ctx: Context) -> None:
    assert deploy_corpus(ctx, "InputOutputEventTest.testMessageCatchEvent.bpmn").report.ok
    started = start_model(ctx, "testProcess", data={"messageVariable": "antes"}, business_key="IO-2")
    instances.correlate_message(ctx, "IncomingMessage", business_key="IO-2", payload={}, actor="test")
    data = data_of(ctx, started.id)
    assert (data["messageVariable"], data["outVariable"]) == ("antes", "antes")  # kept, not overwritten
    assert not [k for k in data if k.endswith("_Response")]


def test_event_based_gateway_to_an_activity_is_refused_naming_the_gateway(ctx: Context) -> None:
    """EventBasedGatewayTest.testConnectedToActivity: Camunda's ParseException names gw1."""
    outcome = deploy_corpus(ctx, "EventBasedGatewayTest.testConnectedToActivity.bpmn")
    problems = [(p.element_id, p.message) for p in outcome.report.errors]
    assert outcome.deployment_id is None
    assert [e for e, _ in problems] == ["gw1"], problems
    assert "solo puede conectarse a eventos intermedios de captura" in problems[0][1]
    assert "serviceTask" in problems[0][1]
    assert "Error" not in problems[0][1] and "AttributeError" not in problems[0][1]


def test_a_second_flow_into_an_event_after_the_gateway_is_refused_naming_the_flow(ctx: Context) -> None:
    """EventBasedGatewayTest.testInvalidSequenceFlow: Camunda names invalidFlow."""
    outcome = deploy_corpus(ctx, "EventBasedGatewayTest.testEventInvalidSequenceFlow.bpmn")
    problems = [(p.element_id, p.message) for p in outcome.report.errors]
    assert outcome.deployment_id is None
    assert [e for e, _ in problems] == ["invalidFlow"], problems
    assert "signalEvent" in problems[0][1] and "gw1" in problems[0][1]


def test_a_cancel_boundary_outside_a_transaction_is_refused_naming_it(ctx: Context) -> None:
    """TransactionSubProcessTest.testCancelBoundaryNoTransactionFails: Camunda names catchCancelTx."""
    outcome = deploy_corpus(ctx, "TransactionSubProcessTest.testCancelBoundaryNoTransactionFails.bpmn")
    problems = [(p.element_id, p.message) for p in outcome.report.errors]
    assert [e for e, _ in problems] == ["catchCancelTx"], problems
    assert "bpmn:transaction" in problems[0][1] and "Cancel Events" not in problems[0][1]


def test_spiffworkflow_refusals_are_said_in_spanish() -> None:
    from engine.modeling.spiff_messages import spanish

    assert spanish("Cancel Events may only be used with transactions").startswith("un evento de cancelación")
    assert spanish("Exactly one start event is required in a SubWorkflow Task; found 2.") == (
        "un subproceso necesita exactamente un evento de inicio sin tipo; tiene 2"
    )
    assert spanish("Signal identifier is missing from bpmn xml") == "falta el id de una señal (bpmn:signal)"
    assert spanish("Something new") == "SpiffWorkflow no acepta el modelo: Something new"


def test_a_message_throw_without_implementation_does_nothing_and_goes_on(ctx: Context) -> None:
    """MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEvent: the process ends; with a
    messageRef and a task after it, the task opens (was an incident with a Python TypeError)."""
    name = "MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEvent.bpmn"
    assert deploy_corpus(ctx, name).report.ok
    assert start_model(ctx, "process").status == "completed"
    body = (
        '<bpmn:startEvent id="s"/><bpmn:intermediateThrowEvent id="avisar" name="Avisar">'
        '<bpmn:messageEventDefinition messageRef="M"/></bpmn:intermediateThrowEvent>'
        '<bpmn:userTask id="t" name="Seguir"/><bpmn:endEvent id="e"/>' + flow("s>avisar", "avisar>t", "t>e")
    )
    process = '<bpmn:process id="prueba"'
    deploy_xml(
        ctx, "aviso.bpmn", process_xml(body).replace(process, '<bpmn:message id="M" name="aviso"/>' + process)
    )
    started = start_model(ctx, "prueba")
    assert (started.status, started.incident) == ("running", None)
    assert [t["bpmn_id"] for t in open_tasks(ctx, started.id)] == ["t"]


def test_a_message_throw_implemented_in_java_is_refused_naming_the_event(ctx: Context) -> None:
    name = "MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEventServiceTaskBehavior.bpmn"
    outcome = deploy_corpus(ctx, name)
    problems = [(p.element_id, p.message) for p in outcome.report.errors]
    assert [e for e, _ in problems] == ["messageThrow"], problems
    assert "DummyServiceTask" in problems[0][1]
