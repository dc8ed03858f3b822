"""The fast task converter writes what SpiffWorkflow's stock converter writes, and reads what it wrote."""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import TaskConverter
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from bench.complete_task import FIVE
from engine.modeling import spiff_registry
from engine.runtime.scripting import make_script_engine
from engine.runtime.workflow import ProcessRun


def _stock_registry() -> Any:
    cfg = spiff_registry._config()
    cfg[Task] = TaskConverter
    return BpmnWorkflowSerializer.configure(cfg)


def _run_two_steps() -> ProcessRun:
    parser = CamundaParser()
    parser.add_bpmn_str(FIVE.encode(), "cinco.bpmn")
    spec, subs = parser.get_spec("cinco"), parser.get_subprocess_specs("cinco")
    run = ProcessRun.start(spec, subs, make_script_engine(), {"inicial": {"a": [1, 2]}})
    run.workflow.do_engine_steps()
    for nota in ("uno", "dós"):
        [task] = run.workflow.get_tasks(state=TaskState.READY, manual=True)
        task.internal_data["marca"] = nota  # non-empty internal data goes through the registry
        run.complete(str(task.id), {"nota": nota, "seguir": True})
        run.workflow.do_engine_steps()
    [task] = run.workflow.get_tasks(state=TaskState.READY, manual=True)
    del task.data["inicial"]  # a deletion in the delta
    return run


def test_fast_converter_writes_the_stock_dict() -> None:
    run = _run_two_steps()
    ours = spiff_registry.REGISTRY.convert(run.workflow)
    stock = _stock_registry().convert(run.workflow)
    assert json.dumps(ours) == json.dumps(stock)
    assert any(t["internal_data"] for t in ours["tasks"].values())
    assert any(t["delta"] and t["delta"]["deletions"] for t in ours["tasks"].values())


def test_state_written_by_the_stock_converter_restores_identically() -> None:
    run = _run_two_steps()
    stock = _stock_registry().convert(run.workflow)
    stock[spiff_registry.SERIALIZER.VERSION_KEY] = spiff_registry.SERIALIZER.VERSION
    stock["format"] = spiff_registry.STATE_FORMAT
    old_state = json.dumps(stock, separators=(",", ":"))
    spec, subs = run.workflow.spec, run.workflow.subprocess_specs
    restored = spiff_registry.workflow_from_json(old_state, spec, subs)
    for task in run.workflow.get_tasks():
        again = restored.get_task_from_id(task.id)
        assert (again.state, again.data, again.internal_data) == (task.state, task.data, task.internal_data)
        assert again.data is not again.parent.data if again.parent is not None else True
    assert spiff_registry.workflow_to_json(restored) == old_state
