"""Compensation as Camunda 7 runs it (CompensateEventTest, CompensationUtil), for what deploy accepts
(engine.modeling.compensation).

- Each completed instance of an activity that has a compensation handler is a subscription of its scope
  (the process, or the embedded subprocess it ran in); a multi-instance activity gives one per completed
  instance, and only once the whole activity has completed. An activity not completed has none.
- A compensation throw or end event takes its scope's subscriptions (only `activityRef`'s when it names
  one) and starts their handlers, latest completion first, all at once as Camunda does: user-task
  handlers are READY tasks like any other; script and service handlers run one after another, each
  seeing what the earlier ones set. The event waits until every handler has completed (Camunda 7 always
  does, whatever `waitForCompletion` says), then goes on with the handlers' variables. A subscription is
  used once: a second throw does not compensate the same instance again.
- Instance state is compacted when saved (engine.runtime.compaction drops finished tasks), so `remember`
  keeps the subscriptions in the top workflow's data before each save.
"""

from __future__ import annotations

import copy
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn.specs.mixins.events.event_types import ThrowingEvent
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.util.task import TaskState

from engine.modeling.compensation import HANDLER, THROW

SUBSCRIPTIONS = "_phva_compensation"  # top workflow data: the subscriptions saved past compaction
USED = "phva_compensated"  # internal_data of an activity instance whose subscription was used
STATE = "phva_compensating"  # internal_data of a throw: {"pending": [...], "started": [...], "merged": [...]}


def _extensions(spec: Any) -> dict[str, Any]:
    extensions = getattr(spec, "extensions", None)
    return extensions if isinstance(extensions, dict) else {}


def _uses_compensation(workflow: Any) -> bool:
    """Whether any process this instance runs has compensation (remembered on each cached spec)."""
    specs = [
        workflow.spec,
        *workflow.subprocess_specs.values(),
        *(s.spec for s in workflow.subprocesses.values()),
    ]
    return any(_spec_uses(spec) for spec in specs)


def _spec_uses(spec: Any) -> bool:
    found = spec.__dict__.get("_phva_compensation")
    if found is None:
        found = any(HANDLER in _extensions(t) or THROW in _extensions(t) for t in spec.task_specs.values())
        spec._phva_compensation = found
    return bool(found)


def _scope_key(workflow: Any) -> str:
    return "" if workflow is workflow.top_workflow else str(workflow.parent_task_id)


def _live(workflow: Any) -> list[dict[str, Any]]:
    """The subscriptions of the completed activity instances still in the task trees."""
    found = []
    for scope in [workflow, *workflow.subprocesses.values()]:
        for task in scope.tasks.values():
            handler = _extensions(task.task_spec).get(HANDLER)
            if handler is None or task.state != TaskState.COMPLETED:
                continue
            if isinstance(task.task_spec, LoopTask):
                instances = [c for c in task.task_spec._instances(task) if c.state == TaskState.COMPLETED]
            elif task.parent is not None and isinstance(task.parent.task_spec, LoopTask):
                continue  # an instance of a multi-instance: counted with it, once it has completed
            else:
                instances = [task]
            for instance in instances:
                if not instance.internal_data.get(USED):
                    found.append(_subscription(scope, task, instance, handler))
    return found


def _subscription(scope: Any, task: Any, instance: Any, handler: str) -> dict[str, Any]:
    return {
        "id": str(instance.id),
        "scope": _scope_key(scope),
        "activity": task.task_spec.bpmn_id,
        "handler": handler,
        "at": instance.last_state_change,
    }


def _all(workflow: Any) -> list[dict[str, Any]]:
    kept = {s["id"]: s for s in workflow.data.get(SUBSCRIPTIONS, [])}
    for subscription in _live(workflow):
        kept.setdefault(subscription["id"], subscription)
    return list(kept.values())


def remember(workflow: Any) -> None:
    """Keep the unused subscriptions of live scopes in the top workflow's data (call before compacting)."""
    if not _uses_compensation(workflow):
        return
    scopes = {""} | {str(k) for k, sub in workflow.subprocesses.items() if not sub.completed}
    subscriptions = [s for s in _all(workflow) if s["scope"] in scopes]
    if subscriptions:
        workflow.data[SUBSCRIPTIONS] = subscriptions
    else:
        workflow.data.pop(SUBSCRIPTIONS, None)


def _take(my_task: Any, activity_ref: str | None) -> list[str]:
    """The handlers to run for a throw, latest completion first; their subscriptions are used up."""
    top, scope = my_task.workflow.top_workflow, _scope_key(my_task.workflow)
    everything = _all(top)
    chosen = [
        s
        for s in everything
        if s["scope"] == scope and (activity_ref is None or s["activity"] == activity_ref)
    ]
    chosen.sort(key=lambda s: s["at"], reverse=True)
    used = {s["id"] for s in chosen}
    for subscription in chosen:
        instance = _find(top, UUID(subscription["id"]))
        if instance is not None:  # else compacted away: its saved subscription goes below
            instance.internal_data[USED] = True
    rest = [s for s in top.data.get(SUBSCRIPTIONS, []) if s["id"] not in used]
    if rest:
        top.data[SUBSCRIPTIONS] = rest
    else:
        top.data.pop(SUBSCRIPTIONS, None)
    return [s["handler"] for s in chosen]


def _find(top: Any, task_id: UUID) -> Any:
    for scope in [top, *top.subprocesses.values()]:
        if task_id in scope.tasks:
            return scope.tasks[task_id]
    return None


# ---- the throw event ------------------------------------------------------------------------------
def _throw_update(self: Any, my_task: Any) -> Any:
    throw = _extensions(self).get(THROW)
    if throw is None:
        return super(ThrowingEvent, self)._update_hook(my_task)
    state = my_task.internal_data.get(STATE)
    if state is None:
        super(ThrowingEvent, self)._update_hook(my_task)  # the data it is reached with
        state = {"pending": _take(my_task, throw.get("activityRef")), "started": [], "merged": []}
        my_task.internal_data[STATE] = state
    if _step(my_task, state):
        return True
    my_task._set_state(TaskState.WAITING)
    return False


def _step(my_task: Any, state: dict[str, Any]) -> bool:
    """Start what can start; True once every handler has completed."""
    workflow = my_task.workflow
    started = [workflow.get_task_from_id(UUID(i)) for i in state["started"]]
    for handler in started:
        if (
            handler is not None
            and handler.state == TaskState.COMPLETED
            and str(handler.id) not in state["merged"]
        ):
            my_task.data.update(copy.deepcopy(handler.data))  # what the handler set goes on with the event
            state["merged"].append(str(handler.id))
    running = [h for h in started if h is not None and not h.has_state(TaskState.FINISHED_MASK)]
    while state["pending"] and not any(not h.task_spec.manual for h in running):
        spec = workflow.spec.task_specs.get(state["pending"].pop(0))
        if spec is None:
            continue  # a version the instance was migrated to no longer has this handler
        handler = my_task._add_child(spec, TaskState.FUTURE)
        handler.triggered = True
        state["started"].append(str(handler.id))
        spec._update(handler)  # takes the event's data as it stands now
        running.append(handler)
    return not state["pending"] and not running


ThrowingEvent._update_hook = _throw_update


def settle(workflow: Any) -> bool:
    """Let waiting compensation events see their handlers' progress; True when one moved on or started more."""
    if not _uses_compensation(workflow):
        return False
    changed = False
    for scope in [workflow, *workflow.subprocesses.values()]:
        for task in list(scope.tasks.values()):
            if task.state != TaskState.WAITING or THROW not in _extensions(task.task_spec):
                continue
            before = len(task.internal_data.get(STATE, {}).get("started", []))
            task.task_spec._update(task)
            after = len(task.internal_data.get(STATE, {}).get("started", []))
            changed = changed or task.state != TaskState.WAITING or after != before
    return changed
