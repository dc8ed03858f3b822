"""Timer behaviour SpiffWorkflow gets wrong or leaves to the application.

- Event-based gateways keep every timer's due time in one `event_value` slot, so the first timer
  evaluated sets the due time of all of them (upstream #419): the later branch can win, or both fire.
  Here each timer of a gateway keeps its own due time and only the earliest due one is taken.
- Timer start events of a deployed process: their schedule is read without an instance, and a new
  instance's start event is triggered at once when the scheduler starts it.
- Catch-up: a cycle that missed several occurrences while everything was stopped fires once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.defaults import EventBasedGateway, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.util.task import TaskState

from engine.clock import Clock
from engine.runtime import spiff_patches

GATEWAY_DUE = "phva_timer_due"  # internal_data key: {index of the gateway's event: due time (ISO)}
_FIRED_LONG_AGO = "2000-01-01T00:00:00+00:00"


@dataclass(frozen=True)
class GatewayTimer:
    bpmn_id: str
    name: str | None
    timer_type: str
    due_at: datetime


@dataclass(frozen=True)
class StartTimer:
    bpmn_id: str
    name: str | None
    timer_type: str
    due_at: datetime
    cycles: int | None  # cycles only: repetitions left including this one, -1 = forever
    period_seconds: float | None


def timer_type(definition: Any) -> str:
    if isinstance(definition, CycleTimerEventDefinition):
        return "cycle"
    if isinstance(definition, DurationTimerEventDefinition):
        return "duration"
    return "date"


def parse_due(value: str) -> datetime:
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=spiff_timer.LOCALTZ)  # set by spiff_patches
    return parsed.astimezone(UTC)


# ---- event-based gateways -------------------------------------------------------------------
_stock_has_fired = MultipleEventDefinition.has_fired


def _gateway_has_fired(self: Any, my_task: Any) -> bool:
    if self.parallel or not isinstance(my_task.task_spec, EventBasedGateway):
        return bool(_stock_has_fired(self, my_task))
    if my_task.internal_data.get("seen_events"):
        return True  # a message already won the race
    dues: dict[str, str] = my_task.internal_data.setdefault(GATEWAY_DUE, {})
    fired: list[tuple[datetime, int]] = []
    for index, definition in enumerate(self.event_definitions):
        if not isinstance(definition, TimerEventDefinition) or isinstance(
            definition, CycleTimerEventDefinition
        ):
            continue
        # Give each timer its own slot for SpiffWorkflow's single `event_value`.
        my_task.internal_data.pop("event_fired", None)
        my_task.internal_data.pop("event_value", None)
        if str(index) in dues:
            my_task.internal_data["event_value"] = dues[str(index)]
        if definition.has_fired(my_task):
            fired.append((parse_due(_as_iso(my_task.internal_data["event_value"])), index))
        dues[str(index)] = my_task.internal_data.get("event_value")
    my_task.internal_data.pop("event_fired", None)
    my_task.internal_data.pop("event_value", None)
    if not fired:
        return False
    _, first = min(fired)  # Camunda takes one branch only: the timer that came due first
    my_task.internal_data["seen_events"] = [BpmnEvent(self.event_definitions[first])]
    return True


def _as_iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, datetime) else str(value)


MultipleEventDefinition.has_fired = _gateway_has_fired


def gateway_timers(task: Any) -> list[GatewayTimer]:
    """The waiting timers of an event-based gateway task, each with its own due time."""
    spec = task.task_spec
    if not isinstance(spec, EventBasedGateway) or task.state != TaskState.WAITING:
        return []
    dues = task.internal_data.get(GATEWAY_DUE, {})
    found = []
    for index, definition in enumerate(spec.event_definition.event_definitions):
        value = dues.get(str(index))
        if not isinstance(definition, TimerEventDefinition) or not isinstance(value, str):
            continue
        target = spec.outputs[index]
        found.append(
            GatewayTimer(
                target.bpmn_id or target.name, target.bpmn_name, timer_type(definition), parse_due(value)
            )
        )
    return found


# ---- timer start events ---------------------------------------------------------------------
def start_timers(
    spec: Any, subprocess_specs: dict[str, Any], script_engine: Any, clock: Clock
) -> list[StartTimer]:
    """The timer start events of a process and when they first come due, counted from `clock`."""
    if not any(
        isinstance(s, StartEvent) and isinstance(getattr(s, "event_definition", None), TimerEventDefinition)
        for s in spec.task_specs.values()
    ):
        return []  # most processes: no need to run anything
    workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=script_engine)
    with spiff_patches.using_clock(clock):
        workflow.do_engine_steps()
    found = []
    for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY | TaskState.COMPLETED):
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(task.task_spec, StartEvent) or not isinstance(definition, TimerEventDefinition):
            continue  # a date already past has fired in the probe: its row comes due at once
        value = task.internal_data.get("event_value")
        name, kind = task.task_spec.bpmn_name, timer_type(definition)
        bpmn_id = task.task_spec.bpmn_id
        if isinstance(value, dict):
            found.append(
                StartTimer(
                    bpmn_id,
                    name,
                    kind,
                    parse_due(value["next"]),
                    int(value["cycles"]),
                    float(value["duration"]),
                )
            )
        elif isinstance(value, str):
            found.append(StartTimer(bpmn_id, name, kind, parse_due(value), None, None))
    return found


def trigger_start_event(workflow: Any, bpmn_id: str, clock: Clock) -> None:
    """Make a new instance's timer start event fire now, once (the schedule lives in our timer row)."""
    with spiff_patches.using_clock(clock):
        workflow.do_engine_steps()
    for task in workflow.get_tasks(state=TaskState.WAITING | TaskState.READY | TaskState.COMPLETED):
        if task.task_spec.bpmn_id != bpmn_id:
            continue
        if task.state != TaskState.WAITING:
            return  # its date has passed already: it fired on the engine steps above
        if isinstance(task.task_spec.event_definition, CycleTimerEventDefinition):
            task.internal_data["event_value"] = {"cycles": 1, "next": _FIRED_LONG_AGO, "duration": 0.0}
        else:
            task.internal_data["event_value"] = _FIRED_LONG_AGO
        return
    raise LookupError(f"El evento de inicio '{bpmn_id}' no está esperando su temporizador.")


def next_cycle(
    due: datetime, cycles: int, period_seconds: float, now: datetime
) -> tuple[datetime, int] | None:
    """After a start cycle fired at `due`: the next occurrence after `now` and the repetitions left."""
    left = cycles - 1 if cycles > 0 else -1
    if left == 0 or period_seconds <= 0:
        return None
    period = timedelta(seconds=period_seconds)
    skipped = max(0, int((now - due) / period))  # occurrences missed while stopped fire once, not again
    if left > 0:
        left -= skipped
        if left <= 0:
            return None
    return due + period * (skipped + 1), left


# ---- catch-up -------------------------------------------------------------------------------
def coalesce_missed_cycles(workflow: Any, now: datetime) -> int:
    """Move overdue cycle timers to their latest missed occurrence so they fire once; returns how many."""
    moved = 0
    for task in workflow.event_manager.tasks.values():
        value = task.internal_data.get("event_value")
        definition = getattr(task.task_spec, "event_definition", None)
        if not isinstance(definition, CycleTimerEventDefinition) or not isinstance(value, dict):
            continue
        if value.get("cycles") == 0 or not value.get("duration"):
            continue
        period = timedelta(seconds=float(value["duration"]))
        due = parse_due(value["next"])
        skipped = int((now - due) / period) if now > due else 0
        if value["cycles"] > 0:
            skipped = min(skipped, value["cycles"] - 1)
        if skipped > 0:
            value["next"] = (due + period * skipped).isoformat()
            if value["cycles"] > 0:
                value["cycles"] -= skipped
            moved += 1
    return moved
