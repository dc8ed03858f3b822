"""Instance state survives key reordering (jsonb, sort_keys) and processes with service tasks serialize."""

from __future__ import annotations

import json
from pathlib import Path

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

from engine.clock import SystemClock
from engine.modeling.spiff_registry import workflow_from_json, workflow_to_json
from engine.runtime.scripting import make_script_engine
from engine.runtime.workflow import ProcessRun, ServiceRegistry
from tests.helpers import process_xml

DATA = Path(__file__).resolve().parents[1] / "data"


def _loop_run() -> tuple[ProcessRun, object, dict]:
    parser = CamundaParser()
    parser.add_bpmn_file(str(DATA / "loop.bpmn"))
    spec, subs = parser.get_spec("bucle"), parser.get_subprocess_specs("bucle")
    run = ProcessRun.start(spec, subs, make_script_engine(), {"expediente": "E-1", "vueltas": 0})
    run.advance(SystemClock(), ServiceRegistry())
    [human] = run.human_tasks()
    run.complete(human.spiff_id, {"seguir": True, "nota": "primera"})
    run.advance(SystemClock(), ServiceRegistry())
    return run, spec, subs


def test_state_with_reordered_keys_restores_the_same_task_data() -> None:
    run, spec, subs = _loop_run()
    text = workflow_to_json(run.workflow)
    reordered = json.dumps(json.loads(text), sort_keys=True)  # what jsonb or sort_keys=True do
    restored = workflow_from_json(reordered, spec, subs)
    [human] = [t for t in restored.get_tasks() if t.task_spec.name == "revisar" and t.state == 16]
    assert human.data["expediente"] == "E-1"
    assert human.data["nota"] == "primera"


def test_stock_serializer_loses_data_on_reordered_keys() -> None:
    """The bug our converter fixes: stock SpiffWorkflow rebuilds children from parents in dict order."""
    run, _, _ = _loop_run()
    stock = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(CAMUNDA_CONFIG))
    reordered = json.dumps(json.loads(stock.serialize_json(run.workflow)), sort_keys=True)
    restored = stock.deserialize_json(reordered)
    ready = [t for t in restored.get_tasks() if t.task_spec.name == "revisar" and t.state == 16]
    assert ready and "expediente" not in ready[0].data


def test_instance_state_does_not_embed_the_spec() -> None:
    run, _, _ = _loop_run()
    state = json.loads(workflow_to_json(run.workflow))
    assert "spec" not in state and "subprocess_specs" not in state


def test_process_with_a_service_task_serializes_and_restores() -> None:
    xml = process_xml(
        '<bpmn:startEvent id="s"/><bpmn:serviceTask id="svc" name="Enviar" camunda:type="external" '
        'camunda:topic="t"/><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="svc"/>'
    )
    parser = CamundaParser()
    parser.add_bpmn_str(xml.encode(), "svc.bpmn")
    spec = parser.get_spec("prueba")
    run = ProcessRun.start(spec, {}, make_script_engine())
    run.workflow.do_engine_steps()
    restored = workflow_from_json(workflow_to_json(run.workflow), spec, {})
    assert [t.task_spec.name for t in restored.get_tasks(state=32)] == ["svc"]
