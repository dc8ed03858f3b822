"""Process-wide adjustments to SpiffWorkflow, applied once on import of the runtime.

- Timers read the time through our clock (a context variable), so tests move a clock and the
  scheduler decides what "now" is; SpiffWorkflow calls datetime.now() inside its timer module.
- Naive timer dates mean the entity's local time (America/Bogota by default), not the server's.
- The task iterator's depth limit of 1000 silently hides deeper tasks (a loop stalls after ~333
  iterations with no error): raise it.
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
from SpiffWorkflow.util.task import TaskIterator

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


spiff_timer.datetime = ClockedDatetime  # type: ignore[misc]
set_local_timezone("America/Bogota")
_raise_depth_limit(TaskIterator)
_raise_depth_limit(BpmnTaskIterator)
