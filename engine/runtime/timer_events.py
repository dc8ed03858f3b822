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
from SpiffWorkflow.bpmn.specs.control import BoundaryEventJoin
from SpiffWorkflow.bpmn.specs.defaults import BoundaryEvent, EventBasedGateway, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import (
    CycleTimerEventDefinition,
    DurationTimerEventDefinition,
    TimerEventDefinition,
)
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.util.task import TaskState

from engine.clock import Clock
from engine.runtime import cron_timers, spiff_patches

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
    cron: str | None = None  # a cron cycle (engine.runtime.cron_timers): its expression, no period


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


# ---- non-interrupting cycle boundary timers ---------------------------------------------------
_stock_boundary_threshold = BoundaryEventJoin._check_threshold_structured


def _boundary_threshold(self: Any, my_task: Any) -> tuple[bool, list[Any]]:
    # SpiffWorkflow hangs the paths a cycle timer spawned under the timer's task, and cancels that task
    # when the host ends: the paths die with it. In Camunda they are siblings of the host and live on;
    # only the timer stops. So a spent cycle timer is closed without touching its children.
    finished, cancel = _stock_boundary_threshold(self, my_task)
    for task in [t for t in cancel if _is_cycle_boundary(t)]:
        my_task.workflow.top_workflow.event_manager.remove_task(task)
        task._set_state(TaskState.CANCELLED)
        cancel.remove(task)
    return finished, cancel


def _is_cycle_boundary(task: Any) -> bool:
    spec = task.task_spec
    return (
        isinstance(spec, BoundaryEvent)
        and not spec.cancel_activity
        and isinstance(spec.event_definition, CycleTimerEventDefinition)
    )


BoundaryEventJoin._check_threshold_structured = _boundary_threshold


# ---- intermediate cycle timers ----------------------------------------------------------------
_stock_cycle_has_fired = CycleTimerEventDefinition.has_fired
_stock_cycle_update = CycleTimerEventDefinition.update_task


def _fires_once(my_task: Any) -> bool:
    # Camunda fires an intermediate catch timer's cycle once and moves on (IntermediateTimerEventTest
    # .testTimeCycle); SpiffWorkflow spawns the outgoing path at every occurrence, forever.
    return not isinstance(my_task.task_spec, BoundaryEvent | StartEvent)


def _cycle_has_fired(self: Any, my_task: Any) -> bool:
    if not _fires_once(my_task):
        return bool(_stock_cycle_has_fired(self, my_task))
    if not my_task._get_internal_data("event_fired", False) and self.cycle_complete(my_task):
        my_task._set_internal_data(event_fired=True)
    return bool(my_task._get_internal_data("event_fired", False))


def _cycle_update(self: Any, my_task: Any) -> None:
    if not _fires_once(my_task):
        _stock_cycle_update(self, my_task)


def _catch_predict(self: Any, my_task: Any) -> None:
    if isinstance(self.event_definition, CycleTimerEventDefinition) and _fires_once(my_task):
        super(CatchingEvent, self)._predict_hook(my_task)  # its outgoing path, as for any other timer
    else:
        _stock_catch_predict(self, my_task)


_stock_catch_predict = CatchingEvent._predict_hook
CycleTimerEventDefinition.has_fired = _cycle_has_fired
CycleTimerEventDefinition.update_task = _cycle_update
CatchingEvent._predict_hook = _catch_predict


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
    _only_starts(workflow, lambda s: isinstance(s.event_definition, TimerEventDefinition))
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
                    value.get("cron"),
                )
            )
        elif isinstance(value, str):
            found.append(StartTimer(bpmn_id, name, kind, parse_due(value), None, None))
    return found


def trigger_start_event(workflow: Any, bpmn_id: str, clock: Clock) -> None:
    """Make a new instance's timer start event fire now, once (the schedule lives in our timer row)."""
    _only_starts(workflow, lambda s: s.bpmn_id == bpmn_id)
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


def _only_starts(workflow: Any, keep: Any) -> None:
    """Leave only the start events `keep` accepts: the others are other ways to start (Camunda starts an instance
    by one start event; SpiffWorkflow arms them all and a plain one would win at once)."""
    for task in workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if isinstance(task.task_spec, StartEvent) and not keep(task.task_spec):
            task.cancel()


def next_cycle(
    due: datetime, cycles: int, period_seconds: float, now: datetime, cron: str | None = None
) -> tuple[datetime, int] | None:
    """After a start cycle fired at `due`: the next occurrence after `now` and the repetitions left."""
    if cron:  # missed occurrences fire once, like the others
        upcoming = cron_timers.following(cron, max(due, now))
        return (upcoming.astimezone(UTC), -1) if upcoming is not None else None
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
