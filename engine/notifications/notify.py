"""`notify`: an event's in-app rows and outbox mail, by each recipient's preference, in the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.notifications import events
from engine.notifications.mail_text import mail_bodies
from engine.store import notifications as store


@dataclass(frozen=True)
class Notice:
    event: str
    subject: str
    body: str
    link: str | None = None
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    instance_id: int | None = None
    task_id: int | None = None
    key: str | None = None


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
    notice = Notice(event, subject, body, link, tuple(users), tuple(groups), tuple(emails), instance_id,
                    task_id, key)  # fmt: skip
    return notify_many(session, ctx, [notice])


def notify_many(session: Session, ctx: Context, notices: Sequence[Notice]) -> int:
    """Several notices in one query for their recipients and one insert per table (a save's new tasks)."""
    names = sorted({u for n in notices for u in n.users})
    group_names = sorted({g for n in notices for g in n.groups})
    wanted = sorted({n.event for n in notices})
    people = store.recipients(session, wanted, names, group_names) if names or group_names else []
    in_app: list[dict[str, Any]] = []
    mail: list[dict[str, Any]] = []
    reached = 0
    for notice in notices:
        named, teams = set(notice.users), set(notice.groups)
        addressed = [p for p in people if p.username in named or not teams.isdisjoint(p.groups)]
        rows, addresses = _plan(ctx, notice, addressed)
        in_app += rows
        if addresses:
            text, html = mail_bodies(ctx, notice.subject, notice.body, notice.link)
            mail += mail_rows(ctx, addresses=addresses, event=notice.event, subject=notice.subject, text=text,
                              html=html, key=notice.key, instance_id=notice.instance_id)  # fmt: skip
        reached += len({r["recipient"] for r in rows} | {u for u in addresses.values() if u})
        reached += sum(1 for u in addresses.values() if u is None)
    store.add_notifications(session, in_app)
    store.add_mail(session, mail)
    return reached


def notify_members(session: Session, ctx: Context, notice: Notice) -> None:
    """`notify_many` of one keyed notice with no plain addresses, returning nothing: each recipient's rows by
    the same rules as `_plan`, written by one INSERT … SELECT per table instead of read and written here."""
    if notice.emails or notice.key is None:  # unkeyed: _plan keeps one message per address itself
        notify_many(session, ctx, [notice])
        return
    if not notice.users and not notice.groups:
        return
    now = ctx.clock.now()
    subject = _one_line(notice.subject)
    row = {
        "event": notice.event, "subject": subject, "body": notice.body, "link": notice.link,
        "instance_id": notice.instance_id, "task_id": notice.task_id, "key": notice.key, "created_at": now,
    }  # fmt: skip
    default = events.DEFAULTS.get(notice.event, events.BOTH)
    if ctx.mail is None:  # e-mail chosen, and no mail: in the app instead
        channels = store.MemberChannels(default, (events.APP, events.EMAIL, events.BOTH), (), ())
        mail = None
    else:
        channels = store.MemberChannels(default, (events.APP, events.BOTH), (events.EMAIL,),
                                        (events.EMAIL, events.BOTH))  # fmt: skip
        text, html = mail_bodies(ctx, notice.subject, notice.body, notice.link)
        mail = {
            "subject": subject, "body_text": text, "body_html": html, "attachments": None, "event": notice.event,
            "key": notice.key,
            "instance_id": notice.instance_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
            "created_at": now,
        }  # fmt: skip
    store.add_member_notices(session, row, mail, users=sorted(set(notice.users)),
                             groups=sorted(set(notice.groups)), channels=channels)  # fmt: skip


def _plan(
    ctx: Context, notice: Notice, people: Sequence[store.Recipient]
) -> tuple[list[dict[str, Any]], dict[str, str | None]]:
    """The in-app rows and the addresses (→ username, None for a citizen) of one notice."""
    now = ctx.clock.now()
    subject = _one_line(notice.subject)
    rows: list[dict[str, Any]] = []
    addresses: dict[str, str | None] = {}
    for person in people:
        channel = person.channels.get(notice.event) or events.DEFAULTS.get(notice.event, events.BOTH)
        by_mail = channel in (events.EMAIL, events.BOTH) and bool(person.email) and ctx.mail is not None
        if by_mail and person.email:
            addresses.setdefault(person.email, person.username)
        if channel in (events.APP, events.BOTH) or (channel == events.EMAIL and not by_mail):
            rows.append({
                "recipient": person.username, "event": notice.event, "subject": subject, "body": notice.body,
                "link": notice.link, "instance_id": notice.instance_id, "task_id": notice.task_id,
                "key": notice.key, "created_at": now, "read_at": None,
            })  # fmt: skip
    if ctx.mail is not None:
        for address in notice.emails:
            if address and address.strip():
                addresses.setdefault(address.strip(), None)
    return rows, addresses


def queue_mail(session: Session, ctx: Context, **message: Any) -> None:
    """Outbox rows written now, sent by the scheduler's sender once this transaction commits."""
    store.add_mail(session, mail_rows(ctx, **message))


def mail_rows(
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
) -> list[dict[str, Any]]:
    """Outbox rows, one per address (→ username, or None for a citizen's address)."""
    now = ctx.clock.now()
    return [
        {
            "recipient": address, "username": username, "subject": _one_line(subject), "body_text": text,
            "body_html": html, "attachments": list(attachments) if attachments else None, "event": event,
            "key": key, "instance_id": instance_id, "status": "pending", "attempts": 0, "next_attempt_at": now,
            "last_error": None, "message_id": None, "created_at": now, "sent_at": None,
        }
        for address, username in addresses.items()
    ]  # fmt: skip


def _one_line(text: str) -> str:
    return " ".join(text.split())[:300]
