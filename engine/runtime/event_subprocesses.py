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
- SpiffWorkflow looked for event-started ones at the process level only: an error or escalation thrown
  inside an embedded subprocess (or a called process) skipped that scope's event subprocesses, and a
  message or signal never reached them. `_catch` walks the thrower's scopes outwards as Camunda does (the
  scope's waiting events, then its event subprocesses, then the enclosing scope's boundary events…), and
  messages and signals also start the event subprocesses of every running embedded scope
  (ErrorEventSubProcessTest.testCatchErrorInEmbeddedSubProcess, MessageEventSubprocessTest
  .testNonInterruptingInEmbeddedSubprocess).
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.specs.control import _EndJoin
from SpiffWorkflow.bpmn.specs.defaults import EventSubprocess, StartEvent
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import CodeEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.start_event import StartEvent as StartEventMixin
from SpiffWorkflow.bpmn.util.event import EventManager
from SpiffWorkflow.util.task import TaskIterator, TaskState

from engine.modeling.event_parsers import NON_INTERRUPTING


def triggers(workflow: Any) -> list[tuple[str, Any]]:
    """(start event id, event definition) of the event subprocesses started by an event, of the process and
    of every running embedded scope."""
    if workflow.completed:
        return []
    found = []
    for scope in _running_scopes(workflow):
        for _, start in _trigger_starts(scope):
            found.append((start.bpmn_id or start.name, start.event_definition))
    return found


def _running_scopes(workflow: Any) -> list[Any]:
    return [workflow, *(s for s in workflow.subprocesses.values() if not s.completed)]


def _trigger_starts(scope: Any) -> list[tuple[str, Any]]:
    """(event subprocess spec name, start event spec) of the scope's event-started event subprocesses."""
    specs = scope.top_workflow.subprocess_specs
    found: list[tuple[str, Any]] = []
    for name in getattr(scope.spec.start, "trigger_specs", []):
        spec = specs.get(name)
        found.extend((name, start) for start in (spec.bpmn_start_events if spec is not None else []))
    return found


# ---- events caught in nested scopes -------------------------------------------------------------
_stock_catch = EventManager.catch
_stock_collaboration = EventManager.update_collaboration


def _catch(self: Any, event: Any, internal: bool = True) -> int:
    target = event.target
    if target is None or target.parent_workflow is None:
        return int(_stock_catch(self, event, internal))  # broadcast, or the process level: as SpiffWorkflow
    tasks = [
        t
        for t in self.tasks.values()
        if t.workflow is target and t.task_spec.event_definition.catches(t, event)
    ]
    if not tasks:  # no boundary or intermediate event of this scope: its event subprocesses, then outwards
        tasks = _start_matching(self, target, event)
    if not tasks:
        event.target = target.parent_workflow
        return int(self.catch(event, internal))
    for task in tasks:
        task.task_spec.catch(task, event)
        task.task_spec._update(task)
    return len(tasks)


def _collaboration(self: Any, event: Any) -> None:
    _stock_collaboration(self, event)  # the process level's event subprocesses
    if isinstance(event.event_definition, CodeEventDefinition):
        return  # an error or escalation went up its own scopes (`_catch`), never across to a sibling's
    for scope in list(self.workflow.subprocesses.values()):  # the ones running before this event
        if not scope.completed:
            _start_matching(self, scope, event)  # the start event then catches it with the others


def _start_matching(manager: Any, scope: Any, event: Any) -> list[Any]:
    """Start the scope's event subprocesses whose start event catches `event`; their waiting starts."""
    started = []
    for name, start in _trigger_starts(scope):
        if start.event_definition != event.event_definition:
            continue
        sub = _waiting_start(manager, scope, start) or _trigger(scope, name)
        started += [t for t in manager.tasks.values() if t.workflow is sub and t.task_spec is start]
    return started


def _waiting_start(manager: Any, scope: Any, start: Any) -> Any:
    for task in manager.tasks.values():
        if (
            task.task_spec is start
            and task.state == TaskState.WAITING
            and task.workflow.parent_workflow is scope
        ):
            return task.workflow
    return None


def _trigger(scope: Any, name: str) -> Any:
    child_id = scope.spec.start.trigger_wf(scope.task_tree, name)
    return scope.top_workflow.subprocesses.get(child_id)


EventManager.catch = _catch
EventManager.update_collaboration = _collaboration


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
