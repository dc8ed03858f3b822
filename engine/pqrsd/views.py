"""Read models of PQRSD cases (SELECT only): a case as a user may see it, and the radicación form."""

from __future__ import annotations

from datetime import date
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from engine.context import Context
from engine.errors import Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.pqrsd import legal_data as legal
from engine.pqrsd.filing import filing_form
from engine.pqrsd.radicacion import CLOSED_STATUSES, case_dict
from engine.pqrsd.records import CaseDetail, CaseRecord
from engine.store import cases as case_store
from engine.store.uow import UnitOfWork
from engine.workflow import views
from engine.workflow.records import AuditRecord, IncidentRecord, TaskRecord


def case_for(ctx: Context, radicado: str, user: UserView | str) -> CaseRecord:
    """The case, if the user filed it or may view its process (`access.may_view_case`)."""
    with UnitOfWork(ctx.db, write=False) as uow:
        acting = acting_user(uow.session, user)
        case = case_store.case_by_radicado(uow.session, radicado.strip())
        if case is None:
            raise NotFound(f"No existe el radicado «{radicado}».")
        detail = views.instance_detail(uow.session, case.instance_id) if case.instance_id else None
        tasks = detail["tasks"] if detail is not None else []
        if not access.may_view_case(acting, case.created_by, detail["started_by"] if detail else None, tasks):
            raise Forbidden(f"No tiene acceso a la PQRSD {radicado}.")
        return case_dict(case, ZoneInfo(ctx.settings.timezone))


class CaseHeader(TypedDict):
    radicado: str
    asunto: str | None
    peticionario: str | None  # "Anónimo" for an anonymous petition
    tipo: str  # the term table's name of the type
    vence_el: str | None  # the effective due date (local); None while suspended
    dias_habiles_restantes: int | None


def case_header_for_instance(ctx: Context, instance_id: int, user: UserView | str) -> CaseHeader | None:
    """The case a process instance handles, as its task pages head it; None when it is no case the user sees."""
    with UnitOfWork(ctx.db, write=False) as uow:
        acting = acting_user(uow.session, user)
        detail = views.instance_detail(uow.session, instance_id)
        if detail is None or not detail["business_key"]:
            return None
        case = case_store.case_by_radicado(uow.session, detail["business_key"])
        if case is None or case.instance_id != instance_id:
            return None
        if not access.may_view_case(acting, case.created_by, detail["started_by"], detail["tasks"]):
            return None
        record = case_dict(case, ZoneInfo(ctx.settings.timezone))
    return CaseHeader(
        radicado=record["radicado"],
        asunto=record["subject"],
        peticionario="Anónimo" if record["anonymous"] else record["petitioner_name"],
        tipo=str(record["term"].get("label") or record["kind"]),
        vence_el=record["due_date"],
        dias_habiles_restantes=None
        if record["status"] in CLOSED_STATUSES
        else business_days_left(ctx, record["due_date"]),
    )


def filing_page(ctx: Context, *, staff: bool = True) -> dict[str, Any]:
    """The radicación form with the types of the term table in force today."""
    legal.ensure_legal_data(ctx)
    today = legal.local_date_of(ctx, ctx.clock.now())
    table = legal.snapshot(ctx, legal.years_around(today, 0)).terms
    kinds = {r.kind: r.label for r in table if r.covers(today)}
    return filing_form(kinds, staff=staff).to_dict()


def case_detail(ctx: Context, radicado: str, user: UserView | str) -> CaseDetail:
    """The case with its estado, effective due date, business days left and legal events (API and page)."""
    record = case_for(ctx, radicado, user)
    events: list[AuditRecord] = []
    incidents: list[IncidentRecord] = []
    open_tasks: list[TaskRecord] = []
    if record["instance_id"] is not None:
        detail = views.instance(ctx, record["instance_id"])
        open_tasks = [t for t in detail["tasks"] if t["state"] == "ready"]
        events = [h for h in detail["history"] if h["action"].startswith(("pqrsd_", "instance_cancelled"))]
        incidents = [i for i in detail["incidents"] if i["resolved_at"] is None]
    return CaseDetail(
        **record,
        estado=record["status"],
        vence_el=record["due_date"],
        dias_habiles_restantes=None
        if record["status"] in CLOSED_STATUSES
        else business_days_left(ctx, record["due_date"]),
        eventos=events,
        incidentes=incidents,
        tareas=open_tasks,
    )


def business_days_left(ctx: Context, due_date: str | None) -> int | None:
    """Business days from today to the due date (negative once overdue); None while the term is suspended."""
    if due_date is None:
        return None
    today, due = legal.local_date_of(ctx, ctx.clock.now()), date.fromisoformat(due_date)
    calendar = legal.snapshot(ctx, range(min(today, due).year - 1, max(today, due).year + 2)).calendar
    if due >= today:
        return calendar.business_days_between(today, due)
    return -calendar.business_days_between(due, today)
