"""Human task use cases: claim, unclaim, assign, complete — authorized here, not in templates."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict, Forbidden, IncidentRaised, NotFound, ValidationFailed
from engine.modeling.forms import FormSchema, schema_from_form_data, validate_submission
from engine.runtime.workflow import TaskNotReady
from engine.services.context import Context
from engine.services.instances import check_data, load_run
from engine.services.persistence import audit, data_changes, load_instance, save_run
from engine.services.users import UserView, user_in_session
from engine.store.tables import FormDefinition, Task, TaskCandidate
from engine.store.uow import UnitOfWork

# Built once: statement construction dominates a completion's cost when done per call.
_T, _C = cast(Table, Task.__table__), cast(Table, TaskCandidate.__table__)
_SELECT_TASK = select(
    _T.c.id, _T.c.instance_id, _T.c.spiff_id, _T.c.bpmn_id, _T.c.name, _T.c.state, _T.c.assignee
).where(_T.c.id == bindparam("task_id"))
_SELECT_CANDIDATES = select(_C.c.kind, _C.c.value).where(_C.c.task_id == bindparam("task_id"))
_COMPLETE_TASK = (
    update(_T)
    .where(_T.c.id == bindparam("task_id"), _T.c.state == "ready")
    .values(
        state="completed",
        completed_at=bindparam("now"),
        completed_by=bindparam("user"),
        assignee=bindparam("new_assignee"),
    )
)


def candidates_of(session: Session, task_id: int) -> tuple[set[str], set[str]]:
    users: set[str] = set()
    groups: set[str] = set()
    for kind, value in session.connection().execute(_SELECT_CANDIDATES, {"task_id": task_id}):
        (users if kind == "user" else groups).add(value)
    return users, groups


def may_see(user: UserView, task: Any, cand_users: set[str], cand_groups: set[str]) -> bool:
    if user.is_admin or task.assignee == user.username or user.username in cand_users:
        return True
    if set(user.groups) & cand_groups:
        return True
    # Tasks nobody was named for are the supervisors' to route.
    return user.has_role("supervisor") and not (task.assignee or cand_users or cand_groups)


def may_supervise(user: UserView, task: Any, cand_groups: set[str], cand_users: set[str]) -> bool:
    if user.is_admin:
        return True
    if not user.has_role("supervisor"):
        return False
    return bool(set(user.groups) & cand_groups) or not (cand_groups or cand_users or task.assignee)


def _open_task(session: Session, task_id: int) -> Any:
    task = session.connection().execute(_SELECT_TASK, {"task_id": task_id}).one_or_none()
    if task is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    if task.state != "ready":
        what = "completada" if task.state == "completed" else "cancelada"
        raise Conflict(f"La tarea {task_id} ya fue {what}.")
    return task


def _checked(
    ctx: Context, session: Session, task_id: int, username: str
) -> tuple[Any, UserView, set[str], set[str]]:
    user = user_in_session(session, username)
    task = _open_task(session, task_id)
    cand_users, cand_groups = candidates_of(session, task_id)
    if not may_see(user, task, cand_users, cand_groups):
        raise Forbidden(f"La tarea {task_id} no está asignada a '{user.username}' ni a sus dependencias.")
    return task, user, cand_users, cand_groups


def claim_task(ctx: Context, task_id: int, username: str) -> None:
    with UnitOfWork(ctx.db) as uow:
        task, user, _, _ = _checked(ctx, uow.session, task_id, username)
        if task.assignee and task.assignee != user.username:
            raise Conflict(f"La tarea {task_id} ya la reclamó '{task.assignee}'.")
        _set_assignee(
            ctx,
            uow.session,
            task,
            user.username,
            claimed=True,
            actor=user.username,
            action="task_claimed",
            summary=f"Reclamó '{task.name}'",
        )
        uow.commit()


def unclaim_task(ctx: Context, task_id: int, username: str) -> None:
    with UnitOfWork(ctx.db) as uow:
        task, user, cand_users, cand_groups = _checked(ctx, uow.session, task_id, username)
        if task.assignee != user.username and not may_supervise(user, task, cand_groups, cand_users):
            raise Forbidden(f"Solo quien tiene la tarea {task_id} o un supervisor puede liberarla.")
        _set_assignee(
            ctx,
            uow.session,
            task,
            None,
            claimed=False,
            actor=user.username,
            action="task_unclaimed",
            summary=f"Liberó '{task.name}'",
        )
        uow.commit()


def assign_task(ctx: Context, task_id: int, username: str, assignee: str) -> None:
    with UnitOfWork(ctx.db) as uow:
        task, user, cand_users, cand_groups = _checked(ctx, uow.session, task_id, username)
        if not may_supervise(user, task, cand_groups, cand_users):
            raise Forbidden("Solo un supervisor de la dependencia o un administrador puede asignar tareas.")
        target = user_in_session(uow.session, assignee)
        _set_assignee(
            ctx,
            uow.session,
            task,
            target.username,
            claimed=False,
            actor=user.username,
            action="task_assigned",
            summary=f"Asignó '{task.name}' a {target.username}",
        )
        uow.commit()


def _set_assignee(
    ctx: Context,
    session: Session,
    task: Any,
    assignee: str | None,
    *,
    claimed: bool,
    actor: str,
    action: str,
    summary: str,
) -> None:
    """Change who holds a ready task, only if nobody changed it meanwhile, and audit it."""
    now = ctx.clock.now()
    result = cast(
        CursorResult[Any],
        session.execute(
            update(Task)
            .where(
                Task.id == task.id,
                Task.state == "ready",
                Task.assignee.is_(None) if task.assignee is None else Task.assignee == task.assignee,
            )
            .values(
                assignee=assignee,
                claimed_at=now if claimed else None,
                claimed_by=assignee if claimed else None,
            )
        ),
    )
    if result.rowcount != 1:
        raise Conflict("Otro usuario cambió esta tarea al mismo tiempo; vuelva a intentarlo.")
    audit(
        session,
        ctx,
        instance_id=task.instance_id,
        task_id=task.id,
        action=action,
        actor=actor,
        summary=summary,
    )


def form_schema(session: Session, task: Any, extensions: dict[str, Any]) -> FormSchema | None:
    if extensions.get("formRef"):
        form_id = str(extensions["formRef"])
        query = select(FormDefinition.schema).where(FormDefinition.form_id == form_id)
        if extensions.get("formRefBinding") == "version" and extensions.get("formRefVersion"):
            query = query.where(FormDefinition.version == int(extensions["formRefVersion"]))
        schema = session.scalar(query.order_by(FormDefinition.version.desc()).limit(1))
        if schema is None:
            raise NotFound(f"El formulario '{form_id}' de la tarea '{task.name}' no está desplegado.")
        return FormSchema.from_dict(schema)
    if extensions.get("formData"):
        return schema_from_form_data(list(extensions["formData"]))
    return None


def complete_task(ctx: Context, task_id: int, username: str, data: Any = None) -> dict[str, Any]:
    """Validate against the task's form, complete, run the engine to the next wait, save — or change nothing."""
    submitted = check_data(data)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        task, user, cand_users, cand_groups = _checked(ctx, session, task_id, username)
        if (
            task.assignee
            and task.assignee != user.username
            and not may_supervise(user, task, cand_groups, cand_users)
        ):
            raise Forbidden(f"La tarea {task_id} la tiene '{task.assignee}'.")
        ref = load_instance(session, task.instance_id)
        if ref is None:
            raise NotFound(f"No existe el proceso de la tarea {task_id}.")
        run = load_run(ctx, session, ref)
        try:
            current = run.task_data(task.spiff_id)
        except TaskNotReady as error:
            raise Conflict(f"La tarea {task_id} ya no está lista en el proceso.") from error
        extensions = dict(next(h.extensions for h in run.human_tasks() if h.spiff_id == task.spiff_id))
        schema = form_schema(session, task, extensions)
        if schema is not None:
            clean, errors = validate_submission(schema, submitted, current)
            if errors:
                raise ValidationFailed("Revise los datos del formulario.", errors)
        else:
            clean = submitted
        before = run.complete(task.spiff_id, clean)
        now = ctx.clock.now()
        done = cast(
            CursorResult[Any],
            session.connection().execute(
                _COMPLETE_TASK,
                {
                    "task_id": task.id,
                    "now": now,
                    "user": user.username,
                    "new_assignee": task.assignee or user.username,
                },
            ),
        )
        if done.rowcount != 1:
            raise Conflict(f"La tarea {task_id} ya fue completada por otro usuario.")
        incident = run.advance(ctx.clock, ctx.services)
        status = save_run(ctx, session, ref, run, incident=incident)
        old, new = data_changes(before, {**before, **clean})
        audit(
            session,
            ctx,
            instance_id=ref.id,
            task_id=task.id,
            action="task_completed",
            actor=user.username,
            summary=f"Completó '{task.name}'",
            before=old,
            after=new,
        )
        uow.commit()
    if incident is not None:
        raise IncidentRaised(
            f"La tarea se completó, pero el proceso quedó con un incidente en "
            f"'{incident.bpmn_id}': {incident.message}"
        )
    return {"task_id": task_id, "instance_id": ref.id, "status": status}
