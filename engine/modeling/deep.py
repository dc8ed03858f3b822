"""Run SpiffWorkflow's recursive graph walks on models of any length.

SpiffWorkflow parses (TaskParser.parse_node) and predicts (TaskSpec._predict) by recursing once or twice per
element along a path, so a 5,000-task chain hit Python's recursion limit (issue 15 §3). Rewriting those walks
would fork the library; instead a large model's walk runs in a thread with a stack sized for it, under a
recursion limit raised for that walk alone and put back afterwards. Small models run as before, inline.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

INLINE_DEPTH = 300  # elements a walk may reach inline: well inside the default limit of 1,000 frames
_FRAMES_PER_ELEMENT = 8
_STACK_BYTES_PER_FRAME = 1024
_lock = threading.Lock()


def run_deep(step: Callable[[], T], elements: int) -> T:
    """`step()` with room for a walk `elements` long."""
    if elements <= INLINE_DEPTH:
        return step()
    frames = elements * _FRAMES_PER_ELEMENT + sys.getrecursionlimit()
    result: list[T] = []
    failure: list[BaseException] = []

    def work() -> None:
        try:
            result.append(step())
        except BaseException as exc:  # re-raised in the caller's thread
            failure.append(exc)

    _enter(frames)
    try:
        size = min(max(frames * _STACK_BYTES_PER_FRAME, 32 << 20), 1 << 30)
        with _lock:  # stack_size is process-wide: set it only for the thread started here
            previous = threading.stack_size(size)
            try:
                thread = threading.Thread(target=work, name="phva-deep-walk", daemon=True)
                thread.start()
            finally:
                threading.stack_size(previous)
        thread.join()
    finally:
        _leave(frames)
    if failure:
        raise failure[0]
    return result[0]


_base_limit = sys.getrecursionlimit()
_limits: list[int] = []


def _enter(frames: int) -> None:
    with _lock:
        _limits.append(frames)
        sys.setrecursionlimit(max(_base_limit, *_limits))


def _leave(frames: int) -> None:
    with _lock:
        _limits.remove(frames)
        sys.setrecursionlimit(max(_base_limit, *_limits) if _limits else _base_limit)
