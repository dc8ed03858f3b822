"""The bandeja de PQRSD (read only): every case a user may see, filtered, searched and paged in SQL."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, func, not_, or_, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.legal.semaforo import colour
from engine.limits import MAX_OFFSET, MAX_PAGE
from engine.pqrsd.filing import CHANNELS
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import Task, TaskCandidate
from engine.store.uow import UnitOfWork

ESTADOS = (
    "radicada", "clasificada", "trasladada", "en_requerimiento", "en_tramite", "prorrogada", "respondida",
    "cerrada", "desistida_tacita", "desistida_expresa", "archivada_art19", "rechazada_irrespetuosa", "vencida",
    "anulada",
)  # fmt: skip
SEMAFOROS = ("verde", "amarillo", "alerta", "rojo", "suspendida")
PER_PAGE = 25
MAX_EXPORT = 10_000
CAP = 1000  # the bandeja counts up to here; past it, "1.000+" (an exact count would read every case)


@dataclass(frozen=True)
class CaseQuery:
    text: str | None = None  # radicado, peticionario, documento or asunto
    estado: str | None = None
    tipo: str | None = None
    canal: str | None = None
    dependencia: str | None = None
    semaforo: str | None = None
    desde: date | None = None  # received from this day (local)
    hasta: date | None = None  # received up to this day, inclusive
    limit: int = PER_PAGE
    offset: int = 0


class CaseRow(TypedDict):
    radicado: str
    tipo: str
    canal: str
    estado: str
    peticionario: str | None  # None for an anonymous petition
    asunto: str | None
    dependencia: str | None
    recibida: str
    vence: str | None
    semaforo: str | None
    instance_id: int | None


class CasePage(TypedDict):
    items: list[CaseRow]
    total: int
    capped: bool  # more than `total` cases match
    page: int
    pages: int


def parse_query(args: dict[str, str], *, limit: int = PER_PAGE, maximum: int = 500) -> CaseQuery:
    """Criteria from query-string text (the page, the CSV and the API share them); bad values are refused."""

    def choice(name: str, allowed: Any) -> str | None:
        value = (args.get(name) or "").strip() or None
        if value is not None and value not in allowed:
            raise BadInput(f"Valor no válido para '{name}': {value}.", {name: "Valor no válido."})
        return value

    def day(name: str) -> date | None:
        value = (args.get(name) or "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            raise BadInput(f"'{name}' debe ser una fecha AAAA-MM-DD.", {name: "Fecha AAAA-MM-DD."}) from None

    def number(name: str, default: int, top: int | None = None) -> int:
        raw = (args.get(name) or "").strip()
        if not raw:
            return default
        if not raw.isdecimal() or len(raw) > 12 or int(raw) > (top or MAX_OFFSET):
            raise BadInput(
                f"'{name}' debe ser un número entre 0 y {top or '∞'}.", {name: "Número no válido."}
            )
        return int(raw)

    page = max(number("pagina", 1, MAX_PAGE), 1)
    size = number("limit", limit, maximum)
    offset = number("offset", (page - 1) * size)
    return CaseQuery(
        text=(args.get("q") or args.get("texto") or "").strip()[:200] or None,
        estado=choice("estado", ESTADOS),
        tipo=(args.get("tipo") or "").strip() or None,
        canal=choice("canal", CHANNELS),
        dependencia=(args.get("dependencia") or "").strip() or None,
        semaforo=choice("semaforo", SEMAFOROS),
        desde=day("desde"),
        hasta=day("hasta"),
        limit=size,
        offset=offset,
    )


def cases(ctx: Context, user: UserView | str, q: CaseQuery) -> CasePage:
    """One page: two SELECTs (a count that stops at CAP, and the page: an index range in due order)."""
    now = ctx.clock.now()
    tz = ZoneInfo(ctx.settings.timezone)
    with UnitOfWork(ctx.db, write=False) as uow:
        acting = acting_user(uow.session, user)
        query = _query(acting, q, now, tz)
        counted = query.with_only_columns(PqrsdCase.id).limit(q.offset + CAP + 1).subquery()
        found = uow.session.scalar(select(func.count()).select_from(counted)) or 0
        items = [_row(c, now, tz) for c in _page(uow.session, query, q)]  # read inside: rollback expires rows
    size = max(q.limit, 1)
    reach = min(found, q.offset + CAP)  # deeper pages count on from where they are
    return CasePage(
        items=items,
        total=min(found, CAP),
        capped=found > CAP,
        page=q.offset // size + 1,
        pages=max(math.ceil(reach / size), 1) + (1 if found > reach else 0),
    )


def export(ctx: Context, user: UserView | str, q: CaseQuery) -> list[CaseRow]:
    """Every matching case (up to MAX_EXPORT), for the CSV."""
    return cases(ctx, user, replace(q, limit=MAX_EXPORT, offset=0))["items"]


def _page(session: Session, query: Select[Any], q: CaseQuery) -> list[PqrsdCase]:
    ordered = query.order_by(PqrsdCase.due_at.asc().nulls_last(), PqrsdCase.id)
    return list(session.scalars(ordered.limit(q.limit).offset(q.offset)))


def _query(user: UserView, q: CaseQuery, now: datetime, tz: ZoneInfo) -> Select[Any]:
    query = select(PqrsdCase)
    visible = _visible(user)
    if visible is not None:
        query = query.where(visible)
    if q.text:
        like = f"%{q.text}%"
        digits = q.text.replace(".", "").replace(" ", "").upper()
        query = query.where(
            or_(
                PqrsdCase.radicado.ilike(like),
                PqrsdCase.petitioner_name.ilike(like),
                PqrsdCase.document_number == digits,
                PqrsdCase.subject.ilike(like),
            )
        )
    for column, value in (
        (PqrsdCase.status, q.estado),
        (PqrsdCase.kind, q.tipo),
        (PqrsdCase.channel, q.canal),
        (PqrsdCase.dependencia, q.dependencia),
    ):
        if value is not None:
            query = query.where(column == value)
    if q.desde is not None:
        query = query.where(PqrsdCase.received_at >= datetime.combine(q.desde, time(0), tzinfo=tz))
    if q.hasta is not None:
        query = query.where(
            PqrsdCase.received_at < datetime.combine(q.hasta + timedelta(days=1), time(0), tzinfo=tz)
        )
    if q.semaforo is not None:
        query = query.where(_semaforo(q.semaforo, now))
    return query


def _visible(user: UserView) -> ColumnElement[bool] | None:
    """`access.may_view_case` as SQL: the cases a user filed, or whose process has a task they may see.

    Each subquery carries OFFSET 0 so PostgreSQL probes it per case (an index lookup) in the page's due order,
    instead of hashing every task the user may see first (a scan of the whole task table)."""
    if user.has_role(*access.INSTANCE_READERS):
        return None
    me = user.username
    offered = or_(
        and_(TaskCandidate.kind == "user", TaskCandidate.value == me),
        and_(TaskCandidate.kind == "group", TaskCandidate.value.in_(list(user.groups) or [""])),
    )
    sees = [
        Task.assignee == me,
        _probe(select(TaskCandidate.task_id).where(TaskCandidate.task_id == Task.id, offered)),
    ]
    if user.has_role("supervisor"):  # and what nobody was named for (access.visible_tasks_sql)
        routed = _probe(select(TaskCandidate.task_id).where(TaskCandidate.task_id == Task.id))
        sees.append(and_(Task.assignee.is_(None), not_(routed)))
    of_case = _probe(select(Task.id).where(Task.instance_id == PqrsdCase.instance_id, or_(*sees)))
    return or_(PqrsdCase.created_by == me, of_case)


def _probe(query: Select[Any]) -> ColumnElement[bool]:
    return exists(query.offset(0))


def _semaforo(colour: str, now: datetime) -> ColumnElement[bool]:
    running = and_(PqrsdCase.status.not_in(CLOSED_STATUSES), PqrsdCase.due_at.is_not(None))
    if colour == "suspendida":
        return and_(PqrsdCase.status.not_in(CLOSED_STATUSES), PqrsdCase.due_at.is_(None))
    if colour == "rojo":
        return and_(running, PqrsdCase.due_at <= now)
    on_time = and_(running, PqrsdCase.due_at > now)
    if colour == "alerta":
        return and_(on_time, PqrsdCase.alerta_at <= now)
    if colour == "amarillo":
        return and_(on_time, PqrsdCase.amarillo_at <= now)
    return and_(on_time, or_(PqrsdCase.amarillo_at.is_(None), PqrsdCase.amarillo_at > now))


def _row(case: PqrsdCase, now: datetime, tz: ZoneInfo) -> CaseRow:
    return CaseRow(
        radicado=case.radicado,
        tipo=case.kind,
        canal=case.channel,
        estado=case.status,
        peticionario=None if case.anonymous else case.petitioner_name,
        asunto=case.subject,
        dependencia=case.dependencia,
        recibida=case.received_at.astimezone(tz).isoformat(),
        vence=case.due_at.astimezone(tz).isoformat() if case.due_at else None,
        semaforo=_colour(case, now),
        instance_id=case.instance_id,
    )


def _colour(case: PqrsdCase, now: datetime) -> str | None:
    if case.status in CLOSED_STATUSES:
        return None
    if case.due_at is None:
        return "suspendida"
    running = colour(now, case.due_at, case.amarillo_at)
    return "alerta" if running != "rojo" and case.alerta_at is not None and now >= case.alerta_at else running
