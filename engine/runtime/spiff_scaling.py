"""Starting wide and long models in time linear in their size (issue 15 §3), applied once on import of the runtime.

SpiffWorkflow 3.2 walks the whole task tree at every step, so running a model costs O(n²) in its size:
- after every completed task, `update_waiting_tasks` walks the tree for WAITING tasks;
- every round of `do_engine_steps` walks it for READY tasks (a chain of script tasks: one round per task);
- a parallel join, at each arriving branch, lists every task of its spec by a tree walk and checks each for
  ancestry (`is_descendant_of`, by recursion), then scans every task for other waiting copies.
- the walk itself (`TaskIterator`) pops the front of its list and prepends children by copying it: O(width) per
  task visited, so one walk of a 3,333-branch split copies ~3,333 × 16,000 references.
A 3,333-branch split had not started after 300 s; a 5,000-task chain took minutes.

Here each (sub)workflow keeps the ids of its tasks that were set WAITING or READY (checked when read, so a
stale id is only dropped); when at most one task is found, it is the one the walk would have found, so it is
updated or run without walking. With several, the stock walk runs, in its depth-first order. A parallel join
that is on no cycle of its process keeps the inputs that have arrived, and checks them (one valid arrival per
input) only when all have: the stock check's answer, in O(1) per arrival. A join on a cycle keeps the stock check
(its iterations need the ancestry tests). The depth-first walk keeps its list reversed (a stack): the same
tasks in the same order and depths, O(1) per task.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.bpmn.specs.mixins.parallel_gateway import ParallelGateway
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskIterator, TaskState
from SpiffWorkflow.workflow import Workflow

_WAITING_INDEX = "_phva_waiting"
_READY_INDEX = "_phva_ready"
_JOINS = "_phva_joins"
_ON_CYCLE = "_phva_on_cycle"
_WAITING = TaskState.WAITING
_READY = TaskState.READY
_COMPLETED = TaskState.COMPLETED

# Counters of the work done, for tests that check growth with the model's size (not timings).
stats = {"walks": 0, "join_checks": 0, "join_confirmations": 0}


def reset_stats() -> None:
    for key in stats:
        stats[key] = 0


# ---- which tasks are WAITING or READY, without a walk --------------------------------------


def _index(workflow: Any, name: str, state: int) -> dict[Any, None]:
    index: dict[Any, None] | None = workflow.__dict__.get(name)
    if index is None:  # first use on this workflow object (a restored one included): one scan
        index = {t.id: None for t in workflow.tasks.values() if t._state == state}
        workflow.__dict__[name] = index
    return index


def _current(workflow: Any, name: str, state: int) -> list[Any]:
    index = _index(workflow, name, state)
    tasks = workflow.tasks
    found = []
    for task_id in list(index):
        task = tasks.get(task_id)
        if task is None or task._state != state:
            del index[task_id]
        else:
            found.append(task)
    return found


def _note(task: Any, value: int) -> None:
    if value == _WAITING:
        index = task.workflow.__dict__.get(_WAITING_INDEX)
    elif value == _READY:
        index = task.workflow.__dict__.get(_READY_INDEX)
    else:
        return
    if index is not None:
        index[task.id] = None


_stock_set_state = Task._set_state
_stock_task_init = Task.__init__


def _set_state(self: Any, value: int) -> None:
    _stock_set_state(self, value)
    _note(self, value)


def _task_init(self: Any, *args: Any, **kwargs: Any) -> None:
    _stock_task_init(self, *args, **kwargs)
    _note(self, self._state)  # a multi-instance adds its children WAITING


_stock_update_waiting = Workflow.update_waiting_tasks


def _update_waiting_tasks(self: Any) -> None:
    waiting = _current(self, _WAITING_INDEX, _WAITING)
    if not waiting:
        return
    if len(waiting) > 1:
        stats["walks"] += 1
        _stock_update_waiting(self)
        return
    task = waiting[0]
    task.task_spec._update(task)
    if any(t is not task for t in _current(self, _WAITING_INDEX, _WAITING)):
        stats["walks"] += 1  # updating it made others wait: the walk would have met them too
        _stock_update_waiting(self)


def _ready_automatic(workflow: Any) -> list[Any]:
    """What the stock step runs: READY tasks that are not manual, depth first."""
    ready = [t for t in _current(workflow, _READY_INDEX, _READY) if not t.task_spec.manual]
    if len(ready) <= 1:
        return ready
    stats["walks"] += 1
    return [t for t in workflow.get_tasks(state=_READY) if not t.task_spec.manual]


_stock_engine_steps = BpmnWorkflow._do_engine_steps


def _do_engine_steps(self: Any, will_complete_task: Any = None, did_complete_task: Any = None) -> bool:
    if self.subprocesses:  # the stock walk also finds the READY tasks of subprocesses
        stats["walks"] += 1
        result: bool = _stock_engine_steps(self, will_complete_task, did_complete_task)
        return result
    count = 0
    for task in _ready_automatic(self):
        if will_complete_task is not None:
            will_complete_task(task)
        task.run()
        count += 1
        if did_complete_task is not None:
            did_complete_task(task)
    return count > 0 or len(self.get_active_subprocesses()) > 0


# ---- the depth-first walk as a stack ------------------------------------------------------------

_stock_next = TaskIterator._next
_stock_bpmn_next = BpmnTaskIterator._next


def _next(self: Any) -> Any:
    if not self.depth_first:
        return _stock_next(self)
    if not self.task_list:
        raise StopIteration()
    task = self.task_list.pop()  # the list is reversed: the next task is at its end
    if (
        task._children
        and task.state >= self.min_state
        and self.depth < self.max_depth
        and task.task_spec.name != self.end_at_spec
    ):
        self.task_list.extend(reversed(task.children))
        self.depth += 1
    elif self.task_list:
        self._handle_leaf_depth(task)
    return task


def _bpmn_next(self: Any) -> Any:
    if not self.depth_first:
        return _stock_bpmn_next(self)
    if not self.task_list:
        raise StopIteration()
    task = self.task_list.pop()
    subprocess = task.workflow.top_workflow.subprocesses.get(task.id)
    if (
        (task._children or subprocess is not None)
        and (task.state >= self.min_state or subprocess is not None)
        and self.depth < self.max_depth
        and task.task_spec.name != self.end_at_spec
    ):
        # do not descend into a completed subprocess to look for unfinished tasks
        if (
            subprocess is None
            or self.skip_subprocesses
            or (task.state >= TaskState.FINISHED_MASK and self.task_filter.state <= TaskState.FINISHED_MASK)
        ):
            self.task_list.extend(reversed(task.children))
        else:
            self.task_list.extend(reversed([subprocess.task_tree, *task.children]))
        self.depth += 1
    elif self.task_list:
        self._handle_leaf_depth(task)
    return task


def _handle_leaf_depth(self: Any, task: Any) -> None:
    ancestor = self.task_list[-1].parent  # only a depth-first walk comes here: its next task is at the end
    current = task.parent
    while current is not None and current != ancestor:
        current = current.parent
        self.depth -= 1


# ---- a parallel join in O(1) per arriving branch ----------------------------------------------


@dataclass
class _JoinState:
    inputs: frozenset[str]
    arrived: dict[str, dict[Any, None]] = field(default_factory=dict)  # input → join tasks it reached
    waiting: dict[Any, None] = field(default_factory=dict)  # join tasks this check set WAITING


def _on_cycle(spec: Any) -> bool:
    cached: bool | None = spec.__dict__.get(_ON_CYCLE)
    if cached is None:
        seen: set[int] = set()
        pending = list(spec.outputs)
        cached = False
        while pending:
            current = pending.pop()
            if current is spec:
                cached = True
                break
            if id(current) not in seen:
                seen.add(id(current))
                pending.extend(current.outputs)
        spec.__dict__[_ON_CYCLE] = cached
    return cached


def _join_state(workflow: Any, spec: Any) -> _JoinState:
    joins: dict[str, _JoinState] = workflow.__dict__.setdefault(_JOINS, {})
    state = joins.get(spec.name)
    if state is None:  # first check of this join on this workflow object: one scan of its tasks
        state = _JoinState(frozenset(s.name for s in spec.inputs))
        for task in workflow.tasks.values():
            if task.task_spec == spec:
                _arrive(state, task)
                if task._state == _WAITING:
                    state.waiting[task.id] = None
        joins[spec.name] = state
    return state


def _arrive(state: _JoinState, task: Any) -> None:
    parent = task.parent
    if parent is not None and parent._state == _COMPLETED and parent.task_spec.name in state.inputs:
        state.arrived.setdefault(parent.task_spec.name, {})[task.id] = None


def _all_arrived(workflow: Any, spec: Any, state: _JoinState) -> bool:
    """Every input still has a join task whose completed parent is that input (a reset may have undone one)."""
    stats["join_confirmations"] += 1
    tasks = workflow.tasks
    for name in list(state.arrived):
        reached = state.arrived[name]
        for task_id in list(reached):
            task = tasks.get(task_id)
            parent = task.parent if task is not None else None
            if (
                parent is not None
                and task.task_spec == spec
                and parent._state == _COMPLETED
                and parent.task_spec.name == name
            ):
                break
            del reached[task_id]
        if not reached:
            del state.arrived[name]
    return len(state.arrived) == len(state.inputs)


_stock_join_hook = ParallelGateway._update_hook


def _parallel_join_hook(self: Any, my_task: Any) -> bool:
    if _on_cycle(self):
        stats["walks"] += 1
        result: bool = _stock_join_hook(self, my_task)
        return result
    stats["join_checks"] += 1
    workflow = my_task.workflow
    state = _join_state(workflow, self)
    _arrive(state, my_task)
    may_fire = len(state.arrived) == len(state.inputs) and _all_arrived(workflow, self, state)
    for task_id in list(state.waiting):  # only the newest copy waits, as in the stock join
        if task_id == my_task.id:
            continue
        del state.waiting[task_id]
        other = workflow.tasks.get(task_id)
        if other is not None and other.task_spec == self and other._state == _WAITING:
            other.cancel()
    if not may_fire:
        my_task._set_state(_WAITING)
        state.waiting[my_task.id] = None
    else:
        my_task._inherit_data()
    return may_fire


_PATCHED = (
    (TaskIterator, "_next"), (BpmnTaskIterator, "_next"), (TaskIterator, "_handle_leaf_depth"), (Task, "_set_state"),
    (Task, "__init__"), (Workflow, "update_waiting_tasks"), (BpmnWorkflow, "_do_engine_steps"),
    (ParallelGateway, "_update_hook"),
)  # fmt: skip
_INHERITED = object()  # the class had no method of its own by that name: it used its base's
_STOCK = {(owner, name): vars(owner).get(name, _INHERITED) for owner, name in _PATCHED}


def _put(owner: type, name: str, method: Any) -> None:
    if method is _INHERITED:
        if name in vars(owner):
            delattr(owner, name)
    else:
        setattr(owner, name, method)


@contextmanager
def stock() -> Iterator[None]:
    """SpiffWorkflow as shipped, for the benchmarks' "raw SpiffWorkflow" side (nothing else may run meanwhile)."""
    ours = {(owner, name): vars(owner).get(name, _INHERITED) for owner, name in _PATCHED}
    for (owner, name), method in _STOCK.items():
        _put(owner, name, method)
    try:
        yield
    finally:
        for (owner, name), method in ours.items():
            _put(owner, name, method)


def install() -> None:
    """Once, on import of the runtime (engine.runtime)."""
    TaskIterator._next = _next  # type: ignore[method-assign]
    BpmnTaskIterator._next = _bpmn_next  # type: ignore[method-assign]
    TaskIterator._handle_leaf_depth = _handle_leaf_depth  # type: ignore[method-assign]
    Task._set_state = _set_state  # type: ignore[method-assign]
    Task.__init__ = _task_init  # type: ignore[method-assign]
    Workflow.update_waiting_tasks = _update_waiting_tasks  # type: ignore[method-assign]
    BpmnWorkflow._do_engine_steps = _do_engine_steps  # type: ignore[method-assign]
    ParallelGateway._update_hook = _parallel_join_hook  # type: ignore[method-assign]
