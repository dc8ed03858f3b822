"""The SpiffWorkflow facade: one live instance between load and save.

Everything SpiffWorkflow-shaped stays in this package; callers get plain dataclasses.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, ManualTask, NoneTask, ServiceTask, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    TimerEventDefinition,
)
from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.exceptions import WorkflowException
from SpiffWorkflow.util.task import TaskState

from engine.clock import Clock
from engine.modeling.spiff_registry import workflow_from_json, workflow_to_json
from engine.runtime import (
    call_activity,
    compensation,
    event_subprocesses,
    listeners,
    multi_instance,
    spiff_patches,
    timer_events,
)
from engine.runtime import signals as signal_events
from engine.runtime.bindings import Definitions
from engine.runtime.compaction import compact, find_task
from engine.runtime.script_limits import limited_step

log = logging.getLogger(__name__)

ServiceHandler = Callable[[Mapping[str, Any]], Mapping[str, Any] | None]
# A handler that also gets the caller's `call` (the use case's transaction and instance), to act in it.
CallHandler = Callable[[Mapping[str, Any], Any], Mapping[str, Any] | None]
MAX_ADVANCE_ROUNDS = 10_000


class TaskNotReady(Exception):
    """The task is not a READY human task (completed already, cancelled, or not a user task)."""


@dataclass(frozen=True)
class HumanTask:
    spiff_id: str
    bpmn_id: str
    name: str
    lane: str | None
    documentation: str | None
    extensions: Mapping[str, Any]
    process_id: str


@dataclass(frozen=True)
class WaitingTimer:
    spiff_id: str
    bpmn_id: str
    name: str | None
    kind: str
    timer_type: str
    interrupting: bool
    due_at: datetime


@dataclass(frozen=True)
class WaitingMessage:
    spiff_id: str
    bpmn_id: str
    message_name: str


@dataclass(frozen=True)
class IncidentInfo:
    spiff_id: str | None
    bpmn_id: str | None
    kind: str
    message: str


@dataclass
class ServiceRegistry:
    """Python handlers for service tasks, by external topic, class name or expression name."""

    handlers: dict[str, ServiceHandler] = field(default_factory=dict)
    call_handlers: dict[str, CallHandler] = field(default_factory=dict)

    def register(self, name: str, handler: ServiceHandler) -> None:
        self.handlers[name] = handler

    def register_with_call(self, name: str, handler: CallHandler) -> None:
        """A handler that acts in the caller's transaction (`call` is whatever `advance` was given)."""
        self.call_handlers[name] = handler

    def invoke(self, name: str, data: dict[str, Any], call: Any) -> Mapping[str, Any] | None:
        if name in self.call_handlers:
            return self.call_handlers[name](data, call)
        return self.handlers[name](data)

    def lookup(
        self, implementation: Mapping[str, Any] | None
    ) -> tuple[str, ServiceHandler | CallHandler | None]:
        """The handler's name and the handler (call it through `invoke`)."""
        impl = implementation or {}
        name = str(impl.get("topic") or impl.get("value") or "")
        name = name.removeprefix("${").removeprefix("#{").removesuffix("}")
        return name, self.handlers.get(name) or self.call_handlers.get(name)


class ProcessRun:
    def __init__(self, workflow: Any, clock: Clock | None = None) -> None:
        self.workflow = workflow
        self.clock = clock  # the time timers see while a task completes (advance gets its own)
        self.services: ServiceRegistry | None = None  # the handlers a completed task's listeners call
        # where decisions and called processes are found when a completed task reaches them at once
        self.definitions: Definitions | None = None
        self.pending_incident: IncidentInfo | None = None  # met while completing a task, reported by advance

    # ---- life cycle -------------------------------------------------------------------------
    @classmethod
    def start(
        cls,
        spec: Any,
        subprocess_specs: dict[str, Any],
        script_engine: Any,
        data: Mapping[str, Any] | None = None,
    ) -> ProcessRun:
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
        if data:
            workflow.data.update(copy.deepcopy(dict(data)))
            for task in workflow.get_tasks(state=TaskState.READY | TaskState.FUTURE):
                task.data.update(copy.deepcopy(dict(data)))
        return cls(workflow)

    @classmethod
    def start_by_signal(
        cls,
        spec: Any,
        subprocess_specs: dict[str, Any],
        script_engine: Any,
        bpmn_id: str,
        data: Mapping[str, Any],
    ) -> ProcessRun:
        """A new instance started by its signal start event `bpmn_id` (engine.runtime.signals)."""
        return cls(signal_events.start_by_signal(spec, subprocess_specs, script_engine, bpmn_id, data))

    @classmethod
    def load(
        cls,
        state: str,
        spec: Any,
        subprocess_specs: dict[str, Any],
        script_engine: Any,
        clock: Clock | None = None,
        called_specs: Callable[[str], Mapping[str, Any]] | None = None,
    ) -> ProcessRun:
        """`called_specs(name)`: the specs of a process a call activity bound when it ran (bindings)."""
        workflow = workflow_from_json(state, spec, subprocess_specs, called_specs)
        workflow.script_engine = script_engine  # not serialized: attach after every restore
        return cls(workflow, clock)

    def dump(self) -> str:
        compensation.remember(self.workflow)  # compaction drops the completed activities it needs
        compact(self.workflow)
        return workflow_to_json(self.workflow)

    @property
    def completed(self) -> bool:
        return bool(self.workflow.completed)

    def data(self) -> dict[str, Any]:
        """The instance's current data: the last completed task's, else the workflow's."""
        last = self.workflow.last_task
        source = last.data if last is not None else self.workflow.data
        return dict(source)

    # ---- running ----------------------------------------------------------------------------
    def advance(
        self,
        clock: Clock,
        services: ServiceRegistry,
        call: Any = None,
        definitions: Definitions | None = None,
    ) -> IncidentInfo | None:
        """Run engine steps, pass-through tasks, service tasks and due timers until only waits remain.

        `call` reaches the handlers registered with `register_with_call` (the use case's transaction);
        `definitions` finds the decisions and called processes bound when they run."""
        with (
            spiff_patches.using_clock(clock),
            call_activity.bound(definitions or self.definitions),
            listeners.using_handlers(services.handlers.get),
            limited_step(),  # the step's scripts and expressions share one time limit
        ):
            for _ in range(MAX_ADVANCE_ROUNDS):
                try:
                    self.workflow.refresh_timers()
                    call_activity.start_waiting(self.workflow)
                    self.workflow.do_engine_steps()
                    progressed = self._run_automatic_tasks(services, call)
                    progressed = event_subprocesses.settle(self.workflow) or progressed
                    progressed = compensation.settle(self.workflow) or progressed
                    failed = multi_instance.pop_failure(self.workflow) or listeners.pop_failure(self.workflow)
                    if failed is not None:
                        return _task_incident(failed[0], "data", failed[1])
                except WorkflowException as error:
                    return _incident_from(error)
                except _ServiceFailure as failure:
                    return failure.incident
                if not progressed:
                    pending, self.pending_incident = self.pending_incident, None
                    return pending
        return IncidentInfo(None, None, "engine", "El proceso no se detiene: revise los ciclos del modelo.")

    def _run_automatic_tasks(self, services: ServiceRegistry, call: Any) -> bool:
        progressed = False
        for task in self.workflow.get_tasks(state=TaskState.READY | TaskState.STARTED):
            spec = task.task_spec
            if task.state == TaskState.READY and isinstance(spec, NoneTask | ManualTask):
                task.run()  # Camunda 7 passes through abstract and manual tasks
                progressed = True
            elif task.state == TaskState.STARTED and isinstance(spec, ServiceTask):
                self._call_service(task, services, call)
                progressed = True
        return progressed

    def _call_service(self, task: Any, services: ServiceRegistry, call: Any) -> None:
        impl = getattr(task.task_spec, "extensions", {}).get("implementation")
        name, handler = services.lookup(impl)
        if handler is None and impl and impl.get("python"):  # camunda:expression that is JUEL
            try:
                listeners.run_expression(
                    task, impl["python"], task.task_spec.extensions.get("resultVariable")
                )
            except WorkflowException as error:
                task.error()
                raise _ServiceFailure(_incident_from(error)) from error
            task.complete()
            return
        if handler is None:
            raise _ServiceFailure(
                _task_incident(
                    task,
                    "service",
                    f"No hay un manejador registrado para la tarea de servicio '{name or '?'}'.",
                )
            )
        try:
            result = services.invoke(name, copy.deepcopy(task.data), call)
            if result:
                check_json_native(result)
                task.data.update(copy.deepcopy(dict(result)))
        except Exception as error:  # a handler's failure becomes a visible, retryable incident
            task.error()
            raise _ServiceFailure(
                _task_incident(task, "service", f"{type(error).__name__}: {error}")
            ) from error
        task.complete()

    # ---- human tasks ------------------------------------------------------------------------
    def human_tasks(self) -> list[HumanTask]:
        return [_human(t) for t in self.workflow.get_tasks(state=TaskState.READY, manual=True)]

    def _ready_human(self, spiff_id: str) -> Any:
        task = find_task(self.workflow, spiff_id)
        if task is None or task.state != TaskState.READY or not task.task_spec.manual:
            raise TaskNotReady(spiff_id)
        return task

    def task_data(self, spiff_id: str) -> dict[str, Any]:
        return dict(self._ready_human(spiff_id).data)

    def complete(self, spiff_id: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Complete a READY human task with validated data; returns the data before."""
        task = self._ready_human(spiff_id)
        before: dict[str, Any] = copy.deepcopy(task.data)
        task.set_data(**copy.deepcopy(dict(data)))
        handlers = self.services.handlers.get if self.services is not None else lambda name: None
        try:
            with call_activity.bound(self.definitions):
                if self.clock is None:
                    with listeners.using_handlers(handlers):  # the task's complete/end listeners
                        task.run()
                else:  # completing re-checks the waiting timers (a multi-instance's boundary timer): at our time
                    with spiff_patches.using_clock(self.clock), listeners.using_handlers(handlers):
                        task.run()
        except WorkflowException as error:  # a call activity it reached at once could not start
            self.pending_incident = _incident_from(error)
        return before

    def evaluate(self, spiff_id: str, source: str) -> Any:
        task = self.workflow.get_task_from_id(UUID(spiff_id))
        if self.clock is None:
            return self.workflow.script_engine.evaluate(task, source)
        with spiff_patches.using_clock(self.clock):  # now() and dateTime() in a due date: our time
            return self.workflow.script_engine.evaluate(task, source)

    def correct(self, spiff_id: str | None, values: Mapping[str, Any]) -> None:
        """Replace variables on a failed task (and the instance's data) before it runs again."""
        check_json_native(values)
        task = find_task(self.workflow, spiff_id) if spiff_id else None
        if task is not None:
            task.data.update(copy.deepcopy(dict(values)))
        self.workflow.data.update(copy.deepcopy(dict(values)))

    def cancel(self) -> None:
        """End the instance where it stands: every open task and wait is cancelled."""
        self.workflow.cancel()

    def retry(self, spiff_id: str | None) -> None:
        """Put a failed task back to READY so the next advance runs it again."""
        if spiff_id is None:
            return
        task = find_task(self.workflow, spiff_id)
        if task is not None and task.state == TaskState.ERROR and multi_instance.is_multi_instance(task):
            multi_instance.restart(task)
        elif task is not None and task.state == TaskState.ERROR and call_activity.restart(task):
            pass  # the next advance starts its called process again
        elif task is not None and task.state in (TaskState.ERROR, TaskState.STARTED):
            task._set_state(TaskState.READY)

    # ---- waits ------------------------------------------------------------------------------
    def timers(self) -> list[WaitingTimer]:
        found: list[WaitingTimer] = []
        for task in self.workflow.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            found.extend(
                WaitingTimer(str(task.id), g.bpmn_id, g.name, "event_gateway", g.timer_type, True, g.due_at)
                for g in timer_events.gateway_timers(task)
            )
            if task.state != TaskState.WAITING or not isinstance(definition, TimerEventDefinition):
                continue
            due = _timer_due(task, definition)
            if due is None:
                continue
            spec = task.task_spec
            found.append(
                WaitingTimer(
                    spiff_id=str(task.id),
                    bpmn_id=spec.bpmn_id or spec.name,
                    name=spec.bpmn_name,
                    kind=_event_kind(spec),
                    timer_type=timer_events.timer_type(definition),
                    interrupting=bool(getattr(spec, "cancel_activity", True)),
                    due_at=due,
                )
            )
        return found

    def messages(self) -> list[WaitingMessage]:
        found = []
        for task in self.workflow.event_manager.tasks.values():
            definition = task.task_spec.event_definition
            if task.state == TaskState.WAITING and isinstance(definition, MessageEventDefinition):
                found.append(WaitingMessage(str(task.id), task.task_spec.bpmn_id, definition.name))
        root = str(self.workflow.task_tree.id)  # an event subprocess's start is no task yet: the instance's
        for bpmn_id, definition in event_subprocesses.triggers(self.workflow):
            if isinstance(definition, MessageEventDefinition):
                found.append(WaitingMessage(root, bpmn_id, definition.name))
        return found

    def send_message(self, name: str, payload: Mapping[str, Any] | None) -> None:
        definition = MessageEventDefinition(name)
        self.workflow.send_event(BpmnEvent(definition, {"payload": dict(payload or {}), "result_var": None}))

    def signals(self) -> list[signal_events.WaitingSignal]:
        return signal_events.waiting(self.workflow)

    def send_signal(self, name: str, payload: Mapping[str, Any] | None) -> int:
        """Deliver a broadcast signal; returns how many waiting events caught it."""
        return signal_events.deliver(self.workflow, name, payload)

    def thrown_signals(self) -> list[str]:
        """The signals this run threw since the last call, for the broadcast to other instances."""
        return signal_events.thrown(self.workflow)

    def cancelled_task_ids(self) -> set[str]:
        """Spiff ids of the tasks cancelled since the last save: a timer among them was cancelled, not fired."""
        trees = [self.workflow, *self.workflow.subprocesses.values()]
        return {str(t.id) for tree in trees for t in tree.tasks.values() if t.state == TaskState.CANCELLED}

    def finished_activity_ids(self) -> set[str]:
        """BPMN ids of activities and events finished since the last save (history is pruned at dump)."""
        trees = [self.workflow, *self.workflow.subprocesses.values()]
        return {
            t.task_spec.bpmn_id
            for tree in trees
            for t in tree.tasks.values()
            if t.state == TaskState.COMPLETED and t.task_spec.bpmn_id
        }


class _ServiceFailure(Exception):
    def __init__(self, incident: IncidentInfo) -> None:
        super().__init__(incident.message)
        self.incident = incident


def check_json_native(value: Any, path: str = "") -> None:
    """Task data must stay JSON: no dates, decimals or objects; no 'typename' key (breaks restore)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise ValueError(f"La clave {key!r} en '{path or 'datos'}' debe ser texto.")
            if key == "typename":
                raise ValueError(f"El nombre de dato 'typename' está reservado ({path or 'datos'}).")
            check_json_native(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            check_json_native(item, f"{path}[{index}]")
    elif not (value is None or isinstance(value, str | int | float | bool)):
        raise ValueError(
            f"El valor de '{path}' no es JSON ({type(value).__name__}); use texto ISO para fechas."
        )


def _human(task: Any) -> HumanTask:
    spec = task.task_spec
    return HumanTask(
        spiff_id=str(task.id),
        bpmn_id=spec.bpmn_id or spec.name,
        name=spec.bpmn_name or spec.bpmn_id,
        lane=spec.lane,
        documentation=getattr(spec, "documentation", None),
        extensions=getattr(spec, "extensions", {}) or {},
        process_id=task.workflow.spec.name,
    )


def _timer_due(task: Any, definition: Any) -> datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # a cycle: {'cycles': left, 'next': …}; 0 left means spent, not waiting
        value = value.get("next") if value.get("cycles") != 0 else None
    if not isinstance(value, str):
        return None
    try:
        return timer_events.parse_due(value)
    except ValueError:
        return None


def _event_kind(spec: Any) -> str:
    if isinstance(spec, BoundaryEvent):
        return "boundary"
    if isinstance(spec, StartEvent):
        return "start"
    return "intermediate"


def _task_incident(task: Any, kind: str, message: str) -> IncidentInfo:
    return IncidentInfo(str(task.id), task.task_spec.bpmn_id, kind, message)


def _incident_from(error: WorkflowException) -> IncidentInfo:
    task = getattr(error, "task", None)
    message = str(error)
    kind = "script" if "script" in type(error).__name__.lower() or task is not None else "engine"
    if task is not None:
        return _task_incident(task, kind, message)
    spec = getattr(error, "task_spec", None)
    return IncidentInfo(None, getattr(spec, "bpmn_id", None), kind, message)


def dumps_data(data: Mapping[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)
