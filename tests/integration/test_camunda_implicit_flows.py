"""Camunda 7's implicit flows (engine.modeling.implicit_flows): several flows out of an activity are all
taken (those with a condition when it holds, the activity's default when none does), and a subprocess
without an end event completes when its paths have ended."""

from __future__ import annotations

from engine.context import Context
from engine.workflow import tasks, views
from tests.helpers import deploy_xml, flow, open_tasks, process_xml, staff, start_model

COND = '<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{}</bpmn:conditionExpression>'


def names(ctx: Context, instance_id: int) -> list[str]:
    return sorted(t["bpmn_id"] for t in open_tasks(ctx, instance_id))


def test_conditional_flows_out_of_a_task_with_a_default(ctx: Context) -> None:
    body = (
        '<bpmn:startEvent id="s"/><bpmn:userTask id="t" name="Revisar" default="fd"/>'
        '<bpmn:userTask id="a" name="A"/><bpmn:userTask id="b" name="B"/><bpmn:userTask id="d" name="D"/>'
        + flow("s>t")
        + '<bpmn:sequenceFlow id="fa" sourceRef="t" targetRef="a">'
        + COND.format("${x &gt; 1}")
        + "</bpmn:sequenceFlow>"
        + '<bpmn:sequenceFlow id="fb" sourceRef="t" targetRef="b">'
        + COND.format("${x &gt; 2}")
        + "</bpmn:sequenceFlow>"
        + '<bpmn:sequenceFlow id="fd" sourceRef="t" targetRef="d"/>'
    )
    staff(ctx)
    deploy_xml(ctx, "condicionales.bpmn", process_xml(body))
    for x, expected in ((3, ["a", "b"]), (2, ["a"]), (0, ["d"])):
        started = start_model(ctx, "prueba", data={"x": x})
        task = open_tasks(ctx, started.id)[0]
        tasks.complete_task(ctx, task["id"], "root", {})
        assert names(ctx, started.id) == expected, x


def test_a_subprocess_without_end_event_completes_and_goes_on(ctx: Context) -> None:
    body = (
        '<bpmn:startEvent id="s"/>'
        '<bpmn:subProcess id="sub"><bpmn:startEvent id="ss"/><bpmn:userTask id="dentro" name="Dentro"/>'
        + flow("ss>dentro").replace('id="f0"', 'id="fs0"')
        + '</bpmn:subProcess><bpmn:userTask id="despues" name="Después"/><bpmn:endEvent id="e"/>'
        + flow("s>sub", "sub>despues", "despues>e")
    )
    staff(ctx)
    deploy_xml(ctx, "sin_fin.bpmn", process_xml(body))
    started = start_model(ctx, "prueba")
    assert names(ctx, started.id) == ["dentro"]
    tasks.complete_task(ctx, open_tasks(ctx, started.id)[0]["id"], "root", {})
    assert names(ctx, started.id) == ["despues"]
    tasks.complete_task(ctx, open_tasks(ctx, started.id)[0]["id"], "root", {})
    assert views.instance(ctx, started.id)["status"] == "completed"
