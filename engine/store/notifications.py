"""Notification rows as the notification use cases read and write them, with prebuilt statements."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
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

from engine.store.dependencia_tables import UserGroup
from engine.store.legal_tables import PqrsdCase
from engine.store.notification_tables import (
    MailOutbox,
    Notification,
    NotificationMark,
    NotificationPreference,
)
from engine.store.tables import ProcessInstance, Task, User, UtcDateTime

_N, _O, _P, _M, _U = (
    cast(Table, m.__table__)
    for m in (Notification, MailOutbox, NotificationPreference, NotificationMark, User)
)


def _insert_ignoring_duplicates(table: Table) -> dict[str, Insert]:
    """A keyed row already written for that recipient is skipped (the event notified them once). Inline: no
    RETURNING id, so a pipelined transaction sends it with the next statement instead of waiting for it."""
    return {
        "postgresql": postgresql.insert(table)
        .on_conflict_do_nothing(index_elements=["recipient", "key"])
        .inline(),
        "sqlite": sqlite.insert(table).on_conflict_do_nothing(index_elements=["recipient", "key"]).inline(),
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


_G = cast(Table, UserGroup.__table__)
_RECIPIENTS = (
    select(_U.c.username, _U.c.email, _U.c.groups, _P.c.event, _P.c.channel)
    .outerjoin(_P, and_(_P.c.username == _U.c.username, _P.c.event.in_(bindparam("wanted", expanding=True))))
    .where(
        _U.c.active == true(),
        or_(
            _U.c.username.in_(bindparam("users", expanding=True)),
            _U.c.id.in_(select(_G.c.user_id).where(_G.c.group_code.in_(bindparam("groups", expanding=True)))),
        ),
    )
)


_NOTICE_COLUMNS = ("event", "subject", "body", "link", "instance_id", "task_id", "key", "created_at")
_MAIL_COLUMNS = ("subject", "body_text", "body_html", "attachments", "event", "key", "instance_id", "status",
                 "attempts", "next_attempt_at", "created_at")  # fmt: skip
_CHANNEL = func.coalesce(_P.c.channel, bindparam("default", type_=_P.c.channel.type))
_NO_ADDRESS = func.coalesce(_U.c.email, "") == ""


def _members(*columns: Any) -> Any:
    """`columns` for each active user named or member of a group named, with their channel for the event."""
    return (
        select(*columns)
        .select_from(_U)
        .outerjoin(_P, and_(_P.c.username == _U.c.username, _P.c.event == bindparam("event")))
        .where(
            _U.c.active == true(),
            or_(
                _U.c.username.in_(bindparam("users", expanding=True)),
                _U.c.id.in_(
                    select(_G.c.user_id).where(_G.c.group_code.in_(bindparam("groups", expanding=True)))
                ),
            ),
        )
    )


def _constants(table: Table, names: Sequence[str]) -> list[Any]:
    return [bindparam(name, type_=table.c[name].type) for name in names]


_MEMBER_NOTICES = _members(_U.c.username, *_constants(_N, _NOTICE_COLUMNS)).where(
    _CHANNEL.in_(bindparam("app", expanding=True))
    | (_CHANNEL.in_(bindparam("app_without_address", expanding=True)) & _NO_ADDRESS)
)
_MEMBER_MAIL = _members(_U.c.email, _U.c.username, *_constants(_O, _MAIL_COLUMNS)).where(
    _CHANNEL.in_(bindparam("mail", expanding=True)), ~_NO_ADDRESS
)
_INSERT_MEMBER_NOTICES = {
    dialect: statement.from_select(["recipient", *_NOTICE_COLUMNS], _MEMBER_NOTICES).on_conflict_do_nothing(
        index_elements=["recipient", "key"]
    )
    for dialect, statement in (("postgresql", postgresql.insert(_N)), ("sqlite", sqlite.insert(_N)))
}
_INSERT_MEMBER_MAIL = {
    dialect: statement.from_select(
        ["recipient", "username", *_MAIL_COLUMNS], _MEMBER_MAIL
    ).on_conflict_do_nothing(index_elements=["recipient", "key"])
    for dialect, statement in (("postgresql", postgresql.insert(_O)), ("sqlite", sqlite.insert(_O)))
}


class MemberChannels(NamedTuple):
    """Which channels (a user's choice for the event, else `default`) mean what."""

    default: str
    app: Sequence[str]  # a row in the app
    app_without_address: Sequence[str]  # a row in the app when the user has no e-mail address
    mail: Sequence[str]  # a message to the user's address, when they have one


def add_member_notices(
    session: Session,
    notice: Mapping[str, Any],
    mail: Mapping[str, Any] | None,
    *,
    users: Sequence[str],
    groups: Sequence[str],
    channels: MemberChannels,
) -> None:
    """One notice for the active users named and the members of the groups named, each by their channel: its
    in-app rows (`notice`: the row but its recipient) and its outbox rows (`mail`: the row but its address and
    username; None: no mail) each a single INSERT … SELECT, not a query for the recipients and inserts from
    here. A keyed notice reaches each recipient, and each address, once."""
    conn, dialect = session.connection(), _dialect(session)
    params = {"users": list(users), "groups": list(groups), "default": channels.default}
    in_app = {"app": list(channels.app), "app_without_address": list(channels.app_without_address)}
    conn.execute(_INSERT_MEMBER_NOTICES[dialect], {**params, **notice, **in_app})
    if mail is not None and channels.mail:
        conn.execute(_INSERT_MEMBER_MAIL[dialect], {**params, **mail, "mail": list(channels.mail)})


class Recipient(NamedTuple):
    username: str
    email: str | None
    groups: tuple[str, ...]
    channels: dict[str, str]  # event → the channel the user chose (events not listed: the default)


def recipients(
    session: Session, wanted: Sequence[str], users: Sequence[str], groups: Sequence[str]
) -> list[Recipient]:
    """Active users named, or members of the groups named, with their preferences for the `wanted`
    events: one query, built once, that finds the members by index."""
    if not users and not groups:
        return []
    params = {"wanted": list(wanted), "users": list(users), "groups": list(groups)}
    found: dict[str, Recipient] = {}
    for row in session.connection().execute(_RECIPIENTS, params):
        person = found.get(row.username)
        if person is None:
            person = found[row.username] = Recipient(row.username, row.email, tuple(row.groups or ()), {})
        if row.event is not None:
            person.channels[row.event] = row.channel
    return list(found.values())


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
def advance_mark(session: Session, name: str, until: datetime, *, expected: datetime | None) -> bool:
    """Move the mark `name` from `expected` (None: not set yet) to `until`: a compare-and-set, so of
    several schedulers that read the same mark one moves it; False for the others."""
    conn = session.connection()
    if expected is None:
        inserted = _insert_mark(session).values(name=name, until=until).returning(_M.c.name)
        return conn.execute(inserted).first() is not None  # (rowcount is not reliable here on psycopg)
    stmt = update(_M).where(_M.c.name == name, _M.c.until == expected).values(until=until)
    return cast(CursorResult[Any], conn.execute(stmt)).rowcount == 1


def mark_of(session: Session, name: str) -> datetime | None:
    return session.connection().execute(select(_M.c.until).where(_M.c.name == name)).scalar()


def _insert_mark(session: Session) -> Insert:
    if _dialect(session) == "postgresql":
        return postgresql.insert(_M).on_conflict_do_nothing(index_elements=["name"])
    return sqlite.insert(_M).on_conflict_do_nothing(index_elements=["name"])


# ---- the outbox sender ---------------------------------------------------------------------------
class OutgoingMail(NamedTuple):
    id: int
    recipient: str
    subject: str
    body_text: str
    body_html: str | None
    attachments: list[Any] | None
    event: str
    instance_id: int | None
    attempts: int  # counting the one just claimed: the sender's claim token


_CLAIMABLE = _O.c.status.in_(("pending", "sending")) & (
    _O.c.next_attempt_at <= bindparam("now", type_=UtcDateTime())
)
_OUTGOING = (
    _O.c.id, _O.c.recipient, _O.c.subject, _O.c.body_text, _O.c.body_html, _O.c.attachments, _O.c.event,
    _O.c.instance_id, _O.c.attempts,
)  # fmt: skip
_SETTLE = update(_O).where(
    _O.c.id == bindparam("oid"), _O.c.status == "sending", _O.c.attempts == bindparam("claimed")
)


def claim_mail(
    session: Session, now: datetime, lease_until: datetime, limit: int, keys: Sequence[str] = ()
) -> list[OutgoingMail]:
    """Take due messages (a 'sending' one whose claim expired too: its sender died), marking them
    'sending' until `lease_until`; on PostgreSQL other senders skip the locked rows."""
    query = select(_O.c.id).where(_CLAIMABLE).order_by(_O.c.next_attempt_at, _O.c.id).limit(limit)
    if keys:
        query = query.where(_O.c.key.in_(list(keys)))
    if _dialect(session) == "postgresql":
        query = query.with_for_update(skip_locked=True)
    conn = session.connection()
    taken = list(conn.execute(query, {"now": now}).scalars())
    if not taken:
        return []
    conn.execute(
        update(_O)
        .where(_O.c.id.in_(taken))
        .values(status="sending", attempts=_O.c.attempts + 1, next_attempt_at=lease_until)
    )
    rows = conn.execute(select(*_OUTGOING).where(_O.c.id.in_(taken)).order_by(_O.c.id))
    return [OutgoingMail(*row) for row in rows]


def settle_mail(session: Session, mail: OutgoingMail, **values: Any) -> bool:
    """Record how a claimed attempt ended, unless another sender took the message over meanwhile."""
    stmt = _SETTLE.values(**values)
    result = session.connection().execute(stmt, {"oid": mail.id, "claimed": mail.attempts})
    return cast(CursorResult[Any], result).rowcount == 1


def requeue_mail(session: Session, outbox_id: int, now: datetime) -> bool:
    """A failed message goes out again from its first attempt (retrying its incident)."""
    stmt = (
        update(_O)
        .where(_O.c.id == outbox_id, _O.c.status == "failed")
        .values(status="pending", attempts=0, next_attempt_at=now, last_error=None)
    )
    return cast(CursorResult[Any], session.connection().execute(stmt)).rowcount == 1


# ---- scans: case alerts, the digest, incidents ----------------------------------------------------
class CaseDue(NamedTuple):
    id: int
    radicado: str
    subject: str | None
    kind: str
    dependencia: str | None
    due_at: datetime
    alerta_at: datetime | None
    instance_id: int | None


def cases_crossing(
    session: Session, *, now: datetime, since: datetime | None, closed: Collection[str]
) -> list[CaseDue]:
    """Running cases whose alert or due moment passed by `now`, and did so after `since` or changed
    after it (a case filed late, or recalculated, is caught too); all of them when `since` is None."""
    c = PqrsdCase
    alerted = c.alerta_at <= now
    due = c.due_at <= now
    if since is not None:
        changed = c.updated_at > since
        alerted = alerted & ((c.alerta_at > since) | changed)
        due = due & ((c.due_at > since) | changed)
    query = (
        select(c.id, c.radicado, c.subject, c.kind, c.dependencia, c.due_at, c.alerta_at, c.instance_id)
        .where(c.status.not_in(list(closed)), c.due_at.is_not(None), alerted | due)
        .order_by(c.id)
    )
    return [CaseDue._make(row) for row in session.execute(query)]


def open_task_holders(session: Session, instance_ids: Sequence[int]) -> dict[int, tuple[set[str], set[str]]]:
    """Per instance, who holds its open tasks: (assignees, candidate groups) — one query for all."""
    found: dict[int, tuple[set[str], set[str]]] = {}
    if not instance_ids:
        return found
    t = cast(Table, Task.__table__)
    query = select(t.c.instance_id, t.c.assignee, t.c.candidate_groups).where(
        t.c.instance_id.in_(list(instance_ids)), t.c.state == "ready"
    )
    for instance_id, assignee, groups in session.execute(query):
        people, teams = found.setdefault(instance_id, (set(), set()))
        if assignee:
            people.add(assignee)
        teams.update(groups or ())
    return found


class DueTask(NamedTuple):
    id: int
    name: str
    assignee: str
    due_at: datetime
    business_key: str | None


def tasks_due_by(session: Session, until: datetime) -> list[DueTask]:
    """Open assigned tasks due before `until` (overdue ones too), per assignee and due date."""
    t, i = cast(Table, Task.__table__), cast(Table, ProcessInstance.__table__)
    query = (
        select(t.c.id, t.c.name, t.c.assignee, t.c.due_at, i.c.business_key)
        .join(i, i.c.id == t.c.instance_id)
        .where(t.c.state == "ready", t.c.due_at < until, t.c.assignee.is_not(None))
        .order_by(t.c.assignee, t.c.due_at, t.c.id)
    )
    return [DueTask(*row) for row in session.execute(query)]


def usernames_with_role(session: Session, role: str) -> list[str]:
    query = select(_U.c.username, _U.c.roles).where(
        _U.c.active == true(), _U.c.roles.cast(Text).like(f'%"{role}"%')
    )
    return [name for name, roles in session.execute(query) if role in (roles or ())]
