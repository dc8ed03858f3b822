"""The heatmap of a process version (read only): per activity, its open, overdue and completed tasks (over a
period) and the mean business days a task spent there — one aggregate statement, the days on the calendar."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy import Date, and_, case, cast, func, or_, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Forbidden, NotFound
from engine.identity import access
from engine.identity.users import UserView
from engine.modeling.parser import BPMN_NS
from engine.modeling.xml import parse_xml
from engine.pqrsd import legal_data as legal
from engine.store import definitions as definition_store
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import ProcessDefinition, ProcessInstance, Task
from engine.store.uow import UnitOfWork
from engine.supervision import semaforo_sql as sem
from engine.supervision.scope import Watch, for_counting, watch_for, watched_tasks

DEFAULT_DAYS = 30
MAX_DAYS = 3 * 366


@dataclass(frozen=True)
class Period:
    desde: date  # local days, both included
    hasta: date


class Activity(TypedDict):
    id: str
    name: str
    abiertas: int
    vencidas: int
    completadas: int  # in the period
    dias_promedio: float | None  # mean business days from creation to completion, completed in the period


class Heatmap(TypedDict):
    key: str
    version: int
    name: str
    desde: str
    hasta: str
    activities: list[Activity]


class Version(TypedDict):
    key: str
    version: int
    name: str


def parse_period(args: dict[str, str], ctx: Context) -> Period:
    today = legal.local_date_of(ctx, ctx.clock.now())

    def day(name: str, default: date) -> date:
        raw = (args.get(name) or "").strip()
        try:
            return date.fromisoformat(raw) if raw else default
        except ValueError:
            raise BadInput(f"'{name}' debe ser una fecha AAAA-MM-DD.", {name: "Fecha AAAA-MM-DD."}) from None

    hasta = day("hasta", today)
    desde = day("desde", hasta - timedelta(days=DEFAULT_DAYS - 1))
    if desde > hasta:
        raise BadInput(
            "El periodo empieza después de terminar: revise 'desde' y 'hasta'.", {"desde": "Posterior."}
        )
    if (hasta - desde).days > MAX_DAYS:
        raise BadInput("El periodo admite hasta tres años.", {"desde": "Periodo demasiado largo."})
    return Period(desde, hasta)


def versions(ctx: Context, user: UserView) -> list[Version]:
    _watch(ctx, user)
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(ProcessDefinition.key, ProcessDefinition.version, ProcessDefinition.name).order_by(
                ProcessDefinition.key, ProcessDefinition.version.desc()
            )
        )
        return [Version(key=k, version=v, name=n or k) for k, v, n in rows]


def heatmap(ctx: Context, user: UserView, key: str, version: int, period: Period) -> Heatmap:
    return _heatmap(ctx, user, key, version, period)[0]


def _heatmap(ctx: Context, user: UserView, key: str, version: int, period: Period) -> tuple[Heatmap, str]:
    w = _watch(ctx, user)
    with UnitOfWork(ctx.db, write=False) as uow:
        name, xml = _definition(uow.session, key, version)
        for_counting(uow.session)
        rows = uow.session.execute(_statement(uow.session, ctx, w, key, version, period)).all()
    stats: dict[str, dict[str, Any]] = {}
    for bpmn_id, open_, overdue, done, created_day, completed_day, n in rows:
        into = stats.setdefault(bpmn_id, {"abiertas": 0, "vencidas": 0, "completadas": 0, "spans": []})
        into["abiertas"] += int(open_ or 0)
        into["vencidas"] += int(overdue or 0)
        into["completadas"] += int(done or 0)
        if created_day is not None and completed_day is not None:
            into["spans"].append((_day(created_day), _day(completed_day), int(n)))
    means = _mean_days(ctx, stats)
    activities = [
        Activity(id=i, name=label, abiertas=s.get("abiertas", 0), vencidas=s.get("vencidas", 0),
                 completadas=s.get("completadas", 0), dias_promedio=means.get(i))
        for i, label in _user_tasks(xml, key).items()
        for s in [stats.get(i, {})]
    ]  # fmt: skip
    found = Heatmap(key=key, version=version, name=name, desde=period.desde.isoformat(),
                    hasta=period.hasta.isoformat(), activities=activities)  # fmt: skip
    return found, xml


def heatmap_diagram(ctx: Context, user: UserView, key: str, version: int, period: Period) -> dict[str, Any]:
    """What the diagram viewer draws (web/static/js/diagram.js): the XML, markers and one badge per activity."""
    found, xml = _heatmap(ctx, user, key, version, period)
    shown = [a for a in found["activities"] if a["abiertas"] or a["completadas"]]
    return {
        "xml": xml,
        "active": [a["id"] for a in shown if a["abiertas"]],
        "overdue": [a["id"] for a in shown if a["vencidas"]],
        "completed": [a["id"] for a in shown if a["completadas"]],
        "incidents": [],
        "called_in": {},
        "badges": [
            {"id": a["id"], "overdue": a["vencidas"] > 0, "label": badge(a), "title": a["name"]}
            for a in shown
        ],
    }


def badge(a: Activity) -> str:
    days = f" · {a['dias_promedio']:.1f} d".replace(".", ",") if a["dias_promedio"] is not None else ""
    return f"{a['abiertas']} ab. · {a['vencidas']} venc. · {a['completadas']} hechas{days}"


def _watch(ctx: Context, user: UserView) -> Watch:
    if user.has_role("analista") and not access.may_watch(user):
        return Watch(
            user, ctx.clock.now(), None, ctx.settings.semaforo_amarillo
        )  # models need the whole picture
    try:
        return watch_for(ctx, user)
    except Forbidden:
        raise Forbidden("El mapa de calor es para supervisores, analistas y administradores.") from None


def _definition(session: Session, key: str, version: int) -> tuple[str, str]:
    found = definition_store.version_name_and_xml(session, key, version)
    if found is None:
        raise NotFound(f"No existe la versión {version} del proceso '{key}'.")
    return found[0] or key, found[1]


def _statement(session: Session, ctx: Context, w: Watch, key: str, version: int, period: Period) -> Any:
    tz = ZoneInfo(ctx.settings.timezone)
    start = datetime.combine(period.desde, time(0), tzinfo=tz)
    end = datetime.combine(period.hasta + timedelta(days=1), time(0), tzinfo=tz)
    is_open = Task.state == "ready"
    done = and_(Task.state == "completed", Task.completed_at >= start, Task.completed_at < end)
    inner = (
        select(
            Task.bpmn_id,
            case((is_open, 1), else_=0).label("open_"),
            case((and_(is_open, sem.task_due() <= w.now), 1), else_=0).label("overdue"),
            case((done, 1), else_=0).label("done"),
            case((done, _local_day(session, Task.created_at, tz, w.now)), else_=None).label("created_day"),
            case((done, _local_day(session, Task.completed_at, tz, w.now)), else_=None).label(
                "completed_day"
            ),
        )
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .outerjoin(PqrsdCase, PqrsdCase.instance_id == Task.instance_id)
        .where(ProcessInstance.process_key == key, ProcessInstance.version == version, or_(is_open, done))
    )
    if w.groups is not None:
        inner = inner.where(Task.id.in_(watched_tasks(w.groups)))
    rows = inner.subquery()
    return select(
        rows.c.bpmn_id,
        func.sum(rows.c.open_),
        func.sum(rows.c.overdue),
        func.sum(rows.c.done),
        rows.c.created_day,
        rows.c.completed_day,
        func.count(),
    ).group_by(rows.c.bpmn_id, rows.c.created_day, rows.c.completed_day)


def _local_day(session: Session, column: Any, tz: ZoneInfo, now: datetime) -> Any:
    """The local calendar day of a stored UTC moment; SQLite applies the zone's current offset (exact for
    Colombia, which keeps no daylight saving time)."""
    if session.get_bind().dialect.name == "sqlite":
        offset = now.astimezone(tz).utcoffset() or timedelta(0)
        return func.date(column, f"{int(offset.total_seconds())} seconds")
    return cast(func.timezone(tz.key, column), Date)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _mean_days(ctx: Context, stats: dict[str, dict[str, Any]]) -> dict[str, float]:
    spans = [s for found in stats.values() for s in found["spans"]]
    if not spans:
        return {}
    years = range(min(a.year for a, _, _ in spans) - 1, max(b.year for _, b, _ in spans) + 2)
    calendar = legal.snapshot(ctx, years).calendar
    means: dict[str, float] = {}
    for bpmn_id, found in stats.items():
        count = sum(n for _, _, n in found["spans"])
        if count:
            days = sum(calendar.business_days_between(a, b) * n for a, b, n in found["spans"])
            means[bpmn_id] = round(days / count, 1)
    return means


def _user_tasks(xml: str, key: str) -> dict[str, str]:
    """The process's user tasks in document order, with their names."""
    root = parse_xml(xml.encode())
    process = next((p for p in root.iterfind(f"{{{BPMN_NS}}}process") if p.get("id") == key), None)
    if process is None:
        return {}
    return {
        str(t.get("id")): t.get("name") or str(t.get("id")) for t in process.iter(f"{{{BPMN_NS}}}userTask")
    }
