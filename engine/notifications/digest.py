"""The daily digest: each person's tasks overdue and about to be, by mail at PHVA_DIGEST_HOUR on business days."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.notifications import events
from engine.notifications.mail_text import absolute
from engine.notifications.notify import notify
from engine.store import notifications as store
from engine.store.notifications import DueTask

DIGEST_MARK = "resumen_diario"
HORIZON_DAYS = 3  # "por vencer": due by the end of the third business day after today


def digest_day(ctx: Context, now: datetime) -> date | None:
    """Today's local date once the digest's hour has come, else None."""
    local = now.astimezone(ZoneInfo(ctx.settings.timezone))
    return local.date() if local.hour >= ctx.settings.digest_hour else None


def is_business_day(ctx: Context, day: date) -> bool:
    """By the entity's legal calendar (holidays, closures, its Saturday rule)."""
    return bool(ctx.functions["es_dia_habil"](day.isoformat()))


def send_digests(session: Session, ctx: Context, today: date) -> int:
    """One digest per person with something overdue or about to be; returns how many people."""
    now = ctx.clock.now()
    horizon = datetime.fromisoformat(str(ctx.functions["dias_habiles"](today.isoformat(), HORIZON_DAYS)))
    by_person: dict[str, list[DueTask]] = defaultdict(list)
    for task in store.tasks_due_by(session, horizon):
        by_person[task.assignee].append(task)
    tz = ZoneInfo(ctx.settings.timezone)
    for person, items in by_person.items():
        overdue = [t for t in items if t.due_at <= now]
        soon = [t for t in items if t.due_at > now]
        parts = [f"Buenos días. Este es su resumen del {today.strftime('%d/%m/%Y')}."]
        if overdue:
            parts.append(f"Vencidas ({len(overdue)}):\n" + "\n".join(_line(ctx, t, tz) for t in overdue))
        if soon:
            parts.append(
                f"Por vencer en los próximos {HORIZON_DAYS} días hábiles ({len(soon)}):\n"
                + "\n".join(_line(ctx, t, tz) for t in soon)
            )
        notify(session, ctx, event=events.DIGEST, users=[person], link="/tareas",
               subject=f"Resumen diario: {len(overdue)} vencida(s), {len(soon)} por vencer",
               body="\n\n".join(parts), key=f"{events.DIGEST}:{today.isoformat()}")  # fmt: skip
    return len(by_person)


def _line(ctx: Context, task: DueTask, tz: ZoneInfo) -> str:
    case = f" — {task.business_key}" if task.business_key else ""
    due = task.due_at.astimezone(tz).strftime("%d/%m/%Y")
    return f"- {task.name}{case}, vence el {due}: {absolute(ctx, f'/tareas/{task.id}')}"
