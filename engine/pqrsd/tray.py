"""The bandeja de PQRSD (read only): every case a user may see, filtered, searched and paged in SQL."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, func, or_, select, union, union_all
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.legal.semaforo import colour
from engine.limits import MAX_OFFSET, MAX_PAGE
from engine.pqrsd.filing import CHANNELS
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store.case_visibility_tables import NO_DUE
from engine.store.case_visibility_tables import CaseVisibility as V
from engine.store.legal_tables import PqrsdCase
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
    """One page: two SELECTs (a count that stops at CAP, and the page in due order).

    Whoever reads every instance pages over the case table itself; anyone else over their rows of
    `case_visibility`: one index range per principal they are (themselves, each of their dependencias, and for
    a supervisor the cases nobody was named for), each stopping where the page or the count ends."""
    now = ctx.clock.now()
    tz = ZoneInfo(ctx.settings.timezone)
    with UnitOfWork(ctx.db, write=False) as uow:
        acting = acting_user(uow.session, user)
        principals = _principals(acting)
        if principals is None:
            query = _query(q, now, tz)
            counted = query.with_only_columns(PqrsdCase.id).limit(q.offset + CAP + 1).subquery()
            page = _page(uow.session, query, q)
        else:
            counted = _counted(principals, q, now, tz)
            page = _visible_page(uow.session, principals, q, now, tz)
        found = uow.session.scalar(select(func.count()).select_from(counted)) or 0
        items = [_row(c, now, tz) for c in page]  # read inside: rollback expires rows
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


def _principals(user: UserView) -> list[tuple[str, str]] | None:
    """`access.may_view_case` as the rows of `case_visibility` a user matches (None: every case).

    The cases a user filed, or whose process has a task (of any state) they may see: as its assignee or a
    candidate, through a dependencia, or as a supervisor when nobody was named for it."""
    if user.has_role(*access.INSTANCE_READERS):
        return None
    rows = [("user", user.username)] + [("group", g) for g in (list(user.groups) or [""])]
    return [*rows, ("unrouted", "")] if user.has_role("supervisor") else rows


def _branch(kind: str, value: str, q: CaseQuery, now: datetime, tz: ZoneInfo, *columns: Any) -> Select[Any]:
    query = select(*columns).where(V.kind == kind, V.value == value, *_criteria(q, now, tz))
    if q.text:
        query = query.where(V.case_id.in_(select(PqrsdCase.id).where(_text(q.text))))
    return query


def _counted(principals: list[tuple[str, str]], q: CaseQuery, now: datetime, tz: ZoneInfo) -> Any:
    # A branch that reaches the limit alone makes the count reach it: the count is exact below it.
    reach = q.offset + CAP + 1
    branches = [_branch(k, v, q, now, tz, V.case_id).limit(reach).subquery() for k, v in principals]
    found = union(*(select(b.c.case_id) for b in branches)).subquery()
    return select(found.c.case_id).limit(reach).subquery()


def _visible_page(
    session: Session, principals: list[tuple[str, str]], q: CaseQuery, now: datetime, tz: ZoneInfo
) -> list[PqrsdCase]:
    # The page's cases are among the first offset + limit of each principal's range (the same case has the
    # same key in each): a sort of at most that many rows per principal.
    reach = q.offset + q.limit
    branches = [
        _branch(k, v, q, now, tz, V.due_key, V.case_id).order_by(V.due_key, V.case_id).limit(reach).subquery()
        for k, v in principals
    ]
    merged = union_all(*(select(b.c.due_key, b.c.case_id) for b in branches)).subquery()
    page = (
        select(merged.c.due_key, merged.c.case_id)
        .distinct()
        .order_by(merged.c.due_key, merged.c.case_id)
        .limit(q.limit)
        .offset(q.offset)
        .subquery()
    )
    chosen = select(PqrsdCase).join(page, page.c.case_id == PqrsdCase.id)
    return list(session.scalars(chosen.order_by(page.c.due_key, page.c.case_id)))


def _criteria(q: CaseQuery, now: datetime, tz: ZoneInfo) -> list[ColumnElement[bool]]:
    """The filters over the rows' copies of the case's columns."""
    where: list[ColumnElement[bool]] = []
    for column, value in (
        (V.estado, q.estado),
        (V.tipo, q.tipo),
        (V.canal, q.canal),
        (V.dependencia, q.dependencia),
    ):
        if value is not None:
            where.append(column == value)
    if q.desde is not None:
        where.append(V.received_at >= datetime.combine(q.desde, time(0), tzinfo=tz))
    if q.hasta is not None:
        where.append(V.received_at < datetime.combine(q.hasta + timedelta(days=1), time(0), tzinfo=tz))
    if q.semaforo is not None:
        where.append(_semaforo_of_rows(q.semaforo, now))
    return where


def _semaforo_of_rows(colour: str, now: datetime) -> ColumnElement[bool]:
    opened = V.estado.not_in(CLOSED_STATUSES)
    if colour == "suspendida":
        return and_(opened, V.due_key == NO_DUE)
    if colour == "rojo":
        return and_(opened, V.due_key <= now)
    on_time = and_(opened, V.due_key > now, V.due_key < NO_DUE)
    if colour == "alerta":
        return and_(on_time, V.alerta_at <= now)
    if colour == "amarillo":
        return and_(on_time, V.amarillo_at <= now)
    return and_(on_time, or_(V.amarillo_at.is_(None), V.amarillo_at > now))


def _text(text: str) -> ColumnElement[bool]:
    like = f"%{text}%"
    digits = text.replace(".", "").replace(" ", "").upper()
    return or_(
        PqrsdCase.radicado.ilike(like),
        PqrsdCase.petitioner_name.ilike(like),
        PqrsdCase.document_number == digits,
        PqrsdCase.subject.ilike(like),
    )


def _query(q: CaseQuery, now: datetime, tz: ZoneInfo) -> Select[Any]:
    query = select(PqrsdCase)
    if q.text:
        query = query.where(_text(q.text))
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
