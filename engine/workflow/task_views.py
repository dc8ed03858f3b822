"""The task page: task, allowed actions, documentation, form schema, current values and draft (read only)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.modeling.form_submission import defaults, options_for
from engine.runtime.workflow import TaskNotReady
from engine.store import definitions
from engine.store import tasks as task_rows
from engine.store.instances import load_instance
from engine.store.tables import Task
from engine.store.uow import UnitOfWork
from engine.workflow.records import TaskPage, TaskRecord
from engine.workflow.runs import load_run
from engine.workflow.task_forms import form_of
from engine.workflow.views import iso, task_dict


def _visible_task(session: Session, task_id: int, user: UserView) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    if not access.may_see_task(user, task.assignee, task.candidate_users, task.candidate_groups):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{user.username}' ni a sus dependencias.")
    return task


def task_page(ctx: Context, task_id: int, user: UserView | str) -> TaskPage:
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        acting = acting_user(session, user)
        task = _visible_task(session, task_id, acting)
        page: TaskPage = {
            "task": task_dict(task),
            "can": access.allowed_task_actions(
                acting, task.state, task.assignee, task.candidate_users, task.candidate_groups
            ),
            "documentation": None,
            "form": None,
            "values": {},
            "options": {},
            "data": {},
            "draft": None,
            "draft_saved_at": None,
            "process_name": definitions.latest_name(session, task.process_key) or task.process_key,
        }
        if task.state != "ready":
            return page
        ref = load_instance(session, task.instance_id)
        if ref is None:
            raise NotFound(f"No existe el proceso de la tarea {task_id}.")
        run = load_run(ctx, session, ref)
        human = next((h for h in run.human_tasks() if h.spiff_id == task.spiff_id), None)
        try:
            current = run.task_data(task.spiff_id)
        except TaskNotReady:
            return page
        if human is not None:
            ctx.task_extensions[(ref.definition_id, task.bpmn_id)] = dict(human.extensions)
        schema = form_of(session, task.name, dict(human.extensions)) if human is not None else None
        draft = task_rows.load_draft(session, task_id, acting.username)
        if draft is not None:
            page["draft"], page["draft_saved_at"] = draft[0], iso(draft[1])
    page["documentation"] = human.documentation if human is not None else None
    page["data"] = current
    if schema is not None:
        page["form"] = schema.to_dict()
        page["values"] = defaults(schema, current)
        page["options"] = {
            f.key: [{"value": o.value, "label": o.label} for o in found]
            for f in schema.inputs
            if f.options_key and (found := options_for(f, current)) is not None
        }
    return page


def task_for(ctx: Context, task_id: int, user: UserView | str) -> TaskRecord:
    """The task row as the CLI and the API print it, if the user may see it."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return task_dict(_visible_task(uow.session, task_id, acting_user(uow.session, user)))
