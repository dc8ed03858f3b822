"""Multi-instance activities as Camunda 7 runs them, over SpiffWorkflow's Camunda multi-instance tasks.

SpiffWorkflow's Camunda multi-instance task sets its input collection on the *spec* the first time it
runs; a spec restored from storage has forgotten it, so a sequential multi-instance over three items
gave one task and ended. It also wrote the element variable back into the collection, dropped what
the instances set, and knew none of Camunda's loop variables. Here, as in Camunda
(MultiInstanceActivityBehavior and its sequential and parallel subclasses):
- `camunda:collection` (a variable name or an expression) is read when the activity starts; missing or
  not a list is an incident naming the variable and the activity, repaired by correcting the variable;
- each instance gets `camunda:elementVariable`, `loopCounter` (from 0) and `nrOfInstances`,
  `nrOfActiveInstances`, `nrOfCompletedInstances`, which the `completionCondition` reads after each
  instance ends;
- what an instance sets goes on to the process, except those local variables; the collection is
  never changed.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn.specs.bpmn_task_spec import BpmnTaskSpec
from SpiffWorkflow.camunda.specs.multiinstance_task import (
    ParallelMultiInstanceTask,
    SequentialMultiInstanceTask,
)
from SpiffWorkflow.util.task import TaskState

LOOP_VARIABLES = ("loopCounter", "nrOfInstances", "nrOfActiveInstances", "nrOfCompletedInstances")
COUNTS = "phva_mi"  # internal_data of the multi-instance task: {"total": n, "completed": k}
FAILURE = "phva_mi_failure"  # internal_data: the message of a failure not yet reported as an incident
STAGE = "phva_mi_stage"  # internal_data: "start" or "condition", what a retry runs again


class MultiInstanceError(Exception):
    """A model or data problem of a multi-instance activity; the message is for the incident (es-CO)."""


def _label(spec: Any) -> str:
    name = spec.bpmn_name or getattr(spec._wf_spec.task_specs.get(spec.task_spec), "bpmn_name", None)
    return f"«{name}» ({spec.bpmn_id})" if name else f"«{spec.bpmn_id}»"


def _element_variable(spec: Any) -> str | None:
    return spec.output_item.bpmn_id if spec.cardinality is None and spec.output_item is not None else None


def _local_names(spec: Any) -> set[str]:
    element = _element_variable(spec)
    return set(LOOP_VARIABLES) | ({element} if element else set())


def _collection(spec: Any, my_task: Any) -> list[Any] | None:
    """The items of `camunda:collection`, None when the activity counts with loopCardinality."""
    if spec.cardinality is not None:
        return None
    source = spec.data_output.bpmn_id if spec.data_output is not None else ""
    if source.isidentifier():
        if source not in my_task.data:
            raise MultiInstanceError(
                f"La actividad multiinstancia {_label(spec)} recorre la colección '{source}' "
                f"(camunda:collection), pero esa variable no existe en el proceso."
            )
        value = my_task.data[source]
    else:  # an expression, translated from ${…} at deploy
        try:
            value = my_task.workflow.script_engine.evaluate(my_task, source)
        except Exception as error:
            raise MultiInstanceError(
                f"No se pudo evaluar la colección de la actividad multiinstancia {_label(spec)}: {error}"
            ) from error
    if not isinstance(value, list | tuple):
        shown = "un objeto" if isinstance(value, Mapping) else repr(value)
        raise MultiInstanceError(
            f"La colección '{source}' de la actividad multiinstancia {_label(spec)} debe ser una lista, "
            f"y es {shown}."
        )
    return list(value)


def _total(spec: Any, my_task: Any, items: list[Any] | None) -> int:
    if items is not None:
        return len(items)
    try:
        value = my_task.workflow.script_engine.evaluate(my_task, spec.cardinality)
    except Exception as error:
        raise MultiInstanceError(
            f"No se pudo evaluar loopCardinality de la actividad multiinstancia {_label(spec)}: {error}"
        ) from error
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise MultiInstanceError(
            f"loopCardinality de la actividad multiinstancia {_label(spec)} debe ser un número entero "
            f"no negativo, y es {value!r}."
        )
    return value


def _update_hook(self: Any, my_task: Any) -> bool:
    if my_task.state == TaskState.STARTED:
        return False  # instances already running
    if my_task.state != TaskState.WAITING:  # the first update: inherit the data like any task
        BpmnTaskSpec._update_hook(self, my_task)
        my_task._set_state(TaskState.WAITING)
    my_task.internal_data["merged"] = []
    try:
        items = _collection(self, my_task)
        total = _total(self, my_task, items)
    except MultiInstanceError as error:
        _fail(my_task, "start", str(error))
        return False
    my_task.internal_data[COUNTS] = {"total": total, "completed": 0}
    if total == 0:
        return True  # Camunda leaves at once
    sequential = isinstance(self, SequentialMultiInstanceTask)
    for index in range(1 if sequential else total):
        _create_instance(self, my_task, index, items)
    my_task._set_state(TaskState.STARTED)
    return False


def _create_instance(spec: Any, my_task: Any, index: int, items: list[Any] | None) -> None:
    inner = my_task.workflow.spec.task_specs[spec.task_spec]
    if not inner.completed_event.is_connected(spec.merge_child):
        inner.completed_event.connect(spec.merge_child)
    counts = my_task.internal_data[COUNTS]
    sequential = isinstance(spec, SequentialMultiInstanceTask)
    local: dict[str, Any] = {
        "loopCounter": index,
        "nrOfInstances": counts["total"],
        "nrOfActiveInstances": 1 if sequential else counts["total"] - counts["completed"],
        "nrOfCompletedInstances": counts["completed"],
    }
    element = _element_variable(spec)
    if element and items is not None:
        local[element] = copy.deepcopy(items[index]) if index < len(items) else None
    child = my_task._add_child(inner, TaskState.WAITING)
    child.triggered = True
    child.internal_data["key_or_index"] = index
    child.data.update(copy.deepcopy(local))
    inner._update(child)
    child.data.update(local)  # the process's own variables of the same names must not shadow them


def _merge_child(self: Any, workflow: Any, child: Any) -> None:
    my_task = child.parent
    local = _local_names(self)
    for name, value in child.data.items():
        if name not in local and (name not in my_task.data or my_task.data[name] != value):
            my_task.data[name] = copy.deepcopy(value)  # Camunda: the instance's variables reach the process
    my_task.internal_data["merged"].append(str(child.id))
    my_task.internal_data[COUNTS]["completed"] += 1
    _decide(self, my_task, child)


def _decide(spec: Any, my_task: Any, child: Any) -> None:
    counts = my_task.internal_data[COUNTS]
    sequential = isinstance(spec, SequentialMultiInstanceTask)
    active = 1 if sequential else counts["total"] - counts["completed"]
    child.data.update(
        nrOfInstances=counts["total"], nrOfActiveInstances=active, nrOfCompletedInstances=counts["completed"]
    )
    try:
        satisfied = _condition(spec, child)
    except MultiInstanceError as error:
        _fail(my_task, "condition", str(error))
        return
    if sequential:
        if counts["completed"] >= counts["total"] or satisfied:
            my_task._set_state(TaskState.READY)
            return
        try:
            items = _collection(spec, my_task)
        except MultiInstanceError as error:
            _fail(my_task, "condition", str(error))
            return
        _create_instance(spec, my_task, counts["completed"], items)
        return
    instances = [c for c in my_task.children if c.task_spec.name == spec.task_spec]
    if satisfied:
        for instance in instances:
            instance.cancel()
        my_task._set_state(TaskState.READY)
    elif all(c.state == TaskState.COMPLETED for c in instances):
        my_task._set_state(TaskState.READY)


def _condition(spec: Any, child: Any) -> bool:
    if not spec.condition:
        return False
    try:
        value = child.workflow.script_engine.evaluate(child, spec.condition)
    except Exception as error:
        raise MultiInstanceError(
            f"No se pudo evaluar completionCondition de la actividad multiinstancia {_label(spec)}: {error}"
        ) from error
    if not isinstance(value, bool):
        raise MultiInstanceError(
            f"completionCondition de la actividad multiinstancia {_label(spec)} debe dar verdadero o falso, "
            f"y dio {value!r}."
        )
    return value


def _fail(my_task: Any, stage: str, message: str) -> None:
    my_task._set_state(TaskState.ERROR)
    my_task.internal_data[FAILURE] = message
    my_task.internal_data[STAGE] = stage


def is_multi_instance(task: Any) -> bool:
    return isinstance(task.task_spec, SequentialMultiInstanceTask | ParallelMultiInstanceTask)


def pop_failure(workflow: Any) -> tuple[Any, str] | None:
    """A multi-instance activity that failed since the last look, with its message (each reported once)."""
    for tree in [workflow, *workflow.subprocesses.values()]:
        for task in tree.tasks.values():
            if task.state == TaskState.ERROR and FAILURE in task.internal_data and is_multi_instance(task):
                return task, str(task.internal_data.pop(FAILURE))
    return None


def restart(task: Any) -> None:
    """Run the failed step of a multi-instance activity again, with its (corrected) data."""
    task.internal_data.pop(FAILURE, None)
    if task.internal_data.pop(STAGE, "start") == "start":
        task._set_state(TaskState.WAITING)  # not FUTURE: the corrected data must not be inherited over
        task.task_spec._update(task)
        return
    task._set_state(TaskState.STARTED)
    merged = task.internal_data.get("merged") or []
    last = next((c for c in task.children if str(c.id) == merged[-1]), None) if merged else None
    if last is not None:
        last.data.update({k: v for k, v in task.data.items() if k not in _local_names(task.task_spec)})
        _decide(task.task_spec, task, last)


for _cls in (SequentialMultiInstanceTask, ParallelMultiInstanceTask):
    _cls._update_hook = _update_hook
    _cls.merge_child = _merge_child
