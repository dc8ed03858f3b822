"""Process-wide adjustments to SpiffWorkflow, applied once on import of the runtime.

- Timers read the time through our clock (a context variable), so tests move a clock and the
  scheduler decides what "now" is; SpiffWorkflow calls datetime.now() inside its timer module.
- Naive timer dates mean the entity's local time (America/Bogota by default), not the server's.
- The task iterator's depth limit of 1000 silently hides deeper tasks (a loop stalls after ~333
  iterations with no error): raise it.
- TaskSpec._predict walks the future of a task by recursion, copying the path at every step: a 5,000-task
  chain overflowed the stack and a long one cost O(n²). The same walk, in the same order, with a stack.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.specs.base import TaskSpec
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.clock import Clock, SystemClock

TASK_ITERATOR_MAX_DEPTH = 1_000_000

_SYSTEM_CLOCK = SystemClock()
_clock: ContextVar[Clock | None] = ContextVar("phva_clock", default=None)


class ClockedDatetime(datetime):
    @classmethod
    def now(cls, tz: tzinfo | None = None) -> Any:
        now = (_clock.get() or _SYSTEM_CLOCK).now()
        return now.astimezone(tz) if tz is not None else now.astimezone().replace(tzinfo=None)


@contextmanager
def using_clock(clock: Clock) -> Iterator[None]:
    token = _clock.set(clock)
    try:
        yield
    finally:
        _clock.reset(token)


def set_local_timezone(name: str) -> None:
    spiff_timer.LOCALTZ = ZoneInfo(name)


def _raise_depth_limit(cls: type) -> None:
    init: Any = vars(cls)["__init__"]
    defaults = list(init.__defaults__)
    names = init.__code__.co_varnames[1 : init.__code__.co_argcount]
    offset = len(names) - len(defaults)
    defaults[names.index("max_depth") - offset] = TASK_ITERATOR_MAX_DEPTH
    init.__defaults__ = tuple(defaults)


def _predict(
    self: Any, my_task: Any, seen: Any = None, looked_ahead: int = 0, mask: int = TaskState.PREDICTED_MASK
) -> None:
    # The stock walk's `child not in seen` compares a Task with TaskSpecs, so it never holds; the path it
    # copies is not kept. Children are visited depth first in their order, each checked when reached.
    pending: list[tuple[Any, Any, int]] = [(my_task, self, looked_ahead)]
    while pending:
        task, spec, ahead = pending.pop()
        if spec is not self and not task.has_state(mask):
            continue
        if task.has_state(mask):
            spec._predict_hook(task)
        if not (task.has_state(TaskState.DEFINITE_MASK) or ahead + 1 < spec.lookahead):
            continue
        pending.extend((child, child.task_spec, ahead + 1) for child in reversed(task.children))


spiff_timer.datetime = ClockedDatetime  # type: ignore[misc]
TaskSpec._predict = _predict
set_local_timezone("America/Bogota")
_raise_depth_limit(TaskIterator)
_raise_depth_limit(BpmnTaskIterator)
