"""camunda:inputOutput and Camunda listeners applied when a task becomes ready and when it completes.

The order is Camunda 7's: when an activity starts, its input parameters (local variables), then its
execution `start` listeners, then a user task's `create` listeners; when it ends, its `complete` task
listeners, its `end` execution listeners, then its output parameters, evaluated with the locals still
visible. The locals then go away (a variable an input parameter shadowed gets its value back), the
outputs stay for the flow that follows. Listener handlers and scripts that replace what Camunda runs
in Java or groovy are registered ServiceHandlers (engine.modeling.delegates checks them at deploy).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskState

from engine.runtime.compaction import find_task
from engine.runtime.execution import DelegateTask, Execution, json_native

Handlers = Callable[[str], Callable[[dict[str, Any]], Mapping[str, Any] | None] | None]

FAILURE = "phva_io_failure"  # internal_data: the message of a failure not yet reported as an incident
_LOCALS = "phva_io_locals"  # internal_data: {name: [had_value, value]} an input parameter shadowed
_handlers: ContextVar[Handlers | None] = ContextVar("phva_listener_handlers", default=None)


@contextmanager
def using_handlers(find: Handlers) -> Iterator[None]:
    """Listener handlers are looked up in the registry of the run that is advancing."""
    token = _handlers.set(find)
    try:
        yield
    finally:
        _handlers.reset(token)


def _extensions(task: Any) -> Mapping[str, Any]:
    spec = task.task_spec
    if isinstance(spec, MultiInstanceTask):
        return {}  # each instance applies them, not the multi-instance body
    ext = getattr(spec, "extensions", None)
    return ext if isinstance(ext, Mapping) else {}


def _fail(task: Any, what: str, error: Exception) -> None:
    # Recorded, not raised: a task completed by a user readies the next one inside the same call.
    task._set_state(TaskState.ERROR)
    name = task.task_spec.bpmn_name or task.task_spec.bpmn_id
    task.internal_data[FAILURE] = f"{what} «{name}»: {error}"


def pop_failure(workflow: Any) -> tuple[Any, str] | None:
    """A task whose input/output mapping or listener failed since the last look, with its message."""
    for tree in [workflow, *workflow.subprocesses.values()]:
        for task in tree.tasks.values():
            if task.state == TaskState.ERROR and FAILURE in task.internal_data:
                return task, str(task.internal_data.pop(FAILURE))
    return None


# ---- values -----------------------------------------------------------------------------------
def evaluate_value(task: Any, value: Mapping[str, Any]) -> Any:
    if "text" in value:
        return value["text"]
    if "expr" in value:
        return json_native(task.workflow.script_engine.evaluate(task, value["expr"]))
    if "list" in value:
        return [evaluate_value(task, item) for item in value["list"]]
    if "map" in value:
        return {key: evaluate_value(task, item) for key, item in value["map"].items()}
    if "script" in value:  # a Python script parameter is one expression, its value the parameter's
        return json_native(task.workflow.script_engine.evaluate(task, value["script"]))
    return None


def _apply_inputs(task: Any, inputs: list[Mapping[str, Any]]) -> None:
    values = {p["name"]: evaluate_value(task, p["value"]) for p in inputs}  # all read the outer scope
    task.internal_data[_LOCALS] = {
        name: [name in task.data, copy.deepcopy(task.data.get(name))] for name in values
    }
    task.data.update(values)


def _apply_outputs(task: Any, outputs: list[Mapping[str, Any]]) -> None:
    values = {p["name"]: evaluate_value(task, p["value"]) for p in outputs}
    for name, (had, before) in (task.internal_data.pop(_LOCALS, None) or {}).items():
        if had:
            task.data[name] = before
        else:
            task.data.pop(name, None)
    task.data.update(values)


# ---- listeners --------------------------------------------------------------------------------
def _run_listeners(
    task: Any, scope: str, event: str, listeners: list[Mapping[str, Any]], assignee: str | None = None
) -> None:
    for listener in listeners:
        if listener["scope"] != scope or listener["event"] != event:
            continue
        kind, value = listener["kind"], listener["value"]
        name = "execution" if scope == "execution" else "task"
        delegate = Execution(task, event) if scope == "execution" else DelegateTask(task, event, assignee)
        if kind == "expression":
            task.workflow.script_engine.evaluate(
                task, value, external_context={name: delegate, "execution": delegate}
            )
        elif kind == "script":
            task.workflow.script_engine.execute(task, value)
        else:
            find = _handlers.get()
            handler = find(value) if find is not None else None
            if handler is None:
                raise LookupError(f"no hay un manejador registrado con el nombre «{value}»")
            data = copy.deepcopy(dict(task.data))
            if scope == "task":
                data["task_assignee"] = assignee  # what Camunda's task.getAssignee() gives the listener
            result = handler(data)
            if result:
                task.data.update(json_native(copy.deepcopy(dict(result))))


# ---- the hooks ---------------------------------------------------------------------------------
_original_on_ready = TaskSpec._on_ready
_original_on_complete = TaskSpec._on_complete


def _on_ready(self: Any, my_task: Any) -> None:
    ext = _extensions(my_task)
    io, listeners = ext.get("inputOutput") or {}, ext.get("listeners") or []
    if io.get("inputs") or listeners:
        try:
            if io.get("inputs"):
                _apply_inputs(my_task, io["inputs"])
            _run_listeners(my_task, "execution", "start", listeners)
            _run_listeners(
                my_task, "execution", "take", listeners
            )  # a flow's (engine.modeling.flow_listeners)
            _run_listeners(my_task, "task", "create", listeners)
        except Exception as error:
            _fail(my_task, "Al iniciar", error)
            return
    _original_on_ready(self, my_task)


def _on_complete(self: Any, my_task: Any) -> None:
    ext = _extensions(my_task)
    io, listeners = ext.get("inputOutput") or {}, ext.get("listeners") or []
    if io.get("outputs") or io.get("inputs") or listeners:
        try:
            _run_listeners(my_task, "task", "complete", listeners)
            _run_listeners(my_task, "execution", "end", listeners)
            _apply_outputs(my_task, io.get("outputs") or [])
        except Exception as error:
            _fail(my_task, "Al terminar", error)
            return
    _original_on_complete(self, my_task)


TaskSpec._on_ready = _on_ready  # type: ignore[method-assign]
TaskSpec._on_complete = _on_complete  # type: ignore[method-assign]


def run_expression(task: Any, python: str, result_variable: str | None) -> None:
    """A service task's camunda:expression that is JUEL, not a handler's name (execution.setVariable…)."""
    value = task.workflow.script_engine.evaluate(
        task, python, external_context={"execution": Execution(task)}
    )
    if result_variable:
        task.data[result_variable] = json_native(value)


def has_task_listener(extensions: Mapping[str, Any], event: str) -> bool:
    found = extensions.get("listeners") or []
    return any(item.get("scope") == "task" and item.get("event") == event for item in found)


def task_assigned(workflow: Any, spiff_id: str, assignee: str, handlers: Handlers) -> str | None:
    """Run a user task's `assignment` listeners (claimed, assigned, reassigned); the failure's message."""
    task = find_task(workflow, spiff_id)
    if task is None:
        return None
    try:
        with using_handlers(handlers):
            _run_listeners(task, "task", "assignment", _extensions(task).get("listeners") or [], assignee)
    except Exception as error:  # the task stays as it is: the claim happened, the listener is an incident
        return f"Al asignar «{task.task_spec.bpmn_name or task.task_spec.bpmn_id}» a {assignee}: {error}"
    return None
