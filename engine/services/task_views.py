"""The task page: task, documentation, form schema, current values and draft — authorized here."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import delete, select

from engine.errors import BadInput, Forbidden, NotFound
from engine.modeling.forms import defaults, options_for
from engine.runtime.workflow import TaskNotReady
from engine.services import views
from engine.services.context import Context
from engine.services.instances import load_run
from engine.services.persistence import load_instance
from engine.services.tasks import candidates_of, form_schema, may_see, may_supervise
from engine.services.users import UserView, get_user
from engine.store.queries import iso, task_dict
from engine.store.tables import ProcessDefinition, Task
from engine.store.uow import UnitOfWork
from engine.store.web_tables import TaskDraft

MAX_DRAFT_CHARS = 100_000
# A task's extensions per definition version and element: versions never change once deployed.
_extensions: dict[tuple[str, int, str], dict[str, Any]] = {}


def _visible_task(session: Any, task_id: int, user: UserView) -> tuple[Task, set[str], set[str]]:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    cand_users, cand_groups = candidates_of(session, task_id)
    if not may_see(user, task, cand_users, cand_groups):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{user.username}' ni a sus dependencias.")
    return task, cand_users, cand_groups


def allowed_actions(
    user: UserView, task: Task, cand_users: set[str], cand_groups: set[str]
) -> dict[str, bool]:
    """What the page offers; the task services check the same rules again when asked."""
    ready = task.state == "ready"
    supervises = may_supervise(user, task, cand_groups, cand_users)
    return {
        "claim": ready and task.assignee is None,
        "unclaim": ready and task.assignee is not None and (task.assignee == user.username or supervises),
        "assign": ready and supervises,
        "complete": ready and task.assignee == user.username,
        "draft": ready and task.assignee in (None, user.username),
    }


def task_page(ctx: Context, task_id: int, username: str) -> dict[str, Any]:
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        task, cand_users, cand_groups = _visible_task(session, task_id, user)
        page: dict[str, Any] = {
            "task": task_dict(task),
            "can": allowed_actions(user, task, cand_users, cand_groups),
            "documentation": None,
            "form": None,
            "values": {},
            "options": {},
            "data": {},
            "draft": None,
            "draft_saved_at": None,
            "process_name": task.process_key,
        }
        page["process_name"] = (
            session.scalar(
                select(ProcessDefinition.name)
                .where(ProcessDefinition.key == task.process_key)
                .order_by(ProcessDefinition.version.desc())
                .limit(1)
            )
            or task.process_key
        )
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
            _extensions[(ctx.db.url, ref.definition_id, task.bpmn_id)] = dict(human.extensions)
        schema = form_schema(session, task, dict(human.extensions)) if human is not None else None
        draft = session.get(TaskDraft, (task_id, user.username))
        if draft is not None:
            page["draft"], page["draft_saved_at"] = dict(draft.values), iso(draft.saved_at)
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


def task_form(ctx: Context, task_id: int, username: str) -> dict[str, Any]:
    """Task, allowed actions and form schema without restoring the instance when the page was seen."""
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        task, cand_users, cand_groups = _visible_task(session, task_id, user)
        out: dict[str, Any] = {
            "task": task_dict(task),
            "form": None,
            "can": allowed_actions(user, task, cand_users, cand_groups),
        }
        ref = load_instance(session, task.instance_id) if task.state == "ready" else None
        if ref is None:
            return out
        extensions = _extensions.get((ctx.db.url, ref.definition_id, task.bpmn_id))
        if extensions is None:
            human = next(
                (h for h in load_run(ctx, session, ref).human_tasks() if h.spiff_id == task.spiff_id), None
            )
            extensions = dict(human.extensions) if human is not None else {}
            _extensions[(ctx.db.url, ref.definition_id, task.bpmn_id)] = extensions
        schema = form_schema(session, task, extensions)
        out["form"] = schema.to_dict() if schema is not None else None
        return out


def task_for(ctx: Context, task_id: int, username: str) -> dict[str, Any]:
    """The task row as the CLI prints it, if the user may see it."""
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        task, _, _ = _visible_task(uow.session, task_id, user)
        return task_dict(task)


def save_draft(ctx: Context, task_id: int, username: str, values: Mapping[str, Any]) -> None:
    if len(repr(values)) > MAX_DRAFT_CHARS:
        raise BadInput("El borrador es demasiado grande.")
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db) as uow:
        task, cand_users, cand_groups = _visible_task(uow.session, task_id, user)
        if not allowed_actions(user, task, cand_users, cand_groups)["draft"]:
            raise Forbidden(f"La tarea {task_id} la tiene '{task.assignee}'; no puede guardar un borrador.")
        uow.session.execute(
            delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.username == user.username)
        )
        uow.session.add(
            TaskDraft(task_id=task_id, username=user.username, values=dict(values), saved_at=ctx.clock.now())
        )
        uow.commit()


def discard_draft(ctx: Context, task_id: int, username: str) -> None:
    with UnitOfWork(ctx.db) as uow:
        uow.session.execute(
            delete(TaskDraft).where(TaskDraft.task_id == task_id, TaskDraft.username == username)
        )
        uow.commit()


def next_task_for(ctx: Context, instance_id: int, username: str) -> int | None:
    """After completing, the same instance's next task for this user: theirs first, else one they may take."""
    user = get_user(ctx, username)
    mine, _ = views.tasks(
        ctx, views.task_filter_for(user, instance_id=instance_id, assignee_me=True, limit=1)
    )
    if mine:
        return int(mine[0]["id"])
    open_to_me, _ = views.tasks(
        ctx, views.task_filter_for(user, instance_id=instance_id, candidate_me=True, limit=1)
    )
    return int(open_to_me[0]["id"]) if open_to_me else None
