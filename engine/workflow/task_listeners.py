"""Camunda's `assignment` task listeners, run when a task is claimed, assigned or reassigned.

The task's row changes in those use cases, not the running instance; when the task's element has an
assignment listener the instance is restored, the listener runs (its variables stay with the task) and
the instance is saved in the same transaction. Elements without one cost a cached look-up.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.context import Context
from engine.runtime import listeners
from engine.runtime.workflow import IncidentInfo
from engine.store.instances import load_instance
from engine.store.tasks import TaskRow
from engine.workflow.runs import load_run, save_run
from engine.workflow.task_forms import extensions_of


def assigned(ctx: Context, session: Session, task: TaskRow, assignee: str | None) -> None:
    if assignee is None:
        return
    ref = load_instance(session, task.instance_id)
    if ref is None or not listeners.has_task_listener(extensions_of(ctx, session, ref, task), "assignment"):
        return
    run = load_run(ctx, session, ref)
    failure = listeners.task_assigned(run.workflow, task.spiff_id, assignee, ctx.services.handlers.get)
    incident = IncidentInfo(task.spiff_id, task.bpmn_id, "listener", failure) if failure else None
    save_run(ctx, session, ref, run, incident=incident)
