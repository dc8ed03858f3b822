"""Camunda 7 models run as Camunda runs them, or are refused at deploy naming the element (issue 13, §1).

Each silent case replays what Camunda's own engine test asserts (the model files under tests/data/camunda/
name their source); every step runs in a fresh engine context, as another web worker or scheduler would,
so nothing survives in memory between steps.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.errors import IncidentRaised
from engine.modeling.definitions import SourceFile
from engine.workflow import deployments, incidents, instances, tasks, timers, views
from tests.helpers import (
    DATA,
    complete_named,
    deploy_files,
    deploy_xml,
    open_tasks,
    process_xml,
    staff,
    task_names,
)


def status(ctx: Context, instance_id: int) -> str:
    return str(views.instance(ctx, instance_id)["status"])


def fire(ctx: Context) -> int:
    return timers.fire_due_timers(ctx, worker="prueba").fired


def refused(ctx: Context, name: str) -> list[tuple[str | None, str]]:
    outcome = deployments.deploy(ctx, [SourceFile(name, (DATA / "camunda" / name).read_bytes())])
    assert not outcome.report.ok and outcome.deployment_id is None
    assert views.definitions(ctx) == []  # nothing half-deployed
    return [(p.element_id, p.message) for p in outcome.report.errors]


@pytest.fixture(autouse=True)
def people(ctx: Context) -> None:
    staff(ctx)


# ---- 1. sequence flows without an id -------------------------------------------------------------
@pytest.mark.parametrize(("urgente", "expected"), [(True, "Atender urgente"), (False, "Atender normal")])
def test_flows_without_id_are_followed_as_camunda_follows_them(
    ctx: Context, worker: Any, urgente: bool, expected: str
) -> None:
    deploy_files(ctx, "camunda/flujos_sin_id.bpmn")
    started = instances.start_process(worker(), "flujos_sin_id", data={"urgente": urgente})
    assert task_names(ctx, started.id) == [expected]
    complete_named(worker(), started.id, expected)
    assert status(ctx, started.id) == "completed"


def test_camunda_no_id_gateway_model_runs_or_is_refused_naming_its_flow(ctx: Context) -> None:
    # ExclusiveGatewayTest.testNoIdOnSequenceFlow: input 3 takes the flow without condition.
    outcome = deployments.deploy(
        ctx,
        [
            SourceFile(
                "x.bpmn", (DATA / "camunda/ExclusiveGatewayTest.testNoIdOnSequenceFlow.bpmn").read_bytes()
            )
        ],
    )
    if not outcome.report.ok:  # a gateway flow without a condition is refused until it counts as true
        assert [p.element_id for p in outcome.report.errors] == ["Flow_exclusiveGw_theTask2"]
        return
    started = instances.start_process(ctx, "noIdOnSequenceFlow", data={"input": 3})
    assert task_names(ctx, started.id) == ["Input is more than one"]


# ---- 2. non-interrupting cycle boundary timer --------------------------------------------------
def test_paths_spawned_by_a_cycle_boundary_timer_outlive_the_host(
    ctx: Context, worker: Any, clock: FrozenClock
) -> None:
    # BoundaryTimerNonInterruptingEventTest.testTimerWithCycle: two spawned tasks survive the host.
    deploy_files(ctx, "camunda/BoundaryTimerNonInterruptingEventTest.testTimerWithCycle.bpmn")
    started = instances.start_process(ctx, "nonInterruptingCycle").id
    for hour in (1, 2):
        clock.advance(hours=1, seconds=1 if hour == 1 else 0)
        assert fire(worker()) == 1
        assert task_names(ctx, started).count("timerFiredTask") == hour
    complete_named(worker(), started, "task")
    clock.advance(hours=1)
    assert fire(worker()) == 0  # the timer stopped with its host
    assert task_names(ctx, started) == ["timerFiredTask", "timerFiredTask"]
    assert views.timers(ctx) == [] and status(ctx, started) == "running"
    complete_named(worker(), started, "timerFiredTask")
    complete_named(worker(), started, "timerFiredTask")
    assert status(ctx, started) == "completed"


def test_completing_atender_keeps_the_reminders_it_spawned(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_cycle.bpmn")
    started = instances.start_process(ctx, "recordatorios").id
    clock.advance(minutes=11)
    fire(ctx)
    clock.advance(minutes=10)
    fire(ctx)
    complete_named(ctx, started, "Atender")
    assert task_names(ctx, started) == ["Recordatorio", "Recordatorio"]
    assert status(ctx, started) == "running"


# ---- 3. multi-instance over camunda:collection ---------------------------------------------------
def test_sequential_multi_instance_over_a_collection_gives_one_task_per_item(
    ctx: Context, worker: Any
) -> None:
    deploy_files(ctx, "camunda/mi_revisores.bpmn")
    started = instances.start_process(ctx, "mi_revisores", data={"revisores": ["ana", "beto", "sofia"]}).id
    seen = []
    for concepto in ("bien", "regular", "favorable"):
        [task] = open_tasks(worker(), started)
        seen.append((task["name"], task["assignee"]))
        tasks.complete_task(worker(), task["id"], "root", {"concepto": concepto})
    assert seen == [
        ("Revisar (1 de 3): ana", "ana"),
        ("Revisar (2 de 3): beto", "beto"),
        ("Revisar (3 de 3): sofia", "sofia"),
    ]
    # What the instances set reaches the process (the last word wins); their local variables do not.
    assert task_names(ctx, started) == ["Consolidar: favorable"]
    detail = views.instance(ctx, started)
    assert status(ctx, started) == "running" and detail["incidents"] == []


def test_camunda_sequential_user_tasks_count_loops_with_loop_counter(ctx: Context, worker: Any) -> None:
    # MultiInstanceTest.testSequentialUserTasks: assignees kermit_0, kermit_1, kermit_2, then the end.
    deploy_files(ctx, "camunda/MultiInstanceTest.sequentialUserTasks.bpmn")
    started = instances.start_process(ctx, "miSequentialUserTasks", data={"nrOfLoops": 3}).id
    for index in range(3):
        [task] = open_tasks(worker(), started)
        assert (task["name"], task["assignee"]) == ("My Task", f"kermit_{index}")
        tasks.complete_task(worker(), task["id"], "root", {})
    assert open_tasks(ctx, started) == [] and status(ctx, started) == "completed"


def test_camunda_parallel_completion_condition_ends_the_activity_at_half(ctx: Context, worker: Any) -> None:
    # MultiInstanceTest.testParallelUserTasksCompletionCondition: 5 tasks, 3 completed end the process.
    deploy_files(ctx, "camunda/MultiInstanceTest.testParallelUserTasksCompletionCondition.bpmn")
    started = instances.start_process(ctx, "miParallelUserTasksCompletionCondition").id
    assert task_names(ctx, started) == [f"My Task {i}" for i in range(5)]
    for done in range(3):
        assert len(open_tasks(ctx, started)) == 5 - done
        complete_named(worker(), started, f"My Task {done}")
    assert open_tasks(ctx, started) == [] and status(ctx, started) == "completed"


def test_camunda_parallel_tasks_over_loop_data_input_ref(ctx: Context, worker: Any) -> None:
    # MultiInstanceTest.testParallelUserTasksBasedOnCollection: the BPMN standard form of the collection.
    deploy_files(ctx, "camunda/MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn")
    people = ["kermit", "gonzo", "mispiggy", "fozzie", "bubba"]
    started = instances.start_process(
        ctx, "miParallelUserTasksBasedOnCollection", data={"assigneeList": people}
    ).id
    open_ones = sorted(open_tasks(ctx, started), key=lambda t: t["assignee"])
    assert [t["assignee"] for t in open_ones] == sorted(people)
    for task in open_ones[:3]:
        tasks.complete_task(worker(), task["id"], "root", {})
    assert open_tasks(ctx, started) == [] and status(ctx, started) == "completed"


def test_completion_condition_reads_the_loop_variables(ctx: Context, worker: Any) -> None:
    deploy_files(ctx, "camunda/mi_conceptos.bpmn")
    groups = ["juridica", "atencion_ciudadano", "planeacion"]
    started = instances.start_process(ctx, "mi_conceptos", data={"dependencias": groups}).id
    assert task_names(ctx, started) == sorted(f"Concepto de {g}" for g in groups)
    assert {t["name"]: t["candidate_groups"] for t in open_tasks(ctx, started)}["Concepto de juridica"] == [
        "juridica"
    ]
    complete_named(worker(), started, "Concepto de planeacion")
    assert len(open_tasks(ctx, started)) == 2
    complete_named(worker(), started, "Concepto de juridica")
    assert task_names(ctx, started) == ["Decidir"]  # 2 of 3 done: the third is withdrawn


def test_missing_collection_is_an_incident_naming_it_and_repaired_by_correcting_it(
    ctx: Context, worker: Any
) -> None:
    deploy_files(ctx, "camunda/mi_revisores.bpmn")
    started = instances.start_process(ctx, "mi_revisores")
    assert started.status == "incident"
    [incident] = views.incidents(ctx)
    assert incident["activity"] == "Revisar"
    assert "'revisores'" in incident["message"] and "no existe" in incident["message"]
    assert "Revisar" in incident["message"] and "Error inesperado" not in incident["message"]
    incidents.retry_incident(worker(), incident["id"], corrections={"revisores": ["ana"]})
    assert task_names(ctx, started.id) == ["Revisar (1 de 1): ana"] and status(ctx, started.id) == "running"


def test_a_collection_that_is_not_a_list_is_an_incident(ctx: Context) -> None:
    deploy_files(ctx, "camunda/mi_revisores.bpmn")
    started = instances.start_process(ctx, "mi_revisores", data={"revisores": "ana,beto"})
    assert started.status == "incident"
    assert "debe ser una lista" in (started.incident or "")


# ---- 4. intermediate timer with timeCycle ---------------------------------------------------------
def test_intermediate_cycle_timer_fires_once_and_moves_on(
    ctx: Context, worker: Any, clock: FrozenClock
) -> None:
    # IntermediateTimerEventTest.testTimeCycle: one job, executed, no job left, one task, then the end.
    deploy_files(ctx, "camunda/IntermediateTimerEventTest.testTimeCycle.bpmn")
    started = instances.start_process(ctx, "process").id
    [timer] = views.timers(ctx)
    assert timer["due_at"] == (clock.now() + timedelta(minutes=5)).isoformat()
    clock.advance(minutes=5, seconds=1)
    assert fire(worker()) == 1
    assert views.timers(ctx) == [] and task_names(ctx, started) == ["task"]
    clock.advance(minutes=30)
    assert fire(worker()) == 0 and task_names(ctx, started) == ["task"]
    complete_named(worker(), started, "task")
    assert status(ctx, started) == "completed"


# ---- 5. ${…} in a task's name --------------------------------------------------------------------
def test_task_name_expression_is_resolved_when_the_task_is_created(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "n.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:userTask id="t" name="Responder a ${nombre} (\\${literal})"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
        ),
    )
    started = instances.start_process(ctx, "prueba", data={"nombre": "Ana Pérez"}).id
    assert task_names(ctx, started) == ["Responder a Ana Pérez (${literal})"]


def test_a_failing_task_name_shows_the_text_and_an_incident(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "n.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
            '<bpmn:userTask id="t" name="Responder a ${nombre}"/>'
            '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
        ),
    )
    started = instances.start_process(ctx, "prueba").id
    assert task_names(ctx, started) == ["Responder a ${nombre}"]
    [incident] = views.incidents(ctx)
    assert incident["activity"] == "t" and incident["message"].startswith("No se pudo evaluar el nombre")


def test_a_task_name_that_is_not_juel_is_refused_at_deploy(ctx: Context) -> None:
    outcome = deployments.deploy(
        ctx,
        [
            SourceFile(
                "n.bpmn",
                process_xml(
                    '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
                    '<bpmn:userTask id="t" name="Responder ${nombre +}"/>'
                    '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/><bpmn:endEvent id="e"/>'
                ).encode(),
            )
        ],
    )
    assert [p.element_id for p in outcome.report.errors] == ["t"]
    assert "${nombre +}" in outcome.report.errors[0].message


# ---- crashes that became reports -----------------------------------------------------------------
def test_a_message_without_name_is_refused_at_deploy_naming_it(ctx: Context) -> None:
    [(element, message)] = refused(ctx, "mensaje_sin_nombre.bpmn")
    assert element == "Respuesta" and "Message_0x1" in message and "no tiene nombre" in message


def test_a_receive_task_waits_for_its_message(ctx: Context, worker: Any) -> None:
    deploy_files(ctx, "camunda/MessageCorrelationTest.waitForMessageProcess.bpmn")
    started = instances.start_process(ctx, "waitForMessageProcess").id
    assert status(ctx, started) == "running"
    instances.correlate_message(worker(), "waitForCorrelationKeyMessage", instance_id=started)
    assert status(ctx, started) == "completed"


def test_a_receive_task_without_message_is_refused_rather_than_skipped(ctx: Context) -> None:
    [(element, message)] = refused(ctx, "ReceiveTaskTest.testWaitStateBehavior.bpmn")
    assert element == "waitState" and "messageRef" in message


def test_an_undeclared_error_ref_is_its_own_error_code(ctx: Context) -> None:
    deploy_files(ctx, "camunda/error_sin_declarar.bpmn")
    started = instances.start_process(ctx, "error_sin_declarar").id
    assert task_names(ctx, started) == ["Pedir soportes"]


def test_dmn_rules_without_ids_are_refused_as_camunda_refuses_them(ctx: Context) -> None:
    errors = refused(ctx, "MissingIds.missingRuleId.dmn")
    assert ("missingRuleId", next(m for _, m in errors if "DMN-02013" in m)) in errors
    assert not any("error interno" in m for _, m in errors)


def test_dmn_cells_without_ids_are_accepted_as_camunda_accepts_them(ctx: Context) -> None:
    outcome = deployments.deploy(
        ctx,
        [SourceFile("d.dmn", (DATA / "camunda/DataTypeTransformerTest-Input.dmn").read_bytes())],
        check_only=True,
    )
    assert not any("error interno" in p.message for p in outcome.report.problems)
    assert outcome.report.ok, outcome.report.format()


def test_incident_on_completion_is_reported_not_unexpected(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "m.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
            '<bpmn:userTask id="a" name="Preparar"/><bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="mi"/>'
            '<bpmn:userTask id="mi" name="Revisar"><bpmn:multiInstanceLoopCharacteristics isSequential="true" '
            'camunda:collection="revisores" camunda:elementVariable="revisor"/></bpmn:userTask>'
            '<bpmn:sequenceFlow id="f3" sourceRef="mi" targetRef="e"/><bpmn:endEvent id="e"/>'
        ),
    )
    started = instances.start_process(ctx, "prueba").id
    with pytest.raises(IncidentRaised, match="revisores"):
        complete_named(ctx, started, "Preparar")
    assert status(ctx, started) == "incident"


def test_sequential_script_instances_see_what_the_previous_ones_set(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "s.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="sumar"/>'
            '<bpmn:scriptTask id="sumar" name="Sumar" scriptFormat="python">'
            '<bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="montos" '
            'camunda:elementVariable="monto"/><bpmn:script>total = total + monto * (loopCounter + 1)</bpmn:script>'
            '</bpmn:scriptTask><bpmn:sequenceFlow id="f2" sourceRef="sumar" targetRef="ver"/>'
            '<bpmn:userTask id="ver" name="Total ${total}; montos ${montos}"/>'
            '<bpmn:sequenceFlow id="f3" sourceRef="ver" targetRef="e"/><bpmn:endEvent id="e"/>'
        ),
    )
    started = instances.start_process(ctx, "prueba", data={"montos": [10, 20, 30], "total": 0}).id
    assert task_names(ctx, started) == ["Total 140; montos [10, 20, 30]"]  # the collection is left as it was


def test_a_boundary_timer_on_a_sequential_multi_instance_interrupts_it(
    ctx: Context, worker: Any, clock: FrozenClock
) -> None:
    deploy_files(ctx, "camunda/MultiInstanceTest.sequentialUserTasks.bpmn")
    started = instances.start_process(ctx, "miSequentialUserTasks", data={"nrOfLoops": 3}).id
    complete_named(worker(), started, "My Task")
    clock.advance(hours=2, seconds=1)
    assert fire(worker()) == 1
    assert task_names(ctx, started) == ["taskAfterTimer"]
