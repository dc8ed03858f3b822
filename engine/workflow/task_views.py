"""The task page: task, allowed actions, documentation, form schema, current values and draft (read only).

Beside them, what the model's guards ask (`guards`: four eyes, a confirmation, a callout) and the process
data as people read it: labelled by the process's deployed forms, without the variables no form labels.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypedDict

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.modeling.form_schema import FormField, FormSchema
from engine.modeling.form_submission import defaults, options_for
from engine.runtime.workflow import HumanTask, ProcessRun, TaskNotReady
from engine.store import definitions
from engine.store import tasks as task_rows
from engine.store.instances import load_instance
from engine.store.tables import FormDefinition, ProcessDefinition, Task
from engine.store.uow import UnitOfWork
from engine.workflow import guards
from engine.workflow.escalation import escalates
from engine.workflow.records import TaskPage, TaskRecord
from engine.workflow.runs import load_run
from engine.workflow.task_forms import form_of
from engine.workflow.views import iso, task_dict


class ShownValue(TypedDict):
    key: str
    label: str  # the form label
    type: str  # the form field type (boolean, date, datetime, select…), for display
    value: Any  # choices as their option labels


class TaskPageView(TaskPage):
    refusal: str | None  # why this user may not complete the task (four eyes), in Spanish
    confirmation: dict[str, Any] | None  # guards.Confirmation.to_dict(): the question a choice asks
    callout: list[ShownValue]  # `phva:mostrar`: what the model puts at the top of the task
    fields: list[ShownValue]  # "Datos del trámite": labelled, internal variables left out


def _visible_task(session: Session, task_id: int, user: UserView) -> Task:
    task = session.get(Task, task_id)
    if task is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    if not access.may_see_task(user, task.assignee, task.candidate_users, task.candidate_groups) and not (
        task.state == "ready" and escalates(session, user, task.instance_id, task.bpmn_id)
    ):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{user.username}' ni a sus dependencias.")
    return task


def task_page(ctx: Context, task_id: int, user: UserView | str) -> TaskPageView:
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        acting = acting_user(session, user)
        task = _visible_task(session, task_id, acting)
        page: TaskPageView = {
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
            "refusal": None,
            "confirmation": None,
            "callout": [],
            "fields": [],
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
        extensions = dict(human.extensions) if human is not None else {}
        if human is not None:
            ctx.task_extensions[(ref.definition_id, task.bpmn_id)] = extensions
        schema = form_of(session, task.name, extensions) if human is not None else None
        draft = task_rows.load_draft(session, task_id, acting.username)
        if draft is not None:
            page["draft"], page["draft_saved_at"] = draft[0], iso(draft[1])
        page["refusal"] = guards.four_eyes_refusal(session, acting, ref.id, extensions)
        labels = form_labels(_process_forms(session, ref.definition_id, first=schema))
    page["can"] = access.guarded_task_actions(page["can"], page["refusal"])
    rule = guards.confirmation(extensions)
    page["confirmation"] = rule.to_dict() if rule is not None else None
    shown = guards.shown_variables(extensions)
    page["callout"] = labelled(current, labels, only=shown)
    in_form = {f.key for f in schema.inputs} if schema is not None else set()
    page["fields"] = [v for v in labelled(current, labels) if v["key"] not in in_form | set(shown)]
    page["documentation"] = _documentation(run, human)
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


def _process_forms(session: Session, definition_id: int, *, first: FormSchema | None) -> list[FormSchema]:
    """The task's own form, then the latest deployed version of every form the process refers to."""
    refs = session.scalar(select(ProcessDefinition.form_refs).where(ProcessDefinition.id == definition_id))
    forms = [first] if first is not None else []
    if not refs:
        return forms
    latest = (
        select(FormDefinition.form_id, func.max(FormDefinition.version).label("version"))
        .where(FormDefinition.form_id.in_(list(refs)))
        .group_by(FormDefinition.form_id)
        .subquery()
    )
    rows = session.execute(
        select(FormDefinition.schema)
        .join(
            latest,
            and_(latest.c.form_id == FormDefinition.form_id, latest.c.version == FormDefinition.version),
        )
        .order_by(FormDefinition.form_id)
    )
    return forms + [FormSchema.from_dict(schema) for (schema,) in rows]


def form_labels(forms: Iterable[FormSchema]) -> dict[str, FormField]:
    """Each data key's input, from the first form that labels it."""
    found: dict[str, FormField] = {}
    for schema in forms:
        for f in schema.inputs:
            if f.label:
                found.setdefault(f.key, f)
    return found


def labelled(
    data: Mapping[str, Any], labels: Mapping[str, FormField], *, only: Sequence[str] | None = None
) -> list[ShownValue]:
    """The data a form labels (in data order, or `only`'s), empty values left out; choices as their labels."""
    keys = list(only) if only is not None else list(data)
    out: list[ShownValue] = []
    for key in keys:
        value = data.get(key)
        if value is None or value == "" or value == [] or value == {}:
            continue
        f = labels.get(key)
        if f is None and only is None:
            continue  # internal: no form ever asks for it
        out.append(
            {
                "key": key,
                "label": f.label if f is not None else key,
                "type": f.type if f is not None else "string",
                "value": _choice_labels(f, value) if f is not None else value,
            }
        )
    return out


def _choice_labels(f: FormField, value: Any) -> Any:
    names = {guards.as_text(o.value): o.label for o in f.options}
    if not names:
        return value
    if isinstance(value, list):
        return [names.get(guards.as_text(v), v) for v in value]
    return names.get(guards.as_text(value), value)


def task_for(ctx: Context, task_id: int, user: UserView | str) -> TaskRecord:
    """The task row as the CLI and the API print it, if the user may see it."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return task_dict(_visible_task(uow.session, task_id, acting_user(uow.session, user)))


def _documentation(run: ProcessRun, human: HumanTask | None) -> str | None:
    """The task's documentation, its ${…} resolved now (Camunda Modeler users write them there too)."""
    if human is None:
        return None
    source = (human.extensions.get("expr") or {}).get("documentation")
    if not source:
        return human.documentation
    try:
        return str(run.evaluate(human.spiff_id, source))
    except Exception:  # a missing variable must not hide the task page: show the text as written
        return human.documentation
