"""Scripts, service tasks, messages, parallel branches and loops — persisted between every step."""

from __future__ import annotations

import json

import pytest

from engine.context import Context
from engine.errors import IncidentRaised
from engine.store.tables import ProcessInstance
from engine.store.uow import UnitOfWork
from engine.workflow import incidents, instances, tasks, views
from tests.helpers import accepts, deploy_xml, flow, open_tasks, process_xml, staff, task_named


def state_size(ctx: Context, instance_id: int) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return len(uow.session.get(ProcessInstance, instance_id).state)


def test_forbidden_script_marks_an_incident_with_a_spanish_message(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "s.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:scriptTask id="malo" name="Malo" scriptFormat="python">'
            '<bpmn:script>x = 1</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>'
            + flow("s>malo", "malo>e")
        ),
    )
    # A deploy-time check refuses `import`; here the script fails at run time on data.
    started = instances.start_process(ctx, "prueba", data={"x": 1})
    assert started.status == "completed"
    deploy_xml(
        ctx,
        "s.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:scriptTask id="malo" name="Malo" scriptFormat="python">'
            '<bpmn:script>total = monto / divisor</bpmn:script></bpmn:scriptTask><bpmn:endEvent id="e"/>'
            + flow("s>malo", "malo>e")
        ),
    )
    failing = instances.start_process(ctx, "prueba", data={"monto": 10, "divisor": 0})
    assert failing.status == "incident"
    [incident] = views.incidents(ctx)
    assert incident["activity"] == "malo" and "ZeroDivisionError" in incident["message"]


def test_deploy_refuses_a_script_that_imports(ctx: Context) -> None:
    from engine.modeling.definitions import SourceFile
    from engine.workflow import deployments

    outcome = deployments.deploy(
        ctx,
        [
            SourceFile(
                "i.bpmn",
                process_xml(
                    '<bpmn:startEvent id="s"/><bpmn:scriptTask id="imp" name="Importa" scriptFormat="python">'
                    "<bpmn:script>import os</bpmn:script></bpmn:scriptTask>" + flow("s>imp")
                ).encode(),
            )
        ],
    )
    assert not outcome.report.ok
    assert any(p.element_id == "imp" and "import" in p.message for p in outcome.report.errors)


def test_service_task_runs_its_handler_and_a_failure_is_a_retryable_incident(ctx: Context) -> None:
    calls: list[dict] = []

    def enviar(data: dict) -> dict:
        calls.append(data)
        if len(calls) == 1:
            raise RuntimeError("servidor de correo caído")
        return {"enviado": True}

    ctx.services.register("enviar_correo", enviar)
    deploy_xml(
        ctx,
        "svc.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="svc" name="Enviar" camunda:type="external" '
            'camunda:topic="enviar_correo"/><bpmn:userTask id="ver" name="Verificar"/>'
            + flow("s>svc", "svc>ver")
        ),
    )
    started = instances.start_process(ctx, "prueba", data={"para": "a@b.co"})
    assert started.status == "incident"
    [incident] = views.incidents(ctx)
    assert "servidor de correo caído" in incident["message"]
    assert incidents.retry_incident(ctx, incident["id"]) == "running"
    assert views.incidents(ctx) == []
    assert task_named(ctx, started.id, "Verificar")
    assert calls[-1]["para"] == "a@b.co"


def test_service_task_without_handler_is_an_incident(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "svc.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="svc" name="Enviar" camunda:expression="${nadie}"/>'
            + flow("s>svc")
        ),
    )
    assert instances.start_process(ctx, "prueba").status == "incident"
    assert "nadie" in views.incidents(ctx)[0]["message"]


def test_message_is_correlated_by_business_key(ctx: Context) -> None:
    staff(ctx)
    deploy_xml(
        ctx,
        "m.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="espera" name="Esperar respuesta">'
            '<bpmn:messageEventDefinition messageRef="Msg"/></bpmn:intermediateCatchEvent>'
            '<bpmn:userTask id="rev" name="Revisar respuesta" camunda:candidateGroups="juridica"/>'
            + flow("s>espera", "espera>rev")
        ).replace("</bpmn:process>", '</bpmn:process><bpmn:message id="Msg" name="respuesta_ciudadano"/>'),
    )
    first = instances.start_process(ctx, "prueba", business_key="R-1")
    second = instances.start_process(ctx, "prueba", business_key="R-2")
    assert (
        instances.correlate_message(
            ctx, "respuesta_ciudadano", business_key="R-2", payload={"adjunto": "x.pdf"}
        )
        == second.id
    )
    assert open_tasks(ctx, first.id) == []
    assert task_named(ctx, second.id, "Revisar respuesta")


def test_parallel_branches_join_only_when_all_three_arrive(ctx: Context) -> None:
    staff(ctx)
    body = (
        '<bpmn:startEvent id="s"/><bpmn:parallelGateway id="split"/><bpmn:parallelGateway id="join"/>'
        + "".join(
            f'<bpmn:userTask id="r{i}" name="Rama {i}" camunda:candidateGroups="juridica">{accepts(f"rama{i}")}'
            "</bpmn:userTask>"
            for i in range(3)
        )
        + '<bpmn:userTask id="fin" name="Consolidar" camunda:candidateGroups="juridica"/><bpmn:endEvent id="e"/>'
        + flow(
            "s>split",
            *(f"split>r{i}" for i in range(3)),
            *(f"r{i}>join" for i in range(3)),
            "join>fin",
            "fin>e",
        )
    )
    deploy_xml(ctx, "par.bpmn", process_xml(body))
    started = instances.start_process(ctx, "prueba")
    for i in (2, 0):
        tasks.complete_task(ctx, task_named(ctx, started.id, f"Rama {i}")["id"], "juan", {f"rama{i}": True})
    assert [t["name"] for t in open_tasks(ctx, started.id)] == ["Rama 1"]
    tasks.complete_task(ctx, task_named(ctx, started.id, "Rama 1")["id"], "juan", {"rama1": True})
    final = task_named(ctx, started.id, "Consolidar")
    tasks.complete_task(ctx, final["id"], "juan", {})
    history = views.instance(ctx, started.id)["history"]
    assert history[-1]["data_after"] == {} or history[-1]["action"] == "task_completed"
    assert views.instance(ctx, started.id)["status"] == "completed"


LOOP = (
    '<bpmn:startEvent id="s"/><bpmn:userTask id="rev" name="Revisar" camunda:candidateGroups="juridica">'
    + accepts("seguir", "nota0", "nota1", "nota2")
    + "</bpmn:userTask>"
    '<bpmn:boundaryEvent id="alerta" attachedToRef="rev" cancelActivity="false"><bpmn:timerEventDefinition>'
    "<bpmn:timeDuration>P1D</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:boundaryEvent>"
    '<bpmn:scriptTask id="cuenta" name="Contar" scriptFormat="python"><bpmn:script>'
    "vueltas = vueltas + 1</bpmn:script></bpmn:scriptTask>"
    '<bpmn:exclusiveGateway id="otra" default="salir"/><bpmn:endEvent id="e"/><bpmn:endEvent id="e2"/>'
    '<bpmn:sequenceFlow id="a" sourceRef="s" targetRef="rev"/>'
    '<bpmn:sequenceFlow id="b" sourceRef="rev" targetRef="cuenta"/>'
    '<bpmn:sequenceFlow id="c" sourceRef="cuenta" targetRef="otra"/>'
    '<bpmn:sequenceFlow id="d" sourceRef="otra" targetRef="rev"><bpmn:conditionExpression>${seguir}'
    "</bpmn:conditionExpression></bpmn:sequenceFlow>"
    '<bpmn:sequenceFlow id="salir" sourceRef="otra" targetRef="e"/>'
    '<bpmn:sequenceFlow id="g" sourceRef="alerta" targetRef="e2"/>'
)


def test_a_long_loop_keeps_its_data_and_a_constant_state_size(ctx: Context) -> None:
    staff(ctx)
    deploy_xml(ctx, "loop.bpmn", process_xml(LOOP))
    started = instances.start_process(ctx, "prueba", data={"vueltas": 0})
    sizes = []
    for i in range(40):
        task = task_named(ctx, started.id, "Revisar")
        tasks.complete_task(ctx, task["id"], "juan", {"seguir": i < 39, f"nota{i % 3}": i})
        sizes.append(state_size(ctx, started.id))
    detail = views.instance(ctx, started.id)
    assert detail["status"] == "completed"
    assert max(sizes[5:39]) <= min(sizes[5:39]) * 1.1, sizes
    with UnitOfWork(ctx.db, write=False) as uow:
        final = json.loads(uow.session.get(ProcessInstance, started.id).state)
    assert final is not None


@pytest.mark.parametrize("iterations", [400])
def test_loop_beyond_spiffworkflow_depth_limit_does_not_stall(
    sqlite_ctx: Context, iterations: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without compaction the tree is ~1,200 deep: stock SpiffWorkflow stops seeing the ready task (~333)."""
    import engine.runtime.workflow as workflow

    monkeypatch.setattr(workflow, "compact", lambda wf: 0)
    ctx = sqlite_ctx
    staff(ctx)
    simple_loop = LOOP.split("<bpmn:boundaryEvent")[0] + LOOP.split("</bpmn:boundaryEvent>")[1]
    simple_loop = simple_loop.replace('<bpmn:sequenceFlow id="g" sourceRef="alerta" targetRef="e2"/>', "")
    deploy_xml(ctx, "loop.bpmn", process_xml(simple_loop))
    started = instances.start_process(ctx, "prueba", data={"vueltas": 0})
    from engine.store.instances import load_instance
    from engine.workflow.runs import load_run

    for i in range(iterations):
        with UnitOfWork(ctx.db) as uow:
            ref = load_instance(uow.session, started.id)
            run = load_run(ctx, uow.session, ref)
            [human] = run.human_tasks()
            run.complete(human.spiff_id, {"seguir": i < iterations - 1})
            assert run.advance(ctx.clock, ctx.services) is None
            from engine.workflow.runs import save_run

            save_run(ctx, uow.session, ref, run, incident=None)
            uow.commit()
    assert views.instance(ctx, started.id)["status"] == "completed"


def test_incident_retry_reports_a_second_failure(ctx: Context) -> None:
    deploy_xml(
        ctx,
        "s.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:scriptTask id="div" name="Dividir" scriptFormat="python">'
            "<bpmn:script>total = 1 / 0</bpmn:script></bpmn:scriptTask>" + flow("s>div")
        ),
    )
    instances.start_process(ctx, "prueba")
    [incident] = views.incidents(ctx)
    with pytest.raises(IncidentRaised):
        incidents.retry_incident(ctx, incident["id"])
    assert len(views.incidents(ctx)) == 1
