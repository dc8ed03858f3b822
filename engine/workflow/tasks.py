"""Human task use cases: claim, unclaim, assign, complete and save a draft — one transaction each.

Who may do what is `engine.identity.access`; each use case checks it inside its own transaction.
`user` is the acting user: a `UserView` the caller already loaded (the web, once per request) or a
username, read here in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, Forbidden, IncidentRaised, NotFound, ValidationFailed
from engine.identity import access
from engine.identity.users import UserView, acting_user, user_from_row, user_in_session
from engine.modeling.form_submission import validate_submission
from engine.notifications import task_events
from engine.runtime.workflow import TaskNotReady
from engine.store import tasks as task_rows
from engine.store.audit import audit, data_changes
from engine.store.instances import InstanceRef, load_instance, load_task_change
from engine.store.tasks import TaskRow
from engine.store.uow import UnitOfWork
from engine.workflow import guards, task_listeners, views
from engine.workflow.instances import check_data
from engine.workflow.records import TaskRecord
from engine.workflow.runs import advance, load_run, save_run
from engine.workflow.task_forms import extensions_of, form_of

MAX_DRAFT_CHARS = 100_000
# What a form post becomes once its schema is known (the web reads HTML fields; None: no form).
FormReader = Callable[[dict[str, Any] | None], Mapping[str, Any]]


@dataclass(frozen=True)
class Completed:
    task_id: int
    task_name: str
    instance_id: int
    status: str
    next_task_id: int | None  # the same instance's next task for this user, if any

    def to_dict(self) -> dict[str, Any]:
        return {"task_id": self.task_id, "instance_id": self.instance_id, "status": self.status}


def _visible(
    session: Session, task_id: int, user: UserView | str, *, with_draft: bool = False
) -> tuple[TaskRow, UserView]:
    acting = acting_user(session, user)
    task = task_rows.load_task(session, task_id, acting.username if with_draft else None)
    if task is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    if not access.may_see_task(acting, task.assignee, task.candidate_users, task.candidate_groups):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{acting.username}' ni a sus dependencias.")
    return task, acting


def _checked(
    session: Session, task_id: int, user: UserView | str, *, with_draft: bool = False
) -> tuple[TaskRow, UserView]:
    """The task, if the user may see it and it is still open (who sees it learns its state, no one else)."""
    task, acting = _visible(session, task_id, user, with_draft=with_draft)
    if task.state != "ready":
        what = "completada" if task.state == "completed" else "cancelada"
        raise Conflict(f"La tarea {task_id} ya fue {what}.")
    return task, acting


def _for_change(
    session: Session, task_id: int, user: UserView | str
) -> tuple[TaskRow, UserView, InstanceRef]:
    """`_checked` with the task's instance, locked, and the user's draft: one statement (the user's row too
    when named rather than loaded)."""
    named = None if isinstance(user, UserView) else user.strip().lower()
    acting_name = user.username if isinstance(user, UserView) else named
    found = load_task_change(session, task_id, draft_of=acting_name, acting=named, lock=True)
    if isinstance(user, UserView):
        acting = user
    elif found is not None and found.user is not None and found.user.active:
        acting = user_from_row(found.user)
    else:
        acting = user_in_session(session, user)  # no such user: its message, as `_checked` gives
    if found is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    task = found.task
    if not access.may_see_task(acting, task.assignee, task.candidate_users, task.candidate_groups):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{acting.username}' ni a sus dependencias.")
    if task.state != "ready":
        what = "completada" if task.state == "completed" else "cancelada"
        raise Conflict(f"La tarea {task_id} ya fue {what}.")
    return task, acting, found.instance


def _supervises(user: UserView, task: TaskRow) -> bool:
    return access.may_supervise_task(user, task.assignee, task.candidate_users, task.candidate_groups)


def claim_task(ctx: Context, task_id: int, user: UserView | str) -> TaskRecord:
    """Returns the task as it now is."""
    with UnitOfWork(ctx.db) as uow:
        task, acting = _checked(uow.session, task_id, user)
        if not access.may_claim_task(acting, task.assignee):
            raise Conflict(f"La tarea {task_id} ya la reclamó '{task.assignee}'.")
        _refuse_four_eyes(ctx, uow.session, task, acting)  # who may not complete it must not hold it either
        _set_assignee(ctx, uow.session, task, acting.username, claimed=True, actor=acting.username,
                      action="task_claimed", summary=f"Reclamó '{task.name}'")  # fmt: skip
        return _commit_returning(uow, task_id)


def _refuse_four_eyes(ctx: Context, session: Session, task: TaskRow, user: UserView) -> None:
    ref = load_instance(session, task.instance_id)
    if ref is None:
        raise NotFound(f"No existe el proceso de la tarea {task.id}.")
    refusal = guards.four_eyes_refusal(session, user, ref.id, extensions_of(ctx, session, ref, task))
    if refusal is not None:
        raise Forbidden(refusal)


def unclaim_task(ctx: Context, task_id: int, user: UserView | str) -> TaskRecord:
    with UnitOfWork(ctx.db) as uow:
        task, acting = _checked(uow.session, task_id, user)
        if task.assignee != acting.username and not _supervises(acting, task):
            raise Forbidden(f"Solo quien tiene la tarea {task_id} o un supervisor puede liberarla.")
        _set_assignee(ctx, uow.session, task, None, claimed=False, actor=acting.username,
                      action="task_unclaimed", summary=f"Liberó '{task.name}'")  # fmt: skip
        return _commit_returning(uow, task_id)


def assign_task(ctx: Context, task_id: int, user: UserView | str, assignee: str) -> TaskRecord:
    with UnitOfWork(ctx.db) as uow:
        task, acting = _checked(uow.session, task_id, user)
        if not _supervises(acting, task):
            raise Forbidden("Solo un supervisor de la dependencia o un administrador puede asignar tareas.")
        target = user_in_session(uow.session, assignee)
        try:
            _refuse_four_eyes(ctx, uow.session, task, target)
        except Forbidden as refused:
            raise Forbidden(
                f"No se puede asignar la tarea a '{target.username}': {refused.message}"
            ) from refused
        _set_assignee(ctx, uow.session, task, target.username, claimed=False, actor=acting.username,
                      action="task_assigned", summary=f"Asignó '{task.name}' a {target.username}")  # fmt: skip
        task_events.task_assigned(uow.session, ctx, task_id=task.id, name=task.name, instance_id=task.instance_id,
                                  assignee=target.username, by=acting.username)  # fmt: skip
        return _commit_returning(uow, task_id)


def _commit_returning(uow: UnitOfWork, task_id: int) -> TaskRecord:
    found = views.get_task(uow.session, task_id)
    uow.commit()
    assert found is not None
    return found


def _set_assignee(
    ctx: Context,
    session: Session,
    task: TaskRow,
    assignee: str | None,
    *,
    claimed: bool,
    actor: str,
    action: str,
    summary: str,
) -> None:
    if not task_rows.set_assignee(session, task, assignee, claimed=claimed, now=ctx.clock.now()):
        raise Conflict("Otro usuario cambió esta tarea al mismo tiempo; vuelva a intentarlo.")
    audit(session, ctx, instance_id=task.instance_id, task_id=task.id, action=action, actor=actor,
          summary=summary)  # fmt: skip
    task_listeners.assigned(ctx, session, task, assignee)  # Camunda's `assignment` task listeners


def complete_task(
    ctx: Context,
    task_id: int,
    user: UserView | str,
    data: Any = None,
    *,
    read_form: FormReader | None = None,
    claimed_only: bool = False,
    find_next: bool = False,
    confirmed: bool = False,
) -> Completed:
    """Validate against the task's form, complete, run the engine to the next wait, save — or change nothing.

    In the same transaction the user's draft of the task is discarded and, with `find_next`, their next
    task of the instance looked up. `read_form` turns a form post into data once the schema is known;
    `claimed_only` (the web's rule) refuses a task the user has not claimed. The model's guards
    (`engine.workflow.guards`) apply first: four eyes refuses the user, and a choice that asks for
    confirmation is refused unless `confirmed`.
    """
    submitted = check_data(data, ctx.settings.data_limits) if read_form is None else None
    with UnitOfWork(ctx.db, pipelined=True) as uow:  # the instance row is locked by the first read
        session = uow.session
        task, acting, ref = _for_change(session, task_id, user)
        if not access.may_complete_task(acting, task.assignee, task.candidate_users, task.candidate_groups):
            raise Forbidden(f"La tarea {task_id} la tiene '{task.assignee}'.")
        run = load_run(ctx, session, ref)
        ref.open_tasks = {h.spiff_id for h in run.human_tasks()}  # the rows its last save left open
        extensions = extensions_of(ctx, session, ref, task, run)
        refusal = guards.four_eyes_refusal(session, acting, ref.id, extensions)
        if refusal is not None:  # before the claim rule: the drafter learns why, not "claim it first"
            raise Forbidden(refusal)
        if claimed_only and task.assignee != acting.username:
            raise Forbidden("Reclame la tarea antes de completarla.")
        try:
            current = run.task_data(task.spiff_id)
        except TaskNotReady as error:
            raise Conflict(f"La tarea {task_id} ya no está lista en el proceso.") from error
        schema = form_of(session, task.name, extensions)
        if read_form is not None:
            submitted = check_data(
                read_form(schema.to_dict() if schema is not None else None), ctx.settings.data_limits
            )
        assert submitted is not None
        clean, errors = (
            validate_submission(schema, submitted, current)
            if schema is not None
            else (submitted, guards.unlisted_variables(extensions, submitted))
        )
        asked = guards.question_for(extensions, {**current, **clean})
        if asked is not None and not confirmed:
            errors = {**errors, guards.CONFIRM_FIELD: "Confirme esta decisión para completar la tarea."}
        if errors:
            alone = list(errors) == [guards.CONFIRM_FIELD]
            message = (
                f"Esta decisión pide confirmación: {asked}"
                if alone
                else "Revise los datos del formulario."
                if schema is not None
                else f"Esta tarea no tiene formulario y no acepta esos datos: {', '.join(sorted(errors))}."
            )
            raise ValidationFailed(message, errors)
        before = run.complete(task.spiff_id, clean)
        if not task_rows.mark_completed(session, task, acting.username, ctx.clock.now(), locked=ref.locked):
            raise Conflict(f"La tarea {task_id} ya fue completada por otro usuario.")
        ref.open_tasks.discard(task.spiff_id)
        incident = advance(ctx, session, ref, run)
        status = save_run(ctx, session, ref, run, incident=incident)
        old, new = data_changes(before, {**before, **clean})
        audit(session, ctx, instance_id=ref.id, task_id=task.id, action="task_completed", actor=acting.username,
              summary=f"Completó '{task.name}'" + (f"; confirmó: {asked}" if asked else ""),
              before=old, after=new)  # fmt: skip
        if task.has_draft:
            task_rows.delete_draft(session, task_id, acting.username)
        following = (
            views.next_task_id(session, acting, ref.id) if find_next and status != "completed" else None
        )
        uow.commit()
    if incident is not None:
        raise IncidentRaised(
            f"La tarea se completó, pero el proceso quedó con un incidente en "
            f"'{incident.bpmn_id}': {incident.message}"
        )
    return Completed(task_id, task.name, ref.id, status, following)


def save_draft(
    ctx: Context, task_id: int, user: UserView | str, values: Mapping[str, Any] | FormReader
) -> None:
    """Keep what the user typed (as typed) to finish later; `values` may be a reader of a form post."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        task, acting = _visible(session, task_id, user)
        can = access.allowed_task_actions(
            acting, task.state, task.assignee, task.candidate_users, task.candidate_groups
        )
        if not can["draft"]:
            raise Forbidden(f"La tarea {task_id} la tiene '{task.assignee}'; no puede guardar un borrador.")
        if callable(values):
            ref = load_instance(session, task.instance_id)
            schema = form_of(session, task.name, extensions_of(ctx, session, ref, task)) if ref else None
            values = values(schema.to_dict() if schema is not None else None)
        if len(repr(values)) > MAX_DRAFT_CHARS:
            raise BadInput("El borrador es demasiado grande.")
        task_rows.store_draft(session, task_id, acting.username, values, ctx.clock.now())
        uow.commit()
