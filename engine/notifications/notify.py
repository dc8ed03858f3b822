"""`notify`: an event's in-app rows and outbox mail, by each recipient's preference, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.notifications import events
from engine.notifications.mail_text import mail_bodies
from engine.store import notifications as store


def notify(
    session: Session,
    ctx: Context,
    *,
    event: str,
    subject: str,
    body: str,
    link: str | None = None,
    users: Iterable[str] = (),
    groups: Iterable[str] = (),
    emails: Iterable[str] = (),
    instance_id: int | None = None,
    task_id: int | None = None,
    key: str | None = None,
) -> int:
    """Write the notifications of one event (never commits); returns how many recipients it addressed.

    Groups expand to their active members; `emails` are plain addresses (citizens), mail only. The
    same `key` reaches a recipient once. A user who chose e-mail but has no address, or when mail is
    off (no PHVA_SMTP_HOST), gets it in the app instead: nothing is lost silently.
    """
    subject = _one_line(subject)
    names, group_names = sorted(set(users)), sorted(set(groups))
    people = store.recipients(session, event, names, group_names) if names or group_names else []
    now = ctx.clock.now()
    in_app: list[dict[str, Any]] = []
    addresses: dict[str, str | None] = {}
    for person in people:
        channel = person.channel or events.DEFAULTS.get(event, events.BOTH)
        by_mail = channel in (events.EMAIL, events.BOTH) and bool(person.email) and ctx.mail is not None
        if by_mail and person.email:
            addresses.setdefault(person.email, person.username)
        if channel in (events.APP, events.BOTH) or (channel == events.EMAIL and not by_mail):
            in_app.append({
                "recipient": person.username, "event": event, "subject": subject, "body": body,
                "link": link, "instance_id": instance_id, "task_id": task_id, "key": key,
                "created_at": now, "read_at": None,
            })  # fmt: skip
    if ctx.mail is not None:
        for address in emails:
            if address and address.strip():
                addresses.setdefault(address.strip(), None)
    store.add_notifications(session, in_app)
    if addresses:
        text, html = mail_bodies(ctx, subject, body, link)
        queue_mail(session, ctx, addresses=addresses, event=event, subject=subject, text=text, html=html,
                   key=key, instance_id=instance_id)  # fmt: skip
    people_reached = {row["recipient"] for row in in_app} | {u for u in addresses.values() if u}
    return len(people_reached) + sum(1 for u in addresses.values() if u is None)


def queue_mail(
    session: Session,
    ctx: Context,
    *,
    addresses: dict[str, str | None],
    event: str,
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[dict[str, str]] | None = None,
    key: str | None = None,
    instance_id: int | None = None,
) -> None:
    """Outbox rows (address → username or None), sent by the scheduler's sender after this commits."""
    now = ctx.clock.now()
    store.add_mail(
        session,
        [
            {
                "recipient": address,
                "username": username,
                "subject": _one_line(subject),
                "body_text": text,
                "body_html": html,
                "attachments": list(attachments) if attachments else None,
                "event": event,
                "key": key,
                "instance_id": instance_id,
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "last_error": None,
                "message_id": None,
                "created_at": now,
                "sent_at": None,
            }
            for address, username in addresses.items()
        ],
    )


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
