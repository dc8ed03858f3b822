"""The dashboard's lists (read only): the open PQRSD or open tasks behind a count, paged in SQL.

A page costs four statements whatever its size: the count (capped at CAP: "1.000+"), the page, the page's
open tasks (who is responsible for each case) and the page's last activity (the audit trail of its instances).
For the entity or one dependencia, without a text search, count and page are index ranges over the
dashboard's rows (`supervision_items`): a semáforo list seeks on the moment its colour ends (rojo and alerta:
the due date; amarillo: the 2/3 alert; verde: the amarillo moment), so it is listed in the order its rows
change colour. Otherwise they read the case and task tables.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, func, literal, not_, select, tuple_
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput
from engine.identity.users import UserView
from engine.limits import BIGINT_MAX
from engine.pqrsd.views import business_days_left
from engine.store.legal_tables import PqrsdCase
from engine.store.supervision_tables import NO_DUE
from engine.store.supervision_tables import SupervisionItem as I
from engine.store.supervision_tables import SupervisionState as S
from engine.store.tables import AuditEvent, Task, UtcDateTime
from engine.store.uow import UnitOfWork
from engine.supervision import counters
from engine.supervision import semaforo_sql as sem
from engine.supervision.filters import NONE, SupervisionQuery
from engine.supervision.scope import (
    Watch,
    case_dependencia,
    cases_query,
    for_counting,
    task_colour,
    tasks_query,
    watch_for,
)

MAX_EXPORT = 10_000
CAP = 1000  # a list counts up to here; past it, "1.000+"


class Item(TypedDict):
    kind: str  # caso | tarea
    task_id: int | None  # tareas only
    tarea: str | None
    proceso: str | None
    radicado: str | None
    asunto: str | None
    tipo: str | None
    canal: str | None
    dependencia: str | None  # the case's; for a task, the dependencias it is offered to
    responsable: str | None  # who holds it: the assignee(s), else the dependencias it is offered to
    vence_el: str | None  # local date
    dias_habiles: int | None  # business days left, negative once overdue; None without a term
    semaforo: str
    ultima_actividad: str | None
    instance_id: int | None


class ItemPage(TypedDict):
    ver: str
    items: list[Item]
    total: int
    capped: bool  # more than `total` rows match
    page: int  # the OFFSET page; 0 once reached by a cursor
    pages: int
    per_page: int
    next: str | None  # the cursor of the following page (`desde` on the page, `cursor` in the API)


def items(ctx: Context, user: UserView, q: SupervisionQuery) -> ItemPage:
    w = watch_for(ctx, user)
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        scope = _scope(w, q)
        if scope is not None:
            found, total, following = _seek(ctx, session, w, q, scope)
        else:
            for_counting(session)
            found, total, following = (_cases if q.ver == "casos" else _tasks)(session, w, q)
        tz = ZoneInfo(ctx.settings.timezone)
        last = _last_activity(session, [i["instance_id"] for i in found])
    for item in found:
        due = item["vence_el"]
        item["vence_el"] = datetime.fromisoformat(due).astimezone(tz).date().isoformat() if due else None
        item["dias_habiles"] = business_days_left(ctx, item["vence_el"])
        moment = last.get(item["instance_id"]) if item["instance_id"] is not None else None
        item["ultima_actividad"] = moment.isoformat() if moment is not None else item["ultima_actividad"]
    return ItemPage(
        ver=q.ver,
        items=found,
        total=min(total, CAP),
        capped=total > CAP,
        page=0 if q.cursor else q.page,
        pages=max(math.ceil(min(total, CAP) / q.per_page), q.page + (1 if following else 0), 1),
        per_page=q.per_page,
        next=following,
    )


def export(ctx: Context, user: UserView, q: SupervisionQuery) -> list[Item]:
    """Every matching row (up to MAX_EXPORT), for the CSV."""
    return items(ctx, user, replace(q, page=1, per_page=MAX_EXPORT, cursor=None))["items"]


def _scope(w: Watch, q: SupervisionQuery) -> str | None:
    if q.q is not None:
        return None
    if w.groups is None:
        return ""
    return w.groups[0] if len(w.groups) == 1 else None


def _seek(
    ctx: Context, session: Session, w: Watch, q: SupervisionQuery, scope: str
) -> tuple[list[Item], int, str | None]:
    section = "caso" if q.ver == "casos" else "tarea"
    where = [I.section == section, I.scope == scope, *_criteria(q, section, w.now)]
    where.append(I.dependencia == q.dependencia if q.dependencia is not None else I.first.is_(True))
    key = _seek_key(q.semaforo)
    share = select(S.amarillo_share).where(S.id == 1).scalar_subquery()
    counted = select(I.item_id).where(*where).limit(CAP + 1).subquery()
    total, stored = session.execute(select(func.count(), share).select_from(counted)).one()
    if stored is None or abs(stored - w.amarillo_share) > 1e-9:
        session.rollback()
        counters.ensure_state(ctx.db, w.amarillo_share, w.now)
        total = session.scalar(select(func.count()).select_from(counted)) or 0
    shape = f"{q.ver}.{key.key}"
    after = _after(q, shape)
    chosen = select(I.item_id, I.dependencia, I.e1, I.e2, I.e3, I.no_term).where(*where)
    if after is not None:
        chosen = chosen.where(tuple_(key, I.item_id) > tuple_(_at(after[0]), literal(after[1])))
    ranged = chosen.order_by(key, I.item_id).limit(q.per_page + 1).offset(q.offset if after is None else 0)
    page = ranged.subquery()
    if section == "caso":
        rows = session.execute(
            select(PqrsdCase, page.c.dependencia, page.c.e1, page.c.e2, page.c.e3, page.c.no_term)
            .join(page, page.c.item_id == PqrsdCase.id)
            .order_by(getattr(page.c, key.key), page.c.item_id)
        ).all()
        following = _cursor(
            shape, rows, q.per_page, lambda r: ({"e1": r[2], "e2": r[3], "e3": r[4]}[key.key], r[0].id)
        )
        rows = rows[: q.per_page]
        holders = _holders(session, [r[0].instance_id for r in rows if r[0].instance_id is not None])
        found = [
            Item(kind="caso", task_id=None, tarea=None, proceso="pqrsd", radicado=c.radicado, asunto=c.subject,
                 tipo=c.kind, canal=c.channel, dependencia=_value(dependencia),
                 responsable=holders.get(c.instance_id) or _value(dependencia), vence_el=_iso(c.due_at),
                 dias_habiles=None, semaforo=_colour(w.now, e1, e2, e3, no_term),
                 ultima_actividad=_iso(c.updated_at), instance_id=c.instance_id)
            for c, dependencia, e1, e2, e3, no_term in rows
        ]  # fmt: skip
        return found, total, following
    task_rows = session.execute(
        select(Task, PqrsdCase.radicado, PqrsdCase.subject, PqrsdCase.kind, PqrsdCase.channel,
               page.c.e1, page.c.e2, page.c.e3, page.c.no_term)
        .join(page, page.c.item_id == Task.id)
        .outerjoin(PqrsdCase, PqrsdCase.instance_id == Task.instance_id)
        .order_by(getattr(page.c, key.key), page.c.item_id)
    ).all()  # fmt: skip
    following = _cursor(
        shape, task_rows, q.per_page, lambda r: ({"e1": r[5], "e2": r[6], "e3": r[7]}[key.key], r[0].id)
    )
    found = [
        Item(kind="tarea", task_id=t.id, tarea=t.name, proceso=t.process_key, radicado=radicado,
             asunto=subject, tipo=kind, canal=channel, dependencia=", ".join(t.candidate_groups) or None,
             responsable=t.assignee or ", ".join(t.candidate_groups) or None,
             vence_el=_iso(e3) if e3 < NO_DUE else None, dias_habiles=None,
             semaforo=_colour(w.now, e1, e2, e3, no_term), ultima_actividad=_iso(t.claimed_at or t.created_at),
             instance_id=t.instance_id)
        for t, radicado, subject, kind, channel, e1, e2, e3, no_term in task_rows[: q.per_page]
    ]  # fmt: skip
    return found, total, following


def _criteria(q: SupervisionQuery, section: str, now: datetime) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if q.semaforo == "rojo":
        where.append(I.e3 <= now)
    elif q.semaforo == "alerta":
        where += [I.e2 <= now, I.e3 > now]
    elif q.semaforo == "amarillo":
        where += [I.e1 <= now, I.e2 > now]
    elif q.semaforo == "verde":
        where += [I.e1 > now, I.no_term == ""]
    elif q.semaforo is not None:
        where.append(I.no_term == q.semaforo)
    for column, value in ((I.tipo, q.tipo), (I.canal, q.canal)):
        if value is not None:
            where.append(column == value)
    if section == "tarea":
        if q.funcionario is not None:
            where.append(I.funcionario == q.funcionario)
        if q.proceso is not None:
            where.append(I.proceso == q.proceso)
    elif q.funcionario is not None:  # a case is held by whoever holds one of its open tasks
        assigned = Task.assignee.is_not(None) if q.funcionario == NONE else Task.assignee == q.funcionario
        held = I.instance_id.in_(select(Task.instance_id).where(Task.state == "ready", assigned))
        where.append(not_(held) if q.funcionario == NONE else held)
    return where


def _seek_key(semaforo: str | None) -> Any:
    return {"amarillo": I.e2, "verde": I.e1}.get(semaforo or "", I.e3)


def _colour(now: datetime, e1: datetime, e2: datetime, e3: datetime, no_term: str) -> str:
    if no_term:
        return no_term
    return "rojo" if e3 <= now else "alerta" if e2 <= now else "amarillo" if e1 <= now else "verde"


def _value(value: str) -> str | None:
    return None if value == NONE else value


def _cases(session: Session, w: Watch, q: SupervisionQuery) -> tuple[list[Item], int, str | None]:
    total = _count(session, cases_query(session, w, q, PqrsdCase.id).limit(CAP + 1))
    colour = sem.case_colour(w.now).label("colour")
    query = cases_query(session, w, q, PqrsdCase, colour, case_dependencia().label("dependencia"))
    rows = session.execute(_ordered(query, q, "casos.due", PqrsdCase.due_at, PqrsdCase.id)).all()
    following = _cursor("casos.due", rows, q.per_page, lambda r: (r[0].due_at or NO_DUE, r[0].id))
    rows = rows[: q.per_page]
    holders = _holders(session, [r[0].instance_id for r in rows if r[0].instance_id is not None])
    found = [
        Item(kind="caso", task_id=None, tarea=None, proceso="pqrsd", radicado=c.radicado, asunto=c.subject,
             tipo=c.kind, canal=c.channel, dependencia=dependencia,
             responsable=holders.get(c.instance_id) or dependencia, vence_el=_iso(c.due_at),
             dias_habiles=None, semaforo=colour, ultima_actividad=_iso(c.updated_at), instance_id=c.instance_id)
        for c, colour, dependencia in rows
    ]  # fmt: skip
    return found, total, following


def _tasks(session: Session, w: Watch, q: SupervisionQuery) -> tuple[list[Item], int, str | None]:
    total = _count(session, tasks_query(session, w, q, Task.id).limit(CAP + 1))
    due = sem.task_due().label("term_due")
    query = tasks_query(
        session, w, q, Task, PqrsdCase.radicado, PqrsdCase.subject, PqrsdCase.kind, PqrsdCase.channel,
        due, task_colour(session, w).label("colour"),
    )  # fmt: skip
    rows = session.execute(_ordered(query, q, "tareas.due", sem.task_due(), Task.id)).all()
    following = _cursor("tareas.due", rows, q.per_page, lambda r: (r[5] or NO_DUE, r[0].id))
    rows = rows[: q.per_page]
    found = [
        Item(kind="tarea", task_id=t.id, tarea=t.name, proceso=t.process_key, radicado=radicado,
             asunto=subject, tipo=kind, canal=channel, dependencia=", ".join(t.candidate_groups) or None,
             responsable=t.assignee or ", ".join(t.candidate_groups) or None, vence_el=_iso(term_due),
             dias_habiles=None, semaforo=colour, ultima_actividad=_iso(t.claimed_at or t.created_at),
             instance_id=t.instance_id)
        for t, radicado, subject, kind, channel, term_due, colour in rows
    ]  # fmt: skip
    return found, total, following


def _ordered(query: Select[Any], q: SupervisionQuery, shape: str, due: Any, item_id: Any) -> Select[Any]:
    """The page in due order (no due date last), one row more to tell whether another follows; after the
    cursor's row when there is one, else from the OFFSET page."""
    key = func.coalesce(due, _at(NO_DUE))
    after = _after(q, shape)
    if after is not None:
        query = query.where(tuple_(key, item_id) > tuple_(_at(after[0]), literal(after[1])))
    return query.order_by(key, item_id).limit(q.per_page + 1).offset(q.offset if after is None else 0)


# A cursor names the list's order (casos or tareas, by which moment) and the last row's key: a page read
# with it starts right after that row, whatever was added or closed before it meanwhile.
def _cursor(
    shape: str, rows: Sequence[Any], size: int, key: Callable[[Any], tuple[datetime, int]]
) -> str | None:
    if len(rows) <= size:
        return None
    return encode_cursor(shape, *key(rows[size - 1]))


def encode_cursor(shape: str, moment: datetime, item_id: int) -> str:
    """`shape`: the list and its order, as `casos.e3` (dashboard rows) or `tareas.due` (the tables)."""
    raw = f"{shape}|{moment.astimezone(UTC).isoformat()}|{item_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _after(q: SupervisionQuery, shape: str) -> tuple[datetime, int] | None:
    if q.cursor is None:
        return None
    try:
        raw = base64.urlsafe_b64decode(q.cursor + "=" * (-len(q.cursor) % 4)).decode()
        named, moment_text, id_text = raw.split("|")
        moment, item_id = datetime.fromisoformat(moment_text), int(id_text)
        if named != shape or moment.tzinfo is None or not 0 <= item_id <= BIGINT_MAX:
            raise ValueError(named)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadInput(
            "El cursor de la página no es válido para esta lista: siga el enlace «Siguiente».",
            {"cursor": "Cursor no válido."},
        ) from None
    return moment, item_id


def _at(moment: datetime) -> Any:
    return literal(moment, UtcDateTime())


def _count(session: Session, query: Any) -> int:
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def _holders(session: Session, instance_ids: list[int]) -> dict[int, str]:
    """Who holds each case: the assignees of its open tasks, else the dependencias they are offered to."""
    if not instance_ids:
        return {}
    rows = session.execute(
        select(Task.instance_id, Task.assignee, Task.candidate_groups)
        .where(Task.instance_id.in_(instance_ids), Task.state == "ready")
        .order_by(Task.id)
    )
    people: dict[int, list[str]] = {}
    groups: dict[int, list[str]] = {}
    for instance_id, assignee, candidate_groups in rows:
        if assignee:
            people.setdefault(instance_id, []).append(assignee)
        groups.setdefault(instance_id, []).extend(candidate_groups or ())
    return {i: ", ".join(_unique(people.get(i) or groups.get(i) or [])) for i in set(people) | set(groups)}


def _last_activity(session: Session, instance_ids: Iterable[int | None]) -> dict[int, datetime]:
    ids = sorted({i for i in instance_ids if i is not None})
    if not ids:
        return {}
    rows = session.execute(
        select(AuditEvent.instance_id, func.max(AuditEvent.at))
        .where(AuditEvent.instance_id.in_(ids))
        .group_by(AuditEvent.instance_id)
    )
    return {instance_id: _aware(at) for instance_id, at in rows if instance_id is not None and at is not None}


def _aware(value: Any) -> datetime:
    # An aggregate comes back without the column's type: SQLite gives the stored text.
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=ZoneInfo("UTC"))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(values))
