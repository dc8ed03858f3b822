"""What a ladder step does, in the firing's transaction: notify someone (event «escalamiento»), or reassign.

Who is who, from the task row and the users table:
- responsable: the assignee; an unassigned task's candidate users and groups;
- supervisor: active users with role `supervisor` in one of the task's dependencias (its candidate groups, or
  the assignee's groups when it has none); when that dependencia has none, the supervisors of the supervision
  dependencia (PHVA_SUPERVISION_GROUP);
- jefe: the supervisors of the supervision dependencia, who watch the whole entity;
- `avisar(grupo)` / `reasignar(grupo)`: that dependencia's active members / that dependencia.
`reasignar_supervisor` gives the task to the dependencia's supervisor with the fewest open tasks.
A step that finds nobody raises (the firing is retried, then an incident says why).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Conflict
from engine.legal.explanation import fecha_larga
from engine.modeling.ladder import When
from engine.notifications import events
from engine.notifications.notify import notify
from engine.store import ladders as store
from engine.store import users as user_rows
from engine.store.ladders import DueStep
from engine.workflow.reassign import reassign_in

SUPERVISOR = "supervisor"


class NobodyToEscalate(Conflict):
    """The step has no one to reach (no supervisor, an empty dependencia): its incident says which."""


def apply(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    """Do the step's action; returns what it did, for the audit."""
    return _EFFECTS[step.action](ctx, session, step, when)


# ---- who ---------------------------------------------------------------------------------------
def _dependencias(session: Session, step: DueStep) -> tuple[str, ...]:
    if step.candidate_groups or step.assignee is None:
        return step.candidate_groups
    holder = user_rows.user_named(session, step.assignee)
    return holder.groups if holder is not None else ()


def _supervisors(session: Session, groups: Sequence[str]) -> list[str]:
    wanted = set(groups)
    return sorted(
        u.username
        for u in user_rows.all_users(session)
        if u.active and SUPERVISOR in u.roles and wanted.intersection(u.groups)
    )


def _task_supervisors(ctx: Context, session: Session, step: DueStep) -> list[str]:
    found = _supervisors(session, _dependencias(session, step))
    return found or _entity_supervisors(ctx, session)


def _entity_supervisors(ctx: Context, session: Session) -> list[str]:
    group = ctx.settings.supervision_group
    found = _supervisors(session, [group])
    if not found:
        raise NobodyToEscalate(
            f"No hay supervisores activos en la dependencia «{group}» (PHVA_SUPERVISION_GROUP)."
        )
    return found


def _members(session: Session, group: str) -> list[str]:
    found = sorted(u.username for u in user_rows.all_users(session) if u.active and group in u.groups)
    if not found:
        raise NobodyToEscalate(f"La dependencia «{group}» no tiene usuarios activos.")
    return found


# ---- what the message says ---------------------------------------------------------------------
def _days(n: int) -> str:
    return f"{n} día hábil" if n == 1 else f"{n} días hábiles"


def _share(when: When) -> str:
    assert when.share is not None
    text = when.text
    return text if "/" in text else text.replace("%", " %")


def situation(ctx: Context, step: DueStep, when: When) -> tuple[str, str]:
    """(for the subject, for the body): where the task stands on its term."""
    due = fecha_larga(step.due_at.astimezone(ZoneInfo(ctx.settings.timezone)).date()) if step.due_at else None
    if when.share is None:
        return f"abierta hace {_days(when.days)}", f"lleva {_days(when.days)} abierta"
    if when.share < 1:
        return f"al {_share(when)} de su término", f"ya usó el {_share(when)} de su término; vence el {due}"
    if when.days > 0:
        return f"vencida hace {_days(when.days)}", f"lleva {_days(when.days)} vencida (venció el {due})"
    if when.days < 0:
        return f"vence en {_days(-when.days)}", f"vence en {_days(-when.days)}, el {due}"
    return "vencida", f"venció el {due}"


def _message(ctx: Context, step: DueStep, when: When, closing: str) -> tuple[str, str]:
    short, long = situation(ctx, step, when)
    about = f" ({step.business_key})" if step.business_key else ""
    holder = step.assignee or (
        f"sin asignar, de {', '.join(step.candidate_groups)}" if step.candidate_groups else "sin asignar"
    )
    subject = f"Escalamiento: «{step.task_name}» {short}"
    body = f"La tarea «{step.task_name}»{about} {long}. Responsable: {holder}. {closing}"
    return subject, body


def _send(
    ctx: Context,
    session: Session,
    step: DueStep,
    when: When,
    closing: str,
    *,
    users: Sequence[str] = (),
    groups: Sequence[str] = (),
) -> None:
    subject, body = _message(ctx, step, when, closing)
    notify(session, ctx, event=events.LADDER, subject=subject, body=body, link=f"/tareas/{step.task_id}",
           users=users, groups=groups, instance_id=step.instance_id, task_id=step.task_id,
           key=f"escalamiento:{step.id}")  # fmt: skip


def _named(names: Sequence[str]) -> str:
    return ", ".join(names)


# ---- the actions -------------------------------------------------------------------------------
def _tell_holder(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    if step.assignee:
        _send(ctx, session, step, when, "Atiéndala cuanto antes.", users=[step.assignee])
        return f"avisó a {step.assignee}"
    if not step.candidate_users and not step.candidate_groups:
        raise NobodyToEscalate(
            f"La tarea '{step.task_name}' no tiene responsable ni dependencia a quién avisar."
        )
    _send(ctx, session, step, when, "Tómela o asígnela cuanto antes.", users=step.candidate_users,
          groups=step.candidate_groups)  # fmt: skip
    return f"avisó a {_named([*step.candidate_users, *step.candidate_groups])}"


def _tell_supervisors(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    people = _task_supervisors(ctx, session, step)
    _send(ctx, session, step, when, "Le avisamos como supervisor(a) de la dependencia.", users=people)
    return f"avisó a {_named(people)}"


def _tell_chief(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    people = _entity_supervisors(ctx, session)
    _send(ctx, session, step, when, "Le avisamos como supervisión de la entidad.", users=people)
    return f"avisó a {_named(people)}"


def _tell_group(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    group = str(step.argument)
    _members(session, group)
    _send(ctx, session, step, when, f"Le avisamos como integrante de «{group}».", groups=[group])
    return f"avisó a la dependencia {group}"


def _reason(ctx: Context, step: DueStep, when: When) -> str:
    action = f"{step.action}({step.argument})" if step.argument else step.action
    return f"escalamiento automático «{when.text}:{action}»: la tarea {situation(ctx, step, when)[1]}"


def _reassign_to_supervisor(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    people = _task_supervisors(ctx, session, step)
    if step.assignee in people:
        return f"ya estaba con el supervisor {step.assignee}"
    load = store.open_task_counts(session, people)
    chosen = min(people, key=lambda name: (load.get(name, 0), name))
    reassign_in(session, ctx, step.task_id, actor=None, to_user=chosen, reason=_reason(ctx, step, when))
    _tell_previous(ctx, session, step, when, chosen)
    return f"reasignó la tarea a {chosen}"


def _reassign_to_group(ctx: Context, session: Session, step: DueStep, when: When) -> str:
    group = str(step.argument)
    if step.assignee is None and list(step.candidate_groups) == [group]:
        return f"ya estaba en la dependencia {group}"
    reassign_in(session, ctx, step.task_id, actor=None, to_group=group, reason=_reason(ctx, step, when))
    _tell_previous(ctx, session, step, when, f"la dependencia {group}")
    return f"reasignó la tarea a la dependencia {group}"


def _tell_previous(ctx: Context, session: Session, step: DueStep, when: When, holder: str) -> None:
    if step.assignee:
        _send(ctx, session, step, when, f"Se reasignó a {holder}.", users=[step.assignee])


Effect = Callable[[Context, Session, DueStep, When], str]
_EFFECTS: dict[str, Effect] = {
    "avisar_responsable": _tell_holder,
    "avisar_supervisor": _tell_supervisors,
    "avisar_jefe": _tell_chief,
    "avisar": _tell_group,
    "reasignar_supervisor": _reassign_to_supervisor,
    "reasignar": _reassign_to_group,
}
