"""An instance on its diagram: the BPMN XML of its version plus markers and due badges (read only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.modeling.parser import BPMN_NS
from engine.modeling.xml import parse_xml
from engine.store import definitions as definition_store
from engine.store.instances import load_instance
from engine.store.tables import ProcessDefinition
from engine.store.uow import UnitOfWork
from engine.workflow import views
from engine.workflow.records import InstanceDetail, InstancePage
from engine.workflow.runs import load_run


def _viewable(session: Session, instance_id: int, user: UserView | str) -> InstanceDetail:
    acting = acting_user(session, user)
    detail = views.instance_detail(session, instance_id)
    if detail is None:
        raise NotFound(f"No existe el proceso {instance_id}.")
    if not access.may_view_instance(acting, detail["started_by"], detail["tasks"]):
        raise Forbidden(f"No tiene acceso al proceso {instance_id}.")
    return detail


def instance_for(ctx: Context, instance_id: int, user: UserView | str) -> InstanceDetail:
    """The instance detail, if the user may view it (`access.may_view_instance`)."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return _viewable(uow.session, instance_id, user)


def instance_page(ctx: Context, instance_id: int, user: UserView | str) -> InstancePage:
    """Instance detail with the process name and its current data, if the user may see it."""
    with UnitOfWork(ctx.db, write=False) as uow:
        detail = _viewable(uow.session, instance_id, user)
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        data = load_run(ctx, uow.session, ref).data()
        name = uow.session.scalar(
            select(ProcessDefinition.name).where(ProcessDefinition.id == ref.definition_id)
        )
    return InstancePage(**detail, data=data, process_name=name)


def instance_diagram(ctx: Context, instance_id: int, user: UserView | str) -> dict[str, Any]:
    detail = instance_for(ctx, instance_id, user)
    with UnitOfWork(ctx.db, write=False) as uow:
        definition = uow.session.scalar(
            select(ProcessDefinition).where(
                ProcessDefinition.key == detail["process_key"], ProcessDefinition.version == detail["version"]
            )
        )
        if definition is None:
            raise NotFound(f"No existe la versión {detail['version']} de '{detail['process_key']}'.")
        sources = definition_store.definition_sources(uow.session, definition.id)
        xml = next((s["content"] for s in sources if s["name"] == definition.file), None)
    if xml is None:
        raise NotFound(f"No se guardó el diagrama de '{detail['process_key']}'.")
    found = markers(detail, ctx.clock.now())
    callers = call_activities(sources, detail["process_key"])
    current = {*found["active"], *found["overdue"], *found["incidents"]}
    return {"xml": xml, **found, "called_in": {i: callers[i] for i in sorted(current) if i in callers}}


def call_activities(sources: list[dict[str, str]], key: str) -> dict[str, str]:
    """Element ids of the processes that `key` calls, each with the call activity of `key` that runs it."""
    processes = {
        process.get("id"): process
        for source in sources
        if source["name"].endswith(".bpmn")
        for process in parse_xml(source["content"].encode()).iterfind(f"{{{BPMN_NS}}}process")
    }

    def inside(called: str, seen: frozenset[str]) -> set[str]:
        if called in seen or called not in processes:
            return set()
        ids = {el.get("id") for el in processes[called].iter() if el.get("id")}
        for nested in processes[called].iter(f"{{{BPMN_NS}}}callActivity"):
            ids |= inside(nested.get("calledElement", ""), seen | {called})
        return ids

    callers: dict[str, str] = {}
    for call in processes[key].iter(f"{{{BPMN_NS}}}callActivity") if key in processes else ():
        for element_id in inside(call.get("calledElement", ""), frozenset({key})):
            callers.setdefault(element_id, call.get("id"))
    return callers


def markers(detail: InstanceDetail, now: datetime) -> dict[str, Any]:
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
        if t["due_at"]
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
