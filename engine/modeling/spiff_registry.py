"""The one SpiffWorkflow serializer configuration used for specs (at deploy) and instances (at run time).

Two fixes over the stock configuration (SPIFF_NOTES.md):
- service tasks get a converter, else any process with one fails to serialize;
- instance state is stored without the spec (kept once per version) and tasks are restored parents
  first, so a reordered JSON (jsonb, sort_keys) cannot silently empty the task data.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from copy import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.task_spec import BpmnTaskSpecConverter
from SpiffWorkflow.bpmn.serializer.default.workflow import (
    BpmnSubWorkflowConverter,
    BpmnWorkflowConverter,
    WorkflowConverter,
)
from SpiffWorkflow.bpmn.specs.defaults import ServiceTask
from SpiffWorkflow.bpmn.util.subworkflow import BpmnSubWorkflow
from SpiffWorkflow.camunda.serializer.config import CAMUNDA_CONFIG

STATE_FORMAT = "phva-1"


def parents_first(tasks: dict[str, Any], root: str) -> dict[str, Any]:
    """Reorder serialized tasks so each parent precedes its children (data is a delta on the parent)."""
    ordered: dict[str, Any] = {}
    stack = [root]
    while stack:
        task_id = stack.pop()
        dct = tasks.get(task_id)
        if dct is None or task_id in ordered:
            continue
        ordered[task_id] = dct
        stack.extend(reversed(dct["children"]))
    for task_id, dct in tasks.items():  # unreachable leftovers keep their place at the end
        ordered.setdefault(task_id, dct)
    return ordered


class StateWorkflowConverter(BpmnWorkflowConverter):  # type: ignore[misc]
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = WorkflowConverter.to_dict(self, workflow)
        dct["subprocesses"] = self.mapping_to_dict(workflow.subprocesses)
        dct["bpmn_events"] = self.registry.convert(workflow.bpmn_events)
        return dct

    def from_dict(self, dct: dict[str, Any], spec: Any = None, subprocess_specs: Any = None) -> Any:
        if "spec" in dct:  # a stock serialization with the spec embedded
            spec = self.registry.restore(dct.pop("spec"))
            subprocess_specs = self.mapping_from_dict(dct.pop("subprocess_specs", {}))
        workflow = self.target_class(spec, subprocess_specs, deserializing=True)
        tasks = parents_first(dct["tasks"], dct["root"])
        workflow.tasks = self.mapping_from_dict(tasks, UUID, workflow=workflow)
        workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(workflow, dct)
        self.subprocesses_from_dict(dct["subprocesses"], workflow)
        workflow.bpmn_events = self.registry.restore(dct.pop("bpmn_events", []))
        return workflow


class StateSubWorkflowConverter(BpmnSubWorkflowConverter):  # type: ignore[misc]
    # A called process bound when it ran keeps the name of its version's spec ("<key>@<definition id>").
    def to_dict(self, workflow: Any) -> dict[str, Any]:
        dct: dict[str, Any] = super().to_dict(workflow)
        if getattr(workflow, "phva_spec", None):
            dct["phva_spec"] = workflow.phva_spec
        return dct

    def from_dict(self, dct: dict[str, Any], task: Any, top_workflow: Any) -> Any:
        dct = dict(dct, tasks=parents_first(dct["tasks"], dct["root"]))
        name = dct.get("phva_spec")
        if not name:
            return super().from_dict(dct, task, top_workflow)
        subprocess = self.target_class(
            top_workflow.subprocess_specs[name], task.id, top_workflow, deserializing=True
        )
        subprocess.tasks = self.mapping_from_dict(dct["tasks"], UUID, workflow=subprocess)
        subprocess.task_tree = subprocess.tasks.get(UUID(dct["root"]))
        self.set_default_attributes(subprocess, dct)
        subprocess.phva_spec = name
        return subprocess


def _config() -> dict[Any, Any]:
    cfg: dict[Any, Any] = copy(CAMUNDA_CONFIG)
    cfg[ServiceTask] = BpmnTaskSpecConverter
    cfg[BpmnWorkflow] = StateWorkflowConverter
    cfg[BpmnSubWorkflow] = StateSubWorkflowConverter
    return cfg


REGISTRY = BpmnWorkflowSerializer.configure(_config())
SERIALIZER = BpmnWorkflowSerializer(REGISTRY)


def specs_to_json(spec: Any, subprocess_specs: dict[str, Any]) -> str:
    """Serialize a process spec with the specs of its call activities, stored once per version."""
    return json.dumps(
        {
            "spec": REGISTRY.convert(spec),
            "subprocess_specs": {name: REGISTRY.convert(s) for name, s in subprocess_specs.items()},
        }
    )


def specs_from_json(text: str) -> tuple[Any, dict[str, Any]]:
    dct = json.loads(text)
    spec = REGISTRY.restore(dct["spec"])
    subs = {name: REGISTRY.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subs


def workflow_to_json(workflow: Any) -> str:
    dct = REGISTRY.convert(workflow)
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    dct["format"] = STATE_FORMAT
    return json.dumps(dct, separators=(",", ":"))


def workflow_from_json(
    text: str,
    spec: Any,
    subprocess_specs: dict[str, Any],
    called_specs: Callable[[str], Mapping[str, Any]] | None = None,
) -> Any:
    """`called_specs(name)` gives the specs of a called process bound at run time (the name and its own)."""
    dct = json.loads(text)
    dct.pop("format", None)
    names = {s["phva_spec"] for s in dct.get("subprocesses", {}).values() if s.get("phva_spec")}
    if names - set(subprocess_specs):
        if called_specs is None:
            raise ValueError(f"La instancia usa procesos llamados que no se pueden cargar: {sorted(names)}")
        subprocess_specs = dict(subprocess_specs)
        for name in sorted(names - set(subprocess_specs)):
            for sub, sub_spec in called_specs(name).items():
                subprocess_specs.setdefault(sub, sub_spec)
    SERIALIZER.migrate(dct)
    return REGISTRY.restore(dct, spec=spec, subprocess_specs=subprocess_specs)
