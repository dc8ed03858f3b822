"""An instance on its diagram: the BPMN XML of its version plus markers and due badges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine.errors import Forbidden, NotFound
from engine.services import views
from engine.services.context import Context
from engine.services.instances import load_run
from engine.services.persistence import load_instance
from engine.services.users import UserView, get_user
from engine.store.tables import ProcessDefinition
from engine.store.uow import UnitOfWork


def may_view(user: UserView, detail: dict[str, Any]) -> bool:
    """Admins and analysts see every instance; others only those where one of their dependencias works."""
    if user.is_admin or user.has_role("analista") or detail["started_by"] == user.username:
        return True
    groups = set(user.groups)
    for task in detail["tasks"]:
        if task["assignee"] == user.username or user.username in task["candidate_users"]:
            return True
        if groups & set(task["candidate_groups"]):
            return True
        unrouted = not (task["assignee"] or task["candidate_users"] or task["candidate_groups"])
        if unrouted and user.has_role("supervisor"):
            return True
    return False


def instance_for(ctx: Context, instance_id: int, username: str) -> dict[str, Any]:
    user = get_user(ctx, username)
    detail = views.instance(ctx, instance_id)
    if not may_view(user, detail):
        raise Forbidden(f"No tiene acceso al proceso {instance_id}.")
    return detail


def instance_page(ctx: Context, instance_id: int, username: str) -> dict[str, Any]:
    """Instance detail with the process name and its current data, if the user may see it."""
    detail = instance_for(ctx, instance_id, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        ref = load_instance(uow.session, instance_id)
        if ref is None:
            raise NotFound(f"No existe el proceso {instance_id}.")
        detail["data"] = load_run(ctx, uow.session, ref).data()
        detail["process_name"] = uow.session.scalar(
            select(ProcessDefinition.name).where(ProcessDefinition.id == ref.definition_id)
        )
    return detail


def instance_diagram(ctx: Context, instance_id: int, username: str) -> dict[str, Any]:
    detail = instance_for(ctx, instance_id, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        definition = uow.session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.key == detail["process_key"], ProcessDefinition.version == detail["version"]
            )
        )
        if definition is None:
            raise NotFound(f"No existe la versión {detail['version']} de '{detail['process_key']}'.")
        xml = next((s["content"] for s in definition.sources if s["name"] == definition.file), None)
    if xml is None:
        raise NotFound(f"No se guardó el diagrama de '{detail['process_key']}'.")
    return {"xml": xml, **markers(detail, ctx.clock.now())}


def markers(detail: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Element ids to colour on the diagram; an element can be completed before and active again (loops)."""
    ready = [t for t in detail["tasks"] if t["state"] == "ready"]
    overdue = {t["bpmn_id"] for t in ready if t["due_at"] and datetime.fromisoformat(t["due_at"]) < now}
    badges = [
        {"id": t["bpmn_id"], "task_id": t["id"], "due_at": t["due_at"], "overdue": t["bpmn_id"] in overdue}
        for t in ready
        if t["due_at"]
    ]
    badges += [
        {
            "id": t["activity"],
            "task_id": None,
            "due_at": t["due_at"],
            "overdue": datetime.fromisoformat(t["due_at"]) < now,
            "timer": True,
        }
        for t in detail["timers"]
    ]
    return {
        "completed": sorted(set(detail["completed_activities"])),
        "active": sorted({t["bpmn_id"] for t in ready}),
        "overdue": sorted(overdue),
        "incidents": sorted(
            {i["activity"] for i in detail["incidents"] if i["activity"] and not i["resolved_at"]}
        ),
        "badges": badges,
    }
