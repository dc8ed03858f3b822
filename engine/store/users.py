"""Users, their API tokens and sign-in attempts as the identity use cases read and change them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Row, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from engine.store.prepared import Prepared
from engine.store.tables import ApiToken, User, UtcDateTime
from engine.store.web_tables import LoginAttempt

# Built once: the acting user is read on every task completion.
_U, _K, _L = (cast(Table, m.__table__) for m in (User, ApiToken, LoginAttempt))
_USER_COLUMNS = (
    _U.c.id,
    _U.c.username,
    _U.c.display_name,
    _U.c.email,
    _U.c.roles,
    _U.c.groups,
    _U.c.active,
    _U.c.session_version,
)
_BY_NAME = _U.c.username == bindparam("name")
_SELECT_USER = select(*_USER_COLUMNS).where(_BY_NAME)
_SELECT_USER_AND_HASH = select(*_USER_COLUMNS, _U.c.password_hash).where(_BY_NAME)
_SELECT_USER_ID = select(_U.c.id).where(_BY_NAME)
_SELECT_USERS = select(*_USER_COLUMNS).order_by(_U.c.username)
_INSERT_USER = insert(_U).returning(_U.c.id)
_SET_PASSWORD_HASH = (  # a new password ends the sessions opened with the old one
    update(_U)
    .where(_BY_NAME)
    .values(password_hash=bindparam("p_hash"), session_version=_U.c.session_version + 1)
)
_END_SESSIONS = update(_U).where(_BY_NAME).values(session_version=_U.c.session_version + 1)
_INSERT_TOKEN = insert(_K)
_SELECT_USER_BY_TOKEN = Prepared(
    select(*_USER_COLUMNS)
    .join(_K, _K.c.user_id == _U.c.id)
    .where(_K.c.token_hash == bindparam("hash"), _K.c.expires_at > bindparam("now", type_=UtcDateTime()))
)
_SELECT_TOKENS = (
    select(_K.c.id, _K.c.created_at, _K.c.expires_at, _K.c.last_used_at)
    .where(_K.c.user_id == bindparam("user_id"))
    .order_by(_K.c.id)
)
_DELETE_TOKEN = delete(_K).where(_K.c.id == bindparam("token_id")).returning(_K.c.user_id)
_RECENT_FAILURES = (
    select(func.count())
    .select_from(_L)
    .where(_L.c.at > bindparam("since", type_=UtcDateTime()), _L.c.succeeded.is_(False))
)
_FAILURES_BY_USER = _RECENT_FAILURES.where(_L.c.username == bindparam("name"))
_FAILURES_BY_SOURCE = _RECENT_FAILURES.where(_L.c.source == bindparam("source"))
_DELETE_FAILURES = delete(_L).where(_L.c.username == bindparam("name"), _L.c.succeeded.is_(False))
_INSERT_ATTEMPT = insert(_L)
_LAST_FAILURE_FROM = select(func.max(_L.c.at)).where(
    _L.c.source == bindparam("source"),
    _L.c.at > bindparam("since", type_=UtcDateTime()),
    _L.c.succeeded.is_(False),
)


class UserRow(NamedTuple):
    id: int
    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    active: bool
    session_version: int = 0


class TokenRow(NamedTuple):
    id: int
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None


def _user(row: Row[*tuple[Any, ...]]) -> UserRow:
    return UserRow(
        row.id,
        row.username,
        row.display_name,
        row.email,
        tuple(row.roles),
        tuple(row.groups),
        row.active,
        row.session_version,
    )


def user_named(session: Session, username: str) -> UserRow | None:
    row = session.connection().execute(_SELECT_USER, {"name": username}).one_or_none()
    return _user(row) if row is not None else None


def user_and_password_hash(session: Session, username: str) -> tuple[UserRow, str | None] | None:
    row = session.connection().execute(_SELECT_USER_AND_HASH, {"name": username}).one_or_none()
    return (_user(row), row.password_hash) if row is not None else None


def user_id_named(session: Session, username: str) -> int | None:
    return session.connection().execute(_SELECT_USER_ID, {"name": username}).scalar()


def all_users(session: Session) -> list[UserRow]:
    return [_user(row) for row in session.connection().execute(_SELECT_USERS)]


def insert_user(
    session: Session,
    *,
    username: str,
    display_name: str,
    email: str | None,
    password_hash: str | None,
    roles: Sequence[str],
    groups: Sequence[str],
    now: datetime,
) -> UserRow:
    values = {
        "username": username,
        "display_name": display_name,
        "email": email,
        "password_hash": password_hash,
        "roles": list(roles),
        "groups": list(groups),
        "active": True,
        "created_at": now,
    }
    user_id = session.connection().execute(_INSERT_USER, values).scalar_one()
    return UserRow(user_id, username, display_name, email, tuple(roles), tuple(groups), True)


def set_password_hash(session: Session, username: str, password_hash: str) -> bool:
    """False when there is no such user."""
    params = {"name": username, "p_hash": password_hash}
    return cast(CursorResult[Any], session.connection().execute(_SET_PASSWORD_HASH, params)).rowcount == 1


def end_sessions(session: Session, username: str) -> bool:
    """Every session cookie of the user stops working; False when there is no such user."""
    return (
        cast(CursorResult[Any], session.connection().execute(_END_SESSIONS, {"name": username})).rowcount == 1
    )


def insert_api_token(
    session: Session, user_id: int, token_hash: str, now: datetime, expires_at: datetime
) -> None:
    values = {"user_id": user_id, "token_hash": token_hash, "created_at": now, "expires_at": expires_at}
    session.connection().execute(_INSERT_TOKEN, values)


def tokens_of(session: Session, user_id: int) -> list[TokenRow]:
    return [TokenRow(*row) for row in session.connection().execute(_SELECT_TOKENS, {"user_id": user_id})]


def delete_token(session: Session, token_id: int) -> int | None:
    """The id of the token's user, or None when there was no such token."""
    return session.connection().execute(_DELETE_TOKEN, {"token_id": token_id}).scalar()


def user_for_token_hash(session: Session, token_hash: str, now: datetime) -> UserRow | None:
    """The user of a token that has not expired."""
    params = {"hash": token_hash, "now": now}
    row = _SELECT_USER_BY_TOKEN.one_or_none(session, params)
    return _user(row) if row is not None else None


def failed_attempts_since(session: Session, since: datetime, username: str, source: str) -> tuple[int, int]:
    """Failed sign-ins after `since`: of this user name, and from this source."""
    conn = session.connection()
    by_user = conn.execute(_FAILURES_BY_USER, {"since": since, "name": username}).scalar() or 0
    by_source = conn.execute(_FAILURES_BY_SOURCE, {"since": since, "source": source}).scalar() or 0
    return by_user, by_source


def clear_failed_attempts(session: Session, username: str) -> None:
    session.connection().execute(_DELETE_FAILURES, {"name": username})


def record_attempt(session: Session, username: str, source: str, at: datetime, *, succeeded: bool) -> None:
    session.connection().execute(
        _INSERT_ATTEMPT, {"username": username, "source": source, "at": at, "succeeded": succeeded}
    )


def lock_sign_in(session: Session, username: str) -> None:
    """Serialize sign-in attempts of one user name, so counting and recording them is atomic. On SQLite the
    write transaction (BEGIN IMMEDIATE) already is; on PostgreSQL a transaction-scoped advisory lock."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(func.hashtext("phva-sign-in:" + username))))


def last_failure_from(session: Session, source: str, since: datetime) -> datetime | None:
    found = session.connection().execute(_LAST_FAILURE_FROM, {"since": since, "source": source}).scalar()
    return found if isinstance(found, datetime) else None
