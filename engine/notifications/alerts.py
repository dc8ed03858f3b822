"""Notices the engine raises by itself: a case reaching its 2/3 alert or its due moment, and incidents."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.notifications import events
from engine.notifications.notify import notify
from engine.store import notifications as store

CASES_MARK = "casos"


def notify_case_deadlines(
    session: Session, ctx: Context, *, since: datetime | None, closed: Collection[str]
) -> int:
    """Tell whoever holds each case that crossed its alert or due moment since the last scan; once per
    case and due date (a prórroga moves the date, so the new one is told again). Returns the cases."""
    now = ctx.clock.now()
    cases = store.cases_crossing(session, now=now, since=since, closed=closed)
    holders = store.open_task_holders(session, [c.instance_id for c in cases if c.instance_id is not None])
    tz = ZoneInfo(ctx.settings.timezone)
    for case in cases:
        people, groups = holders.get(case.instance_id or 0, (set(), set()))
        if not people:  # nobody took it yet: its dependencia (and the groups of its open tasks) hears
            groups = groups | ({case.dependencia} if case.dependencia else set())
        overdue = case.due_at <= now
        event = events.CASE_OVERDUE if overdue else events.CASE_DUE_SOON
        due = case.due_at.astimezone(tz).strftime("%d/%m/%Y %I:%M %p").lower()
        about = f"{case.radicado}" + (f" «{case.subject}»" if case.subject else "")
        if overdue:
            subject = f"PQRSD vencida: {case.radicado}"
            body = f"El término de la PQRSD {about} venció el {due} sin respuesta. Atiéndala cuanto antes."
        else:
            subject = f"PQRSD por vencer: {case.radicado}"
            body = (f"La PQRSD {about} ya usó 2/3 de su término y vence el {due}. "
                    "Responda antes del vencimiento.")  # fmt: skip
        notify(session, ctx, event=event, subject=subject, body=body, link=f"/pqrsd/{case.radicado}",
               users=people, groups=groups, instance_id=case.instance_id,
               key=f"{event}:{case.id}:{case.due_at.isoformat()}")  # fmt: skip
    return len(cases)


def notify_incidents(
    session: Session, ctx: Context, instance_id: int | None, messages: Sequence[str]
) -> None:
    """Administrators hear of every new incident (the incidents page lists and repairs them)."""
    if not messages:
        return
    admins = store.usernames_with_role(session, "admin")
    what = f"el proceso {instance_id}" if instance_id is not None else "el sistema"
    for message in messages:
        notify(session, ctx, event=events.INCIDENT, subject=f"Incidente en {what}", body=message,
               link=f"/procesos/{instance_id}" if instance_id is not None else None, users=admins,
               instance_id=instance_id)  # fmt: skip
