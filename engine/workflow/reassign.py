"""Reassignment of open tasks, one or in bulk, with a reason: audited, and the new holder notified.

Who may reassign what to whom is `engine.identity.access` (`may_reassign_task`, `reassign_target_refusal`);
the model's four-eyes rule still applies to the person who receives a task. A bulk reassignment is one
transaction: every task moves, or none does and the message names the task that was refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, Forbidden, NotFound, PhvaError
from engine.identity import access
from engine.identity.users import UserView
from engine.notifications import events
from engine.notifications.notify import notify
from engine.store import reassignment as store
from engine.store import tasks as task_rows
from engine.store import users as user_rows
from engine.store.audit import audit
from engine.store.instances import load_instance
from engine.store.tasks import TaskRow
from engine.store.uow import UnitOfWork
from engine.workflow import guards, task_listeners, views
from engine.workflow.escalation import escalates
from engine.workflow.records import TaskRecord
from engine.workflow.task_forms import extensions_of

ACTION = "reasignar"
MAX_REASON = 500
MAX_BULK = 500


def reassign_in(
    session: Session,
    ctx: Context,
    task_id: int,
    *,
    actor: UserView | None,
    to_user: str | None = None,
    to_group: str | None = None,
    reason: str,
) -> None:
    """Reassign one open task in the caller's transaction (no commit); `actor` None is the system."""
    why, user_name, group = _checked_request(reason, to_user, to_group)
    task = task_rows.load_task(session, task_id)
    if task is None:
        raise NotFound(f"No existe la tarea {task_id}.")
    if task.state != "ready":
        what = "completada" if task.state == "completed" else "cancelada"
        raise Conflict(f"La tarea {task_id} («{task.name}») ya fue {what}: no se puede reasignar.")
    supervision = ctx.settings.supervision_group
    if actor is not None and not _may_reassign(session, actor, task, supervision):
        raise Forbidden(
            f"No puede reasignar la tarea {task_id} («{task.name}»): es de "
            f"{_groups(task.candidate_groups)} y usted no la supervisa ni tiene su escalamiento."
        )
    target = _target_user(session, user_name) if user_name is not None else None
    if group is not None and not store.active_members(session, group):
        raise Conflict(f"La dependencia '{group}' no tiene usuarios activos: nadie podría atender la tarea.")
    refusal = access.reassign_target_refusal(
        actor, task.candidate_groups, to_group=group, to_user=target, supervision_group=supervision
    )
    if refusal is not None:
        raise Forbidden(refusal)
    new_assignee = target.username if target is not None else None
    if new_assignee == task.assignee and (group is None or [group] == list(task.candidate_groups)):
        who = f"'{new_assignee}'" if new_assignee else f"la dependencia '{group}'"
        raise Conflict(f"La tarea {task_id} («{task.name}») ya está con {who}.")
    ref = load_instance(session, task.instance_id)
    if ref is None:
        raise NotFound(f"No existe el proceso de la tarea {task_id}.")
    if target is not None:
        four_eyes = guards.four_eyes_refusal(session, target, ref.id, extensions_of(ctx, session, ref, task))
        if four_eyes is not None:
            raise Forbidden(f"No se puede asignar la tarea {task_id} a '{target.username}': {four_eyes}")
    if not store.route_task(session, task, assignee=new_assignee, group=group):
        raise Conflict("Otro usuario cambió esta tarea al mismo tiempo; vuelva a intentarlo.")
    task_listeners.assigned(ctx, session, task, new_assignee)  # Camunda's `assignment` task listeners
    groups_after = [group] if group is not None else list(task.candidate_groups)
    holder = new_assignee or f"la dependencia {group}"
    audit(session, ctx, instance_id=task.instance_id, task_id=task.id, action=ACTION,
          actor=actor.username if actor is not None else None,
          summary=f"Reasignó '{task.name}' a {holder}. Motivo: {why}",
          before={"responsable": task.assignee, "dependencias": list(task.candidate_groups)},
          after={"responsable": new_assignee, "dependencias": groups_after, "motivo": why})  # fmt: skip
    _notify(session, ctx, task, ref.business_key, actor, new_assignee, group, why)


def reassign_tasks(
    ctx: Context,
    actor: UserView,
    task_ids: Sequence[int],
    *,
    to_user: str | None = None,
    to_group: str | None = None,
    reason: str,
) -> list[TaskRecord]:
    """Reassign every task or none (one transaction); returns the tasks as they now are."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise BadInput("Elija al menos una tarea para reasignar.", {"tareas": "Elija al menos una tarea."})
    if len(ids) > MAX_BULK:
        raise BadInput(f"Reasigne como máximo {MAX_BULK} tareas a la vez.", {"tareas": "Demasiadas tareas."})
    with UnitOfWork(ctx.db) as uow:
        for task_id in ids:
            try:
                reassign_in(uow.session, ctx, task_id, actor=actor, to_user=to_user, to_group=to_group,
                            reason=reason)  # fmt: skip
            except PhvaError as refused:
                if len(ids) == 1:
                    raise
                raise type(refused)(
                    f"No se reasignó ninguna de las {len(ids)} tareas. {refused.message}", refused.details
                ) from refused
        found = [views.get_task(uow.session, task_id) for task_id in ids]
        uow.commit()
    return [task for task in found if task is not None]


def reassignable(ctx: Context, actor: UserView, task_ids: Sequence[int]) -> list[TaskRecord]:
    """The open tasks as the reassignment form shows them, if the actor may reassign every one."""
    with UnitOfWork(ctx.db, write=False) as uow:
        found = []
        for task_id in dict.fromkeys(task_ids):
            task = task_rows.load_task(uow.session, task_id)
            if task is None or task.state != "ready":
                raise NotFound(f"No existe la tarea abierta {task_id}.")
            if not _may_reassign(uow.session, actor, task, ctx.settings.supervision_group):
                raise Forbidden(f"No puede reasignar la tarea {task_id} («{task.name}»).")
            record = views.get_task(uow.session, task_id)
            assert record is not None
            found.append(record)
        return found


def _checked_request(
    reason: str, to_user: str | None, to_group: str | None
) -> tuple[str, str | None, str | None]:
    why = " ".join((reason or "").split())
    if not why:
        raise BadInput("Escriba el motivo de la reasignación.", {"motivo": "El motivo es obligatorio."})
    if len(why) > MAX_REASON:
        raise BadInput(
            f"El motivo admite hasta {MAX_REASON} caracteres.", {"motivo": f"Máximo {MAX_REASON} caracteres."}
        )
    user_name = (to_user or "").strip().lower() or None
    group = (to_group or "").strip() or None
    if user_name is None and group is None:
        message = "Indique a qué persona o a qué dependencia pasa la tarea."
        raise BadInput(message, {"usuario": message})
    return why, user_name, group


def _may_reassign(session: Session, actor: UserView, task: TaskRow, supervision_group: str) -> bool:
    def rule(escalation: bool) -> bool:
        return access.may_reassign_task(
            actor, task.assignee, task.candidate_users, task.candidate_groups,
            supervision_group=supervision_group, escalates=escalation,
        )  # fmt: skip

    return rule(False) or rule(escalates(session, actor, task.instance_id, task.bpmn_id))


def _target_user(session: Session, username: str) -> UserView:
    row = user_rows.user_named(session, username)
    if row is None:
        raise BadInput(f"No existe el usuario '{username}'.", {"usuario": "Usuario desconocido."})
    target = UserView(row.id, row.username, row.display_name, row.email, row.roles, row.groups, row.active)
    if not target.active:
        raise Conflict(f"El usuario '{username}' está inactivo: no puede recibir tareas.")
    return target


def _groups(groups: Sequence[str]) -> str:
    return ", ".join(f"'{g}'" for g in groups) if groups else "ninguna dependencia"


def _notify(
    session: Session,
    ctx: Context,
    task: TaskRow,
    radicado: str | None,
    actor: UserView | None,
    assignee: str | None,
    group: str | None,
    reason: str,
) -> None:
    by = actor.display_name if actor is not None else "El sistema"
    about = f" de la PQRSD {radicado}" if radicado else ""
    body = f"{by} le pasó la tarea «{task.name}»{about}. Motivo: {reason}"
    link, iid, tid = f"/tareas/{task.id}", task.instance_id, task.id
    if assignee is not None:
        notify(session, ctx, event=events.TASK_ASSIGNED, subject=f"Tarea asignada: {task.name}", body=body,
               link=link, users=[assignee], instance_id=iid, task_id=tid)  # fmt: skip
    elif group is not None:
        notify(session, ctx, event=events.GROUP_TASK, subject=f"Tarea para su dependencia: {task.name}",
               body=body, link=link, groups=[group], instance_id=iid, task_id=tid)  # fmt: skip
