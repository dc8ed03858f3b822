"""Who may see, claim, complete or assign a task, view an instance or start a process — the one place.

Each rule has a Python form (for one task or instance in hand) and, where lists need it, its SQL form
(`visible_tasks_sql`) beside it; tests/integration/test_access.py proves the two agree.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, bindparam, exists, or_, select

from engine.identity.users import UserView
from engine.store.tables import Task, TaskCandidate

STARTER_ROLES = ("funcionario", "supervisor", "analista", "admin")
INSTANCE_READERS = ("admin", "analista")  # they see every instance: modelling needs the whole picture


def _unrouted(assignee: str | None, cand_users: Collection[str], cand_groups: Collection[str]) -> bool:
    return not (assignee or cand_users or cand_groups)


def may_see_task(
    user: UserView, assignee: str | None, cand_users: Collection[str], cand_groups: Collection[str]
) -> bool:
    if user.is_admin or assignee == user.username or user.username in cand_users:
        return True
    if set(user.groups) & set(cand_groups):
        return True
    # Tasks nobody was named for are the supervisors' to route.
    return user.has_role("supervisor") and _unrouted(assignee, cand_users, cand_groups)


def may_supervise_task(
    user: UserView, assignee: str | None, cand_users: Collection[str], cand_groups: Collection[str]
) -> bool:
    """Supervisors act on the tasks of their dependencias (and unrouted ones); admins on all."""
    if user.is_admin:
        return True
    if not user.has_role("supervisor"):
        return False
    return bool(set(user.groups) & set(cand_groups)) or _unrouted(assignee, cand_users, cand_groups)


def may_claim_task(user: UserView, assignee: str | None) -> bool:
    return assignee is None or assignee == user.username


def may_complete_task(
    user: UserView, assignee: str | None, cand_users: Collection[str], cand_groups: Collection[str]
) -> bool:
    """Its assignee; an unclaimed task, any candidate (it is claimed in passing); a supervisor of it."""
    if assignee is None or assignee == user.username:
        return True
    return may_supervise_task(user, assignee, cand_users, cand_groups)


def allowed_task_actions(
    user: UserView,
    state: str,
    assignee: str | None,
    cand_users: Collection[str],
    cand_groups: Collection[str],
) -> dict[str, bool]:
    """What a task page offers a user who may see it; the use cases check the same rules when asked."""
    ready = state == "ready"
    supervises = may_supervise_task(user, assignee, cand_users, cand_groups)
    return {
        "claim": ready and assignee is None,
        "unclaim": ready and assignee is not None and (assignee == user.username or supervises),
        "assign": ready and supervises,
        "complete": ready and assignee == user.username,
        "draft": ready and assignee in (None, user.username),
    }


def four_eyes_refusal(user: UserView, completed_earlier: Mapping[str, Collection[str]]) -> str | None:
    """Four eyes: who completed one of a task's earlier steps (step name → who) may not complete it too.

    No role is exempt, admins included: the point is that two people saw the answer.
    """
    mine = sorted(name for name, who in completed_earlier.items() if user.username in who)
    if not mine:
        return None
    steps = ", ".join(f"«{name}»" for name in mine)
    return (
        f"Usted completó {steps} en este trámite: esta tarea debe completarla otra persona "
        "(control de cuatro ojos)."
    )


def guarded_task_actions(can: Mapping[str, bool], refusal: str | None) -> dict[str, bool]:
    """`allowed_task_actions` under a refusal: nothing that leads to completing the task is offered."""
    if refusal is None:
        return dict(can)
    return {**can, "claim": False, "complete": False, "draft": False}


def may_view_instance(user: UserView, started_by: str | None, tasks: Iterable[Mapping[str, Any]]) -> bool:
    """Admins and analysts see every instance; others the ones they started or where they may see a task."""
    return user.has_role(*INSTANCE_READERS) or _participates(user, started_by, tasks)


def _participates(user: UserView, started_by: str | None, tasks: Iterable[Mapping[str, Any]]) -> bool:
    if started_by == user.username:
        return True
    return any(may_see_task(user, t["assignee"], t["candidate_users"], t["candidate_groups"]) for t in tasks)


def may_correlate(user: UserView, started_by: str | None, tasks: Iterable[Mapping[str, Any]]) -> bool:
    """Delivering a message changes an instance: admins, the `mensajes` role of integrations, whoever started it,
    and whoever may see one of its tasks (its participants and their supervisors). Reading is not enough."""
    return user.has_role("admin", "mensajes") or _participates(user, started_by, tasks)


def may_signal(user: UserView) -> bool:
    """A signal is a broadcast to every instance waiting for it, not to one the user takes part in: admins and
    the `mensajes` role of integrations only."""
    return user.has_role("admin", "mensajes")


def may_view_case(
    user: UserView, filed_by: str | None, started_by: str | None, tasks: Iterable[Mapping[str, Any]]
) -> bool:
    """Who filed a case sees it; otherwise whoever may view its process."""
    return filed_by == user.username or may_view_instance(user, started_by, tasks)


def may_start(user: UserView, starter_users: Collection[str], starter_groups: Collection[str]) -> bool:
    if user.is_admin:
        return True
    if starter_users or starter_groups:
        return user.username in starter_users or bool(set(starter_groups) & set(user.groups))
    return user.has_role(*STARTER_ROLES)


def visible_tasks_sql(
    username: str | None, groups: Sequence[str], *, see_all: bool, supervisor: bool
) -> ColumnElement[bool] | None:
    """`may_see_task` as a WHERE clause over the task table (None: no restriction)."""
    if see_all:
        return None
    clauses = [Task.assignee == username, candidate_sql(username, groups)]
    if supervisor:
        clauses.append(and_(Task.assignee.is_(None), ~exists().where(TaskCandidate.task_id == Task.id)))
    return or_(*clauses)


def candidate_sql(username: str | None, groups: Sequence[str]) -> ColumnElement[bool]:
    return _candidate(username, list(groups) or [""])


def _candidate(username: Any, groups: Any) -> ColumnElement[bool]:
    return exists().where(
        TaskCandidate.task_id == Task.id,
        or_(
            and_(TaskCandidate.kind == "user", TaskCandidate.value == username),
            and_(TaskCandidate.kind == "group", TaskCandidate.value.in_(groups)),
        ),
    )


# `candidate_sql` with the user and groups as parameters (`candidate_params`), for statements built once.
CANDIDATE_BOUND = _candidate(bindparam("cand_user"), bindparam("cand_groups", expanding=True))


def candidate_params(username: str | None, groups: Sequence[str]) -> dict[str, Any]:
    return {"cand_user": username, "cand_groups": list(groups) or [""]}


# Supervision: who watches which dependencias, and who may reassign a task to whom.
WATCHERS = ("supervisor", "admin")


def supervision_scope(user: UserView, supervision_group: str) -> tuple[str, ...] | None:
    """The dependencias a supervisor watches; None: the whole entity (admins, the supervision group)."""
    if user.is_admin or (user.has_role("supervisor") and supervision_group in user.groups):
        return None
    return tuple(user.groups) if user.has_role("supervisor") else ()


def may_watch(user: UserView) -> bool:
    return user.has_role(*WATCHERS)


def may_reassign_task(
    user: UserView,
    assignee: str | None,
    cand_users: Collection[str],
    cand_groups: Collection[str],
    *,
    supervision_group: str,
    escalates: bool = False,
) -> bool:
    """Supervisors within their dependencias, the supervision group and admins across them, and whoever
    holds an open escalation task about this one (`escalates`)."""
    if escalates or supervision_scope(user, supervision_group) is None:
        return True
    return may_supervise_task(user, assignee, cand_users, cand_groups)


def reassign_target_refusal(
    actor: UserView | None,
    task_groups: Collection[str],
    *,
    to_group: str | None,
    to_user: UserView | None,
    supervision_group: str,
) -> str | None:
    """Why the task may not go to that dependencia or person (None: it may).

    Across dependencias only the system, admins and the supervision group; anyone else keeps a task in
    its own dependencias (or theirs), and gives it to a person of the dependencia it goes to.
    """
    if to_user is not None and not to_user.active:
        return f"El usuario '{to_user.username}' está inactivo: no puede recibir tareas."
    if actor is None or supervision_scope(actor, supervision_group) is None:
        return None
    allowed = set(task_groups) | set(actor.groups)
    if to_group is not None and to_group not in allowed:
        return (
            f"No puede pasar la tarea a la dependencia '{to_group}': solo a {_names(allowed)}. "
            f"Entre dependencias reasigna la supervisión ('{supervision_group}')."
        )
    target_groups = {to_group} if to_group is not None else set(task_groups) or set(actor.groups)
    if to_user is not None and not target_groups & set(to_user.groups):
        return (
            f"'{to_user.username}' no pertenece a {_names(target_groups)}: asigne la tarea a una persona "
            "de la dependencia que la atiende."
        )
    return None


def _names(groups: Collection[str]) -> str:
    return ", ".join(f"'{g}'" for g in sorted(groups)) or "ninguna dependencia"


def offered_to_sql(groups: Sequence[str]) -> Select[Any]:
    """The ids of the tasks offered to one of `groups`."""
    return select(TaskCandidate.task_id).where(
        TaskCandidate.kind == "group", TaskCandidate.value.in_(list(groups) or [""])
    )


def held_tasks_sql(username: str, groups: Sequence[str]) -> ColumnElement[bool]:
    """The tasks a user holds: assigned to them, or offered to them or their dependencias."""
    return or_(Task.assignee == username, candidate_sql(username, groups))
