"""Cron `timeCycle` timers (Quartz syntax, engine.modeling.cron) over SpiffWorkflow's cycle timers.

SpiffWorkflow's cycle keeps `{'cycles', 'next', 'duration'}` and adds the fixed duration after each
occurrence. A cron cycle keeps `{'cycles': -1, 'next', 'duration': 0, 'cron': expression}` and asks the
expression for the next occurrence after the one that fired (in the entity's time zone). Everything else
(boundary cycles fire on, intermediate ones once, start-event rows repeat) is the cycle's own behaviour.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn.specs.event_definitions.timer import CycleTimerEventDefinition

from engine.modeling.cron import looks_like_cron, next_fire

_stock_cycle_complete = CycleTimerEventDefinition.cycle_complete


def following(expression: str, after: datetime) -> datetime | None:
    """The cron occurrence after `after`, in the entity's time zone (spiff_patches sets it)."""
    return next_fire(expression, after, spiff_timer.LOCALTZ)


def _cycle_complete(self: Any, my_task: Any) -> bool:
    value = my_task._get_internal_data("event_value")
    if value is None:
        expression = my_task.workflow.script_engine.evaluate(my_task, self.expression)
        if not isinstance(expression, str) or not looks_like_cron(expression):
            return bool(_stock_cycle_complete(self, my_task))
        now = spiff_timer.datetime.now(UTC)
        first = following(expression, now)
        value = {"cycles": -1 if first else 0, "next": (first or now).isoformat(), "duration": 0.0,
                 "cron": expression}  # fmt: skip
    elif not isinstance(value, dict) or "cron" not in value:
        return bool(_stock_cycle_complete(self, my_task))
    ready = False
    if value["cycles"] != 0:
        due = datetime.fromisoformat(value["next"])
        now = spiff_timer.datetime.now(UTC)
        if due < now:  # as every timer here: due strictly before now
            upcoming = following(value["cron"], max(due, now))
            if upcoming is None:
                value["cycles"] = 0
            else:
                value["next"] = upcoming.isoformat()
            ready = True
    else:
        my_task.internal_data.pop("event_value", None)
        my_task.internal_data["event_fired"] = True
        return False
    my_task._set_internal_data(event_value=value)
    return ready


CycleTimerEventDefinition.cycle_complete = _cycle_complete
