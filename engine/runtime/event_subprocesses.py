"""Event subprocesses as Camunda 7 runs them, over SpiffWorkflow's (MessageEventSubprocessTest,
EscalationEventSubprocessTest, ErrorEventSubProcessTest, StartTimerEventTest).

SpiffWorkflow starts a process's message, signal, error and escalation event subprocesses when the event
is caught, and its timer ones with the scope, but:
- nothing listed the first as waiting, so no message or signal reached them: `triggers` gives their start
  events for the message and signal subscriptions;
- an interrupting one left the rest of its scope running: here its start cancels everything else in the
  scope (`isInterrupting="false"` is kept on the start event's spec by engine.modeling.event_parsers);
- a timer one that had not fired kept the process open after its flow ended: `settle` cancels the idle
  event subprocesses of a scope whose flow is done, and the scope ends.
SpiffWorkflow looks for event-started ones at the process level only: inside an embedded subprocess only
timer ones are accepted at deploy (engine.modeling.events_check).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import EventSubprocess, StartEvent
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent as StartEventMixin
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.modeling.event_parsers import NON_INTERRUPTING


def triggers(workflow: Any) -> list[tuple[str, Any]]:
    """(start event id, event definition) of the process's event subprocesses started by an event."""
    if workflow.completed:
        return []
    found = []
    for name in workflow.spec.start.trigger_specs:
        spec = workflow.subprocess_specs.get(name)
        for start in spec.bpmn_start_events if spec is not None else []:
            found.append((start.bpmn_id or start.name, start.event_definition))
    return found


def interrupting(spec: Any) -> bool:
    return not str(getattr(spec, "description", "") or "").startswith(NON_INTERRUPTING)


def is_event_subprocess(task: Any) -> bool:
    """Started by an event (a trigger of its scope) or by a timer (a branch of its scope's start)."""
    start = task.workflow.spec.start
    return (
        isinstance(task.task_spec, EventSubprocess)
        or task.task_spec.name in start.trigger_specs
        or (
            task.parent is not None
            and task.parent.task_spec is start
            and not isinstance(task.task_spec, StartEvent)
        )
    )


# ---- interrupting starts ----------------------------------------------------------------------
_stock_start_run = StartEventMixin._run_hook


def _start_run(self: Any, my_task: Any) -> Any:
    result = _stock_start_run(self, my_task)
    workflow = my_task.workflow
    if workflow is workflow.top_workflow or not interrupting(self):
        return result
    host = workflow.top_workflow.get_task_from_id(workflow.parent_task_id)
    if host is None or not is_event_subprocess(host):
        return result
    scope = host.workflow
    keep = {host.id, *(t.id for t in _ancestors(host))}
    for task in scope.get_tasks(state=TaskState.NOT_FINISHED_MASK):
        if task.workflow is scope and task.id not in keep and not _under(task, host):
            task.cancel()  # Camunda: an interrupting event subprocess replaces the rest of its scope
    return result


def _ancestors(task: Any) -> list[Any]:
    found = []
    while task.parent is not None:
        task = task.parent
        found.append(task)
    return found


def _under(task: Any, root: Any) -> bool:
    return any(a.id == root.id for a in _ancestors(task))


StartEventMixin._run_hook = _start_run


# ---- idle event subprocesses when the scope's flow is done ------------------------------------
def settle(workflow: Any) -> bool:
    """Cancel the idle event subprocesses of every scope whose own flow has ended (Camunda ends the scope and
    its subscriptions); True when it did, so the caller runs the engine again."""
    changed = False
    for scope in [workflow, *workflow.subprocesses.values()]:
        if scope.completed:
            continue
        unfinished = [t for t in scope.get_tasks(state=TaskState.NOT_FINISHED_MASK) if t.workflow is scope]
        joins = [t for t in unfinished if isinstance(t.task_spec, _EndJoin) and t.state == TaskState.WAITING]
        idle = [t for t in unfinished if is_event_subprocess(t) and _idle(workflow, t)]
        if not joins or not idle:
            continue
        covered = {t.id for root in idle + joins for t in TaskIterator(root)}
        if any(t.id not in covered for t in unfinished):
            continue  # the scope's flow is still running somewhere
        for task in idle:
            task.cancel()
        for join in joins:
            join.task_spec._update(join)
        changed = True
    return changed


def _idle(workflow: Any, task: Any) -> bool:
    """An event subprocess whose start event still waits (a timer not yet fired), or not yet entered."""
    if task.state != TaskState.STARTED:
        return True
    sub = workflow.subprocesses.get(task.id)
    if sub is None:
        return True
    return any(
        isinstance(t.task_spec, StartEvent) and t.state == TaskState.WAITING
        for t in sub.get_tasks(state=TaskState.NOT_FINISHED_MASK)
        if t.workflow is sub
    )
