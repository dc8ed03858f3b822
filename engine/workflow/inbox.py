"""The staff inbox: task lists over the task table with the semáforo of each task's term."""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from engine.context import Context
from engine.errors import BadInput
from engine.identity.users import UserView
from engine.legal.calendar import BusinessCalendar, CalendarUnavailable
from engine.legal.semaforo import Colour, share_used
from engine.legal.semaforo import colour as term_colour
from engine.limits import MAX_PAGE, bounded_int
from engine.workflow import views
from engine.workflow.records import InboxTask, TaskRecord

Semaforo = Colour
# Ley 1755 terms are watched from half the term on (PQRSD_RULES §9: "alert at 50% of term").
AMARILLO_DESDE = 0.5
VIEWS = ("mias", "dependencia", "todas")
DUE_WINDOWS = ("vencidas", "hoy", "semana")
PRIORITIES = {"alta": (51, None), "normal": (50, 50), "baja": (None, 49)}
ORDERS = ("due", "priority")
PER_PAGE = 25


@dataclass(frozen=True)
class InboxQuery:
    view: str = "mias"  # mias = assigned to me; dependencia = my groups', unclaimed; todas = all I may see
    process_key: str | None = None
    due: str | None = None  # vencidas | hoy | semana
    priority: str | None = None  # alta | normal | baja
    text: str | None = None
    order: str = "due"
    page: int = 1
    per_page: int = PER_PAGE
    cursor: str | None = None  # `desde`: the page after this cursor (a "Siguiente" link)


def semaforo(
    created_at: datetime,
    due_at: datetime | None,
    now: datetime,
    tz: str = "America/Bogota",
    amarillo_from: float = AMARILLO_DESDE,
) -> tuple[Semaforo | None, float | None]:
    """Colour and share of the term used; business days count when the term spans any."""
    if due_at is None:
        return None, None
    if now >= due_at:
        return "rojo", max(1.0, _share(created_at, due_at, now, tz))
    share = _share(created_at, due_at, now, tz)
    return ("amarillo" if share >= amarillo_from else "verde"), share


def _share(created_at: datetime, due_at: datetime, now: datetime, tz: str) -> float:
    zone = ZoneInfo(tz)
    start, end, today = (v.astimezone(zone).date() for v in (created_at, due_at, now))
    try:
        calendar = _calendar(frozenset(range(start.year, max(end.year, today.year) + 1)))
        if calendar.business_days_between(start, end) >= 1:
            return share_used(calendar, start, end, today)
    except CalendarUnavailable:
        pass
    total = (due_at - created_at).total_seconds()
    return 1.0 if total <= 0 else min(max((now - created_at).total_seconds() / total, 0.0), 1.0)


@functools.lru_cache(maxsize=8)
def _calendar(years: frozenset[int]) -> BusinessCalendar:
    return BusinessCalendar.colombia(years)  # pure and immutable: a memo, not state


def with_semaforo(
    task: TaskRecord, now: datetime, tz: str, amarillo_from: float = AMARILLO_DESDE
) -> InboxTask:
    """A case's task shows its case's legal clock: counted from the radicación, with the case's thresholds."""
    own = task["term_due_at"] if task["term_start"] is not None else task["due_at"]
    due = datetime.fromisoformat(own) if own else None
    if due is None:
        return InboxTask(**task, semaforo=None, term_used=None, alerta=False)
    if task["term_start"] is None:
        created = datetime.fromisoformat(task["created_at"]) if task["created_at"] else now
        colour, share = semaforo(created, due, now, tz, amarillo_from)
        return InboxTask(**task, semaforo=colour, term_used=_rounded(share), alerta=False)
    start = datetime.combine(date.fromisoformat(task["term_start"]), time(0), tzinfo=ZoneInfo(tz))
    share = _share(start, due, now, tz)
    amarillo, alerta = (
        datetime.fromisoformat(v) if v else None for v in (task["amarillo_at"], task["alerta_at"])
    )
    case_colour = term_colour(now, due, amarillo)
    used = max(share, 1.0) if case_colour == "rojo" else share
    return InboxTask(
        **task, semaforo=case_colour, term_used=_rounded(used), alerta=alerta is not None and now >= alerta
    )


def _rounded(share: float | None) -> float | None:
    return None if share is None else round(share, 3)


def parse_query(args: dict[str, str]) -> InboxQuery:
    """Inbox criteria from query-string text; unknown values are refused, not ignored."""

    def choice(name: str, allowed: Any, default: str | None = None) -> str | None:
        value = (args.get(name) or "").strip() or default
        if value is not None and value not in allowed:
            raise BadInput(f"Valor no válido para '{name}': {value}.", {name: "Valor no válido."})
        return value

    page = bounded_int(args.get("pagina"), "pagina", 1, minimum=1, maximum=MAX_PAGE)
    return InboxQuery(
        view=choice("vista", VIEWS, "mias") or "mias",
        process_key=(args.get("proceso") or "").strip() or None,
        due=choice("vencimiento", DUE_WINDOWS),
        priority=choice("prioridad", PRIORITIES),
        text=(args.get("texto") or "").strip()[:200] or None,
        order=choice("orden", ORDERS, "due") or "due",
        page=page,
        cursor=(args.get("desde") or "").strip()[:200] or None,
    )


class InboxPage(TypedDict):
    items: list[InboxTask]
    total: int
    capped: bool  # more than `total` tasks match ("1.000+")
    page: int  # the offset page; 0 once reached by a cursor
    pages: int  # 0 when the total is capped
    next: str | None  # cursor of the following page


def inbox(ctx: Context, user: UserView, q: InboxQuery) -> InboxPage:
    """One page of tasks: the page, then a count capped at task_pages.CAP unless the page ended before its
    size (its rows are then the rest of the list), whatever the page or the page size; "Siguiente" seeks from the page's last row (`desde`), so deep pages cost the same."""
    now = ctx.clock.now()
    criteria: dict[str, Any] = {
        "assignee_me": q.view == "mias",
        "candidate_me": q.view == "dependencia",
        "process_key": q.process_key,
        "text": q.text,
        "order": q.order,
        "limit": q.per_page,
        "offset": (q.page - 1) * q.per_page,
        "cursor": q.cursor,
    }
    if q.due == "vencidas":
        criteria["overdue_at"] = now
    elif q.due == "hoy":
        zone = ZoneInfo(ctx.settings.timezone)
        tomorrow = now.astimezone(zone).date() + timedelta(days=1)
        criteria["due_before"] = datetime.combine(tomorrow, time(0), tzinfo=zone)
    elif q.due == "semana":
        criteria["due_before"] = now + timedelta(days=7)
    if q.priority:
        criteria["min_priority"], criteria["max_priority"] = PRIORITIES[q.priority]
    found = views.task_page(ctx, views.task_filter_for(user, **criteria))
    total = found["total"]
    return {
        "items": [
            with_semaforo(t, now, ctx.settings.timezone, ctx.settings.semaforo_amarillo)
            for t in found["items"]
        ],
        "total": total,
        "capped": found["capped"],
        "page": 0 if q.cursor else q.page,
        "pages": 0 if found["capped"] else max(math.ceil(total / q.per_page), 1),
        "next": found["next"],
    }
