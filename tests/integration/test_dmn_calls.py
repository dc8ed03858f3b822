"""Decisions and called processes bound by key and version when they run, as Camunda 7 binds them (issue 13
§4–§5). The models are Camunda's own (tests/data/camunda/corpus names their source); each deployment is a
separate call, as in Camunda's tests that deploy again inside the test."""

from __future__ import annotations

from typing import Any

import pytest

from engine.context import Context
from engine.errors import IncidentRaised
from engine.modeling.definitions import SourceFile
from engine.store.instances import load_instance
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, incidents, instances, views
from engine.workflow.runs import load_run
from tests.helpers import DATA, complete_named, staff, task_names

CORPUS = DATA / "camunda" / "corpus"
RULES = "DmnBusinessRuleTaskTest"


def deploy(ctx: Context, *names: str) -> deployments.DeployOutcome:
    outcome = deployments.deploy(ctx, [SourceFile(n, (CORPUS / n).read_bytes()) for n in names])
    assert outcome.report.ok, outcome.report.format()
    return outcome


def variables(ctx: Context, instance_id: int) -> dict[str, Any]:
    with UnitOfWork(ctx.db) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        return load_run(ctx, uow.session, ref).data()


def result_of(ctx: Context, key: str = "testProcess") -> Any:
    started = instances.start_process(ctx, key, actor="root")
    assert started.status == "completed", started.incident
    return variables(ctx, started.id)["result"]


def not_deployed(outcome: deployments.DeployOutcome) -> list[Any]:
    return [w for w in outcome.report.warnings if "aún no se ha desplegado" in w.message]


@pytest.fixture(autouse=True)
def users(ctx: Context) -> None:
    staff(ctx)


# ---- decisions ------------------------------------------------------------------------------------
def test_a_decision_deployed_alone_is_found_by_a_process_deployed_later(ctx: Context) -> None:
    deploy(ctx, f"{RULES}.testDecisionOkay.dmn")
    outcome = deploy(ctx, f"{RULES}.testDecisionRef.bpmn")

    assert not_deployed(outcome) == []
    assert result_of(ctx) == "okay"


def test_latest_binding_follows_a_new_version_of_the_decision(ctx: Context) -> None:
    deploy(ctx, f"{RULES}.testDecisionRefLatestBinding.bpmn", f"{RULES}.testDecisionOkay.dmn")
    assert result_of(ctx) == "okay"

    outcome = deploy(ctx, f"{RULES}.testDecisionNotOkay.dmn")

    assert outcome.new_versions == [
        {"kind": "decision", "key": "testDecision", "file": f"{RULES}.testDecisionNotOkay.dmn", "version": 2}
    ]
    assert result_of(ctx) == "not okay"  # DmnBusinessRuleTaskTest.decisionRefLatestBinding


def test_deployment_binding_keeps_the_decision_of_its_own_deployment(ctx: Context) -> None:
    deploy(ctx, f"{RULES}.testDecisionRefDeploymentBinding.bpmn", f"{RULES}.testDecisionOkay.dmn")
    deploy(ctx, f"{RULES}.testDecisionNotOkay.dmn")

    assert result_of(ctx) == "okay"  # DmnBusinessRuleTaskTest.decisionRefDeploymentBinding


def test_version_binding_takes_the_numbered_version(ctx: Context) -> None:
    deploy(ctx, f"{RULES}.testDecisionRefVersionBinding.bpmn", f"{RULES}.testDecisionOkay.dmn")
    deploy(ctx, f"{RULES}.testDecisionNotOkay.dmn")
    deploy(ctx, f"{RULES}.testDecisionOkay.dmn")

    assert result_of(ctx) == "not okay"  # DmnBusinessRuleTaskTest.decisionRefVersionBinding


def test_redeploying_an_unchanged_decision_is_no_new_version(ctx: Context) -> None:
    deploy(ctx, f"{RULES}.testDecisionOkay.dmn")
    again = deploy(ctx, f"{RULES}.testDecisionOkay.dmn")

    assert again.new_versions == []
    assert [e["version"] for e in again.unchanged if e["kind"] == "decision"] == [1]


def test_a_decision_not_deployed_yet_is_a_warning_then_an_incident_then_retried(ctx: Context) -> None:
    outcome = deploy(ctx, f"{RULES}.testDecisionRef.bpmn")
    [warning] = not_deployed(outcome)
    assert warning.element_id == "task" and "testDecision" in warning.message

    assert instances.start_process(ctx, "testProcess", actor="root").status == "incident"
    [incident] = views.incidents(ctx)
    assert incident["activity"] == "task" and "no está desplegada" in incident["message"]

    deploy(ctx, f"{RULES}.testDecisionOkay.dmn")
    assert incidents.retry_incident(ctx, incident["id"], actor="root") == "completed"
    assert variables(ctx, incident["instance_id"] or 0)["result"] == "okay"


def test_a_decision_file_with_rules_without_ids_is_refused_not_crashed(ctx: Context) -> None:
    outcome = deployments.deploy(
        ctx,
        [SourceFile("m.dmn", (DATA / "camunda/MissingIds.missingRuleId.dmn").read_bytes())],
        check_only=True,
    )

    assert not outcome.report.ok
    assert any("DMN-02013" in p.message for p in outcome.report.errors)


# ---- call activities ------------------------------------------------------------------------------
CALLER = "CallActivity.testCallSimpleSubProcess.bpmn"
CALLED = "simpleSubProcess.bpmn"


def test_a_call_to_a_process_not_deployed_yet_is_a_warning_then_an_incident_then_retried(
    ctx: Context, worker: Any
) -> None:
    outcome = deploy(ctx, CALLER)
    [warning] = not_deployed(outcome)
    assert warning.element_id == "callSubProcess" and "simpleSubProcess" in warning.message
    started = instances.start_process(ctx, "callSimpleSubProcess", actor="root")

    with pytest.raises(IncidentRaised):
        complete_named(ctx, started.id, "Task before subprocess")
    [incident] = views.incidents(ctx)
    assert incident["activity"] == "callSubProcess" and "no está desplegado" in incident["message"]

    deploy(ctx, CALLED)
    assert incidents.retry_incident(worker(), incident["id"], actor="root") == "running"
    assert task_names(worker(), started.id) == ["Task in subprocess"]
    complete_named(worker(), started.id, "Task in subprocess")  # restored from the database by a fresh worker
    complete_named(worker(), started.id, "Task after subprocess")
    assert views.instance(worker(), started.id)["status"] == "completed"


def test_latest_binding_calls_the_version_deployed_after_the_caller_started(
    ctx: Context, worker: Any
) -> None:
    deploy(ctx, CALLER, CALLED)
    started = instances.start_process(ctx, "callSimpleSubProcess", actor="root")
    renamed = (CORPUS / CALLED).read_text().replace('name="Task in subprocess"', 'name="Tarea nueva"')
    assert deployments.deploy(ctx, [SourceFile(CALLED, renamed.encode())]).report.ok

    complete_named(worker(), started.id, "Task before subprocess")

    assert task_names(worker(), started.id) == ["Tarea nueva"]  # resolved when the call runs, like Camunda
    complete_named(worker(), started.id, "Tarea nueva")
    assert task_names(worker(), started.id) == ["Task after subprocess"]


def test_version_and_deployment_bindings_keep_their_version(ctx: Context, worker: Any) -> None:
    deploy(
        ctx,
        "CallActivity.testCallSimpleSubProcessWithVersion.bpmn",
        "CallActivity.testCallSimpleSubProcessFromSameDeployment.bpmn",
        CALLED,
    )
    renamed = (CORPUS / CALLED).read_text().replace('name="Task in subprocess"', 'name="Tarea nueva"')
    assert deployments.deploy(ctx, [SourceFile(CALLED, renamed.encode())]).report.ok

    for key in ("callSimpleSubProcessWithVersion", "callSimpleSubProcessFromSameDeployment"):
        started = instances.start_process(ctx, key, actor="root")
        complete_named(worker(), started.id, "Task before subprocess")
        assert task_names(worker(), started.id) == ["Task in subprocess"], key


def test_deployment_binding_to_a_process_of_another_deployment_is_refused(ctx: Context) -> None:
    deploy(ctx, CALLED)
    outcome = deployments.deploy(
        ctx,
        [
            SourceFile(n, (CORPUS / n).read_bytes())
            for n in ["CallActivity.testCallSimpleSubProcessFromSameDeployment.bpmn"]
        ],
    )

    assert not outcome.report.ok
    assert any(
        p.element_id == "callSubProcess" and "mismo despliegue" in p.message for p in outcome.report.errors
    )


def test_without_in_mappings_the_called_process_gets_no_variables(ctx: Context, worker: Any) -> None:
    deploy(ctx, CALLER, CALLED)
    started = instances.start_process(ctx, "callSimpleSubProcess", data={"secreto": 1}, actor="root")

    complete_named(worker(), started.id, "Task before subprocess")

    with UnitOfWork(ctx.db) as uow:
        ref = load_instance(uow.session, started.id)
        assert ref is not None
        run = load_run(ctx, uow.session, ref)
        [task] = run.human_tasks()
        assert task.name == "Task in subprocess" and "secreto" not in run.task_data(task.spiff_id)
    complete_named(worker(), started.id, "Task in subprocess")
    assert variables(worker(), started.id)["secreto"] == 1  # the caller keeps its own


VERSION_TAG_PROCESS = """<?xml version="1.0" encoding="UTF-8"?>
<definitions id="d" xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" targetNamespace="t">
  <process id="process" isExecutable="true">
    <startEvent id="start"/>
    <sequenceFlow id="f1" sourceRef="start" targetRef="task"/>
    <businessRuleTask id="task" camunda:decisionRef="decision" camunda:decisionRefBinding="versionTag"
      camunda:decisionRefVersionTag="0.0.2" camunda:mapDecisionResult="singleEntry" camunda:resultVariable="result"/>
    <sequenceFlow id="f2" sourceRef="task" targetRef="end"/>
    <endEvent id="end"/>
  </process>
</definitions>"""


def test_version_tag_binding_finds_the_tagged_decision(ctx: Context) -> None:
    # DmnBusinessRuleTaskTest.decisionRefVersionTagBinding: its BPMN_VERSION_TAG_BINDING model as XML
    deploy(ctx, f"{RULES}.testDecisionVersionTagOkay.dmn")
    assert deployments.deploy(ctx, [SourceFile("p.bpmn", VERSION_TAG_PROCESS.encode())]).report.ok

    started = instances.start_process(ctx, "process", data={"status": "gold"}, actor="root")

    assert started.status == "completed" and variables(ctx, started.id)["result"] == "A"
