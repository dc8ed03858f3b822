"""Listeners on sequence flows (`take`) and on the process (`start`) run in Camunda 7's order; the process's
`end` listener and task events this engine cannot honour exactly are refused at deploy, naming the element."""

from __future__ import annotations

from typing import Any

from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile, analyze
from engine.store.instances import load_instance
from engine.store.uow import UnitOfWork
from engine.workflow import instances, tasks
from engine.workflow.runs import load_run
from tests.helpers import deploy_xml, open_tasks, process_xml, task_named


def listener(event: str, code: str, tag: str = "executionListener") -> str:
    return (
        f'<camunda:{tag} event="{event}"><camunda:script scriptFormat="python">{code}</camunda:script>'
        f"</camunda:{tag}>"
    )


def ext(*items: str) -> str:
    return f"<bpmn:extensionElements>{''.join(items)}</bpmn:extensionElements>"


def add(word: str) -> str:
    return f"orden = orden + ['{word}']"


ORDERED = process_xml(
    ext(listener("start", "orden = ['proceso']"))
    + f'<bpmn:startEvent id="inicio">{ext(listener("start", add("inicio")))}</bpmn:startEvent>'
    + f'<bpmn:userTask id="a" name="A">{ext(listener("end", add("fin A")))}</bpmn:userTask>'
    + '<bpmn:exclusiveGateway id="elegir" default="porDefecto"/>'
    + f'<bpmn:userTask id="b" name="B">{ext(listener("start", add("inicio B")))}</bpmn:userTask>'
    + '<bpmn:userTask id="c" name="C"/><bpmn:endEvent id="fin1"/><bpmn:endEvent id="fin2"/>'
    + '<bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="a"/>'
    + '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="elegir">'
    + ext(listener("take", add("take"))) + "</bpmn:sequenceFlow>"
    + '<bpmn:sequenceFlow id="aB" sourceRef="elegir" targetRef="b">'
    + ext(listener("take", add("rumbo B")))
    + "<bpmn:conditionExpression>${x &gt; 1}</bpmn:conditionExpression></bpmn:sequenceFlow>"
    + '<bpmn:sequenceFlow id="porDefecto" sourceRef="elegir" targetRef="c">'
    + ext('<camunda:executionListener expression="${execution.setVariable(\'rumbo\', \'C\')}"/>')
    + "</bpmn:sequenceFlow>"
    + '<bpmn:sequenceFlow id="f5" sourceRef="b" targetRef="fin1"/>'
    + '<bpmn:sequenceFlow id="f6" sourceRef="c" targetRef="fin2"/>',
    pid="ordenado",
)  # fmt: skip


def data_of(ctx: Context, instance_id: int, name: str) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        run = load_run(ctx, uow.session, ref)
        [human] = [h for h in run.human_tasks() if h.name == name]
        return run.task_data(human.spiff_id)


def run_to_the_gateway(ctx: Context, x: int) -> int:
    users.add_user(ctx, "root", roles="admin")
    deploy_xml(ctx, "ordenado.bpmn", ORDERED)
    instance = instances.start_process(ctx, "ordenado", data={"x": x}).id
    assert data_of(ctx, instance, "A")["orden"] == ["proceso", "inicio"]  # the process's start comes first
    tasks.complete_task(ctx, task_named(ctx, instance, "A")["id"], "root", {})
    return instance


def test_take_listeners_run_between_the_source_end_and_the_target_start(ctx: Context) -> None:
    instance = run_to_the_gateway(ctx, x=5)
    assert [t["name"] for t in open_tasks(ctx, instance)] == ["B"]
    data = data_of(ctx, instance, "B")
    assert data["orden"] == ["proceso", "inicio", "fin A", "take", "rumbo B", "inicio B"]
    assert "rumbo" not in data  # the flow not taken ran no listener


def test_the_default_flow_runs_its_own_take_listener(ctx: Context) -> None:
    instance = run_to_the_gateway(ctx, x=0)
    data = data_of(ctx, instance, "C")
    assert (data["rumbo"], data["orden"]) == ("C", ["proceso", "inicio", "fin A", "take"])


def errors(body: str) -> list[tuple[str | None, str]]:
    report = analyze([SourceFile("m.bpmn", process_xml(body, pid="p").encode())]).report
    return [(p.element_id, p.message) for p in report.errors]


PLAIN = (
    '<bpmn:startEvent id="inicio"/><bpmn:userTask id="t" name="T">{task}</bpmn:userTask>'
    '<bpmn:endEvent id="fin"/><bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="t"/>'
    '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="fin"/>'
)


def test_a_process_end_listener_is_refused_naming_the_process() -> None:
    found = errors(ext(listener("end", "x = 1")) + PLAIN.format(task=""))
    assert any(e == "p" and "«end»" in m and "no corre como en Camunda" in m for e, m in found), found


def test_task_update_delete_and_timeout_listeners_are_refused_naming_the_task() -> None:
    for event in ("update", "delete", "timeout"):
        found = errors(PLAIN.format(task=ext(listener(event, "x = 1", "taskListener"))))
        assert any(e == "t" and f"«{event}»" in m and "no está soportado" in m for e, m in found), found
