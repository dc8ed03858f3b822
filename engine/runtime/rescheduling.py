"""Moving a loaded instance's waiting timers when a legal due date changes (a closure was added or removed).

SpiffWorkflow evaluates a timer's expression once, when the timer starts waiting, and keeps the result in
`task.internal_data['event_value']`; changing that value is the only way to move the timer. The caller
saves the run afterwards (`save_run`), which keeps the timer rows in step.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.util.task import TaskState

from engine.runtime.timer_events import parse_due
from engine.runtime.workflow import ProcessRun

TOLERANCE_SECONDS = 1.0  # stored values are ISO text, sometimes without fractions of a second


def reschedule_timers(run: ProcessRun, old_due: datetime, new_due: datetime) -> list[str]:
    """Waiting timers due exactly at `old_due` now wait for `new_due`; returns their task ids."""
    moved: list[str] = []
    for task in run.workflow.event_manager.tasks.values():
        if task.state != TaskState.WAITING or not isinstance(
            task.task_spec.event_definition, TimerEventDefinition
        ):
            continue
        value = task.internal_data.get("event_value")
        if isinstance(value, dict) and _same(value.get("next"), old_due):  # a cycle's next occurrence
            value["next"] = new_due.isoformat()
        elif isinstance(value, str) and _same(value, old_due):
            task.internal_data["event_value"] = new_due.isoformat()
        else:
            continue
        moved.append(str(task.id))
    return moved


def replace_data_value(run: ProcessRun, name: str, old: Any, new: Any) -> int:
    """Set data `name` to `new` in every unfinished task (and the workflow) where it is still `old`."""
    changed = 0
    for holder in [run.workflow, *run.workflow.get_tasks(state=TaskState.NOT_FINISHED_MASK)]:
        if holder.data.get(name) == old:
            holder.data[name] = new
            changed += 1
    return changed


def _same(value: Any, moment: datetime) -> bool:
    if not isinstance(value, str):
        return False
    try:
        return abs((parse_due(value) - moment).total_seconds()) < TOLERANCE_SECONDS
    except ValueError:
        return False
