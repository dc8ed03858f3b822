"""Signals as Camunda 7 broadcasts them, over SpiffWorkflow's signal events.

SpiffWorkflow delivers a thrown signal only inside the instance that threw it. In Camunda a signal is
a broadcast by name (SignalEventTest, SignalEventTests): every waiting signal catch, boundary and
event-subprocess start event of every instance, and a new instance of every latest process version with
a signal start event. Here the instance keeps doing its own delivery; what it threw is recorded on the
workflow (not serialized) for the use case to broadcast to the others after the save. A signal carries
no variables from the thrower (Camunda's default without `camunda:in`); one sent by the API carries its
`data`, set on the receiving instances as Camunda's REST `variables` are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import SignalEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.runtime import event_subprocesses

_THROWN = "phva_thrown_signals"  # attribute of the top workflow: signal names thrown since the last drain


@dataclass(frozen=True)
class WaitingSignal:
    spiff_id: str
    bpmn_id: str
    signal_name: str


@dataclass(frozen=True)
class SignalStart:
    bpmn_id: str
    signal_name: str


_stock_throw = SignalEventDefinition.throw


def _throw(self: Any, my_task: Any) -> None:
    top = my_task.workflow.top_workflow
    top.__dict__.setdefault(_THROWN, []).append(self.name)
    _stock_throw(self, my_task)


SignalEventDefinition.throw = _throw


def thrown(workflow: Any) -> list[str]:
    """The signals the instance threw since the last call (each throw once, in order)."""
    names: list[str] = workflow.__dict__.pop(_THROWN, [])
    return names


def _signal_names(definition: Any) -> list[str]:
    if isinstance(definition, SignalEventDefinition):
        return [definition.name]
    if isinstance(definition, MultipleEventDefinition):  # an event-based gateway
        return [d.name for d in definition.event_definitions if isinstance(d, SignalEventDefinition)]
    return []


def waiting(workflow: Any) -> list[WaitingSignal]:
    found: list[WaitingSignal] = []
    for task in workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING:
            continue
        spec = task.task_spec
        found.extend(
            WaitingSignal(str(task.id), spec.bpmn_id or spec.name, name)
            for name in _signal_names(getattr(spec, "event_definition", None))
        )
    root = str(workflow.task_tree.id)  # an event subprocess's start is no task until the signal comes
    for bpmn_id, definition in event_subprocesses.triggers(workflow):
        found.extend(WaitingSignal(root, bpmn_id, name) for name in _signal_names(definition))
    return found


def deliver(workflow: Any, name: str, payload: Mapping[str, Any] | None) -> int:
    """Deliver signal `name` to what waits for it in this instance; returns how many caught it."""
    event = BpmnEvent(SignalEventDefinition(name), payload=dict(payload or {}))
    caught: int = workflow.event_manager.catch(event, internal=False)
    return caught


def signal_starts(spec: Any) -> list[SignalStart]:
    """The signal start events of a process (not of its event subprocesses)."""
    return [
        SignalStart(s.bpmn_id, s.event_definition.name)
        for s in spec.task_specs.values()
        if isinstance(s, StartEvent)
        and isinstance(getattr(s, "event_definition", None), SignalEventDefinition)
    ]


def start_by_signal(
    spec: Any, subprocess_specs: dict[str, Any], script_engine: Any, bpmn_id: str, payload: Mapping[str, Any]
) -> Any:
    """A new workflow started by its signal start event `bpmn_id`: the other start events are cancelled,
    as Camunda starts an instance by one start event."""
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    start_only(workflow, bpmn_id)
    workflow.do_engine_steps()
    name = spec.task_specs[_spec_name(spec, bpmn_id)].event_definition.name
    if payload:
        workflow.data.update(dict(payload))
    deliver(workflow, name, payload)
    return workflow


def start_only(workflow: Any, bpmn_id: str) -> None:
    """Leave only start event `bpmn_id` of the top process armed (SpiffWorkflow arms them all and a plain
    one would win at once); once one fires, SpiffWorkflow cancels the others itself."""
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if (
            isinstance(task.task_spec, StartEvent)
            and task.workflow is workflow
            and task.task_spec.bpmn_id != bpmn_id
        ):
            task.cancel()


def _spec_name(spec: Any, bpmn_id: str) -> str:
    return next(str(name) for name, s in spec.task_specs.items() if getattr(s, "bpmn_id", None) == bpmn_id)
