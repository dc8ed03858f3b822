"""Notification rows as the notification use cases read and write them, with prebuilt statements."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    CursorResult,
    Insert,
    Table,
    Text,
    and_,
    bindparam,
    delete,
    func,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.store.notification_tables import (
    MailOutbox,
    Notification,
    NotificationMark,
    NotificationPreference,
)
from engine.store.tables import User, UtcDateTime

_N, _O, _P, _M, _U = (
    cast(Table, m.__table__)
    for m in (Notification, MailOutbox, NotificationPreference, NotificationMark, User)
)


def _insert_ignoring_duplicates(table: Table) -> dict[str, Insert]:
    """A keyed row already written for that recipient is skipped (the event notified them once)."""
    return {
        "postgresql": postgresql.insert(table).on_conflict_do_nothing(index_elements=["recipient", "key"]),
        "sqlite": sqlite.insert(table).on_conflict_do_nothing(index_elements=["recipient", "key"]),
    }


_INSERT_NOTIFICATIONS = _insert_ignoring_duplicates(_N)
_INSERT_OUTBOX = _insert_ignoring_duplicates(_O)
_UNREAD = (
    select(func.count()).select_from(_N).where(_N.c.recipient == bindparam("user"), _N.c.read_at.is_(None))
)
_MARK_READ = (
    update(_N)
    .where(_N.c.recipient == bindparam("user"), _N.c.read_at.is_(None))
    .values(read_at=bindparam("now", type_=UtcDateTime()))
)


class Recipient(NamedTuple):
    username: str
    email: str | None
    groups: tuple[str, ...]
    channel: str | None  # None: no preference stored for the event


def recipients(session: Session, event: str, users: Sequence[str], groups: Sequence[str]) -> list[Recipient]:
    """Active users named, or members of the groups named, with their preference for `event`: one query."""
    if not users and not groups:
        return []
    # Groups are a JSON list: a LIKE on its text finds the candidates portably; the exact match is below.
    wanted = [_U.c.username.in_(list(users))] if users else []
    wanted += [_U.c.groups.cast(Text).like(f'%"{g}"%') for g in groups]
    query = (
        select(_U.c.username, _U.c.email, _U.c.groups, _P.c.channel)
        .outerjoin(_P, and_(_P.c.username == _U.c.username, _P.c.event == event))
        .where(_U.c.active == true(), or_(*wanted))
    )
    named, wanted_groups = set(users), set(groups)
    return [
        Recipient(r.username, r.email, tuple(r.groups or ()), r.channel)
        for r in session.execute(query)
        if r.username in named or wanted_groups.intersection(r.groups or ())
    ]


def add_notifications(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_NOTIFICATIONS[_dialect(session)], list(rows))


def add_mail(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    if rows:
        session.connection().execute(_INSERT_OUTBOX[_dialect(session)], list(rows))


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


# ---- the bell and the list -------------------------------------------------------------------
def unread_count(session: Session, username: str) -> int:
    return int(session.connection().execute(_UNREAD, {"user": username}).scalar() or 0)


def page_of(session: Session, username: str, *, offset: int, limit: int) -> list[Notification]:
    query = (
        select(Notification)
        .where(Notification.recipient == username)
        .order_by(Notification.id.desc())
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_of(session: Session, username: str) -> int:
    return int(session.scalar(select(func.count()).where(Notification.recipient == username)) or 0)


def mark_read(session: Session, username: str, now: datetime, notification_id: int | None = None) -> int:
    """Mark one (or, with no id, every) unread notification of the user read; returns how many changed."""
    query = _MARK_READ if notification_id is None else _MARK_READ.where(_N.c.id == notification_id)
    result = cast(CursorResult[Any], session.connection().execute(query, {"user": username, "now": now}))
    return result.rowcount


def notification_of(session: Session, notification_id: int) -> Notification | None:
    return session.get(Notification, notification_id)


# ---- preferences -------------------------------------------------------------------------------
def preferences_of(session: Session, username: str) -> dict[str, str]:
    query = select(_P.c.event, _P.c.channel).where(_P.c.username == username)
    return {event: channel for event, channel in session.execute(query)}


def store_preferences(session: Session, username: str, channels: Mapping[str, str]) -> None:
    conn = session.connection()
    conn.execute(delete(_P).where(_P.c.username == username))
    if channels:
        conn.execute(
            _P.insert(), [{"username": username, "event": e, "channel": c} for e, c in channels.items()]
        )


# ---- marks shared by schedulers ------------------------------------------------------------------
def advance_mark(
    session: Session, name: str, until: datetime, *, unless_since: datetime | None = None
) -> bool:
    """Move the mark `name` to `until`; with `unless_since`, only if it is still before that (a claim:
    of several schedulers, one moves it). False when another got there first."""
    conn = session.connection()
    stmt = update(_M).where(_M.c.name == name).values(until=until)
    if unless_since is not None:
        stmt = stmt.where(_M.c.until < unless_since)
    if cast(CursorResult[Any], conn.execute(stmt)).rowcount == 1:
        return True
    inserted = _insert_mark(session).values(name=name, until=until)
    return cast(CursorResult[Any], conn.execute(inserted)).rowcount == 1


def mark_of(session: Session, name: str) -> datetime | None:
    return session.connection().execute(select(_M.c.until).where(_M.c.name == name)).scalar()


def _insert_mark(session: Session) -> Insert:
    if _dialect(session) == "postgresql":
        return postgresql.insert(_M).on_conflict_do_nothing(index_elements=["name"])
    return sqlite.insert(_M).on_conflict_do_nothing(index_elements=["name"])
