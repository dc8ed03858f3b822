"""Users, roles and groups (dependencias); passwords hashed with scrypt; API tokens stored hashed."""

from __future__ import annotations

import functools
import hashlib
import hmac
import re
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, NotFound
from engine.identity.dependencias import require_dependencias
from engine.store import users as store
from engine.store.audit import audit
from engine.store.db import Database
from engine.store.uow import UnitOfWork

# mensajes: integrations that deliver messages to instances they take no part in (access.may_correlate)
ROLES = ("funcionario", "supervisor", "analista", "admin", "mensajes")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,59}$")
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


@dataclass(frozen=True)
class UserView:
    id: int
    username: str
    display_name: str
    email: str | None
    roles: tuple[str, ...]
    groups: tuple[str, ...]
    active: bool
    session_version: int = 0  # a session cookie is valid only while it carries the current value

    def has_role(self, *roles: str) -> bool:
        return any(r in self.roles for r in roles)

    @property
    def is_admin(self) -> bool:
        return "admin" in self.roles

    def to_dict(self) -> dict[str, object]:
        return {
            "id": self.id,
            "username": self.username,
            "display_name": self.display_name,
            "email": self.email,
            "roles": list(self.roles),
            "groups": list(self.groups),
            "active": self.active,
        }


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
    try:
        _, n, r, p, salt, digest = stored.split("$")
        check = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p))
    except ValueError:
        return False
    return hmac.compare_digest(check.hex(), digest)


def _view(row: store.UserRow) -> UserView:
    return UserView(*row)


def user_from_row(row: store.UserRow) -> UserView:
    """The view of a user row a use case read itself (joined into its first statement)."""
    return _view(row)


class _RequestUsers:
    """Who a bearer token or a session cookie stands for, kept a few seconds (PHVA_AUTH_CACHE_SECONDS) so a
    request costs no read of its own. Every change of users or tokens made by this process empties it; one
    made by another process (another worker, the CLI) is seen once the entry is that old."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], tuple[float, datetime, UserView | None]] = {}
        self.lock = threading.Lock()

    def get(self, ctx: Context, key: tuple[str, str], load: Callable[[], UserView | None]) -> UserView | None:
        ttl = ctx.settings.auth_cache_seconds
        if ttl <= 0:
            return load()
        now, moment = time.monotonic(), ctx.clock.now()
        found = self.entries.get(key)
        # fresh by both clocks: the process's, and the context's (tests move it past a token's expiry)
        if (
            found is not None
            and now - found[0] < ttl
            and timedelta(0) <= moment - found[1] < timedelta(seconds=ttl)
        ):
            return found[2]
        view = load()
        with self.lock:
            if len(self.entries) > 10_000:
                self.entries.clear()
            self.entries[key] = (now, moment, view)
        return view

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


_REQUEST_USERS: weakref.WeakKeyDictionary[Database, _RequestUsers] = weakref.WeakKeyDictionary()


def _request_users(ctx: Context) -> _RequestUsers:
    found = _REQUEST_USERS.get(ctx.db)
    if found is None:
        found = _REQUEST_USERS.setdefault(ctx.db, _RequestUsers())
    return found


def forget_request_users(ctx: Context) -> None:
    """After any change of a user, their sessions or tokens: the next request reads them again."""
    _request_users(ctx).clear()


def parse_list(text: str | Iterable[str] | None) -> list[str]:
    items = text.split(",") if isinstance(text, str) else list(text or [])
    return sorted({item.strip() for item in items if item and item.strip()})


def add_user(
    ctx: Context,
    username: str,
    *,
    password: str | None = None,
    roles: Iterable[str] | str = (),
    groups: Iterable[str] | str = (),
    display_name: str | None = None,
    email: str | None = None,
    create_groups: bool = True,
    actor: str | None = None,
) -> UserView:
    """`create_groups`: create the dependencias it names that don't exist (init, demo, tests); the CLI and
    the administration pages pass False, so a mistyped group is refused."""
    username = username.strip().lower()
    if not _NAME.match(username):
        raise BadInput(
            f"Nombre de usuario inválido '{username}': use minúsculas, números, '.', '_' o '-' "
            "(2 a 60 caracteres)."
        )
    role_list, group_list = parse_list(roles) or ["funcionario"], parse_list(groups)
    unknown = [r for r in role_list if r not in ROLES]
    if unknown:
        raise BadInput(f"Rol desconocido: {', '.join(unknown)}. Roles válidos: {', '.join(ROLES)}.")
    if password is not None and len(password) < 8:
        raise BadInput("La contraseña debe tener al menos 8 caracteres.")
    with UnitOfWork(ctx.db) as uow:
        if store.user_id_named(uow.session, username) is not None:
            raise Conflict(f"El usuario '{username}' ya existe.")
        require_dependencias(uow.session, ctx, group_list, create=create_groups, actor=actor)
        row = store.insert_user(
            uow.session,
            username=username,
            display_name=display_name or username,
            email=email,
            password_hash=hash_password(password) if password else None,
            roles=role_list,
            groups=group_list,
            now=ctx.clock.now(),
        )
        audit(uow.session, ctx, instance_id=None, action="user_created", actor=actor,
              summary=f"Creó el usuario '{username}'", after={"roles": role_list, "groups": group_list})  # fmt: skip
        uow.commit()
    return _view(row)


def set_password(ctx: Context, username: str, password: str) -> None:
    if len(password) < 8:
        raise BadInput("La contraseña debe tener al menos 8 caracteres.")
    with UnitOfWork(ctx.db) as uow:
        if not store.set_password_hash(uow.session, username, hash_password(password)):
            raise NotFound(f"No existe el usuario '{username}'.")
        uow.commit()
    forget_request_users(ctx)


def get_user(ctx: Context, username: str) -> UserView:
    with UnitOfWork(ctx.db, write=False) as uow:
        return user_in_session(uow.session, username)


def user_in_session(session: Session, username: str) -> UserView:
    """The acting user, read inside the caller's transaction (no second connection per action)."""
    row = store.user_named(session, username.strip().lower())
    if row is None or not row.active:
        raise NotFound(f"No existe el usuario '{username}'.")
    return _view(row)


def acting_user(session: Session, user: UserView | str) -> UserView:
    """The user a use case acts for: as the caller loaded it this request, or read now by name."""
    return user if isinstance(user, UserView) else user_in_session(session, user)


def signed_in_user(ctx: Context, username: str, session_version: str) -> UserView | None:
    """The user a session cookie names, if still active and the cookie's session version is current."""

    def load() -> UserView | None:
        view = find_user(ctx, username)
        return view if view is not None and str(view.session_version) == session_version else None

    return _request_users(ctx).get(ctx, ("session", f"{username}:{session_version}"), load)


def find_user(ctx: Context, username: str) -> UserView | None:
    try:
        return get_user(ctx, username)
    except NotFound:
        return None


def list_users(ctx: Context) -> list[UserView]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return [_view(row) for row in store.all_users(uow.session)]


def authenticate(ctx: Context, username: str, password: str) -> UserView | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        found = store.user_and_password_hash(uow.session, username.strip().lower())
    if found is None:
        verify_password(password, _dummy_hash())  # the same cost as a real check: timing reveals no names
        return None
    row, password_hash = found  # scrypt runs after the read transaction, not inside it
    matches = verify_password(password, password_hash or _dummy_hash())
    return _view(row) if row.active and matches and password_hash else None


@functools.cache
def _dummy_hash() -> str:
    return hash_password(secrets.token_hex(16))


def issue_token(ctx: Context, username: str, days: int | None = None) -> str:
    """A new API token, valid `days` (default PHVA_TOKEN_DAYS); only its hash is stored."""
    days = ctx.settings.token_days if days is None else days
    if not 1 <= days <= 3650:
        raise BadInput("La vigencia del token va de 1 a 3650 días.", {"days": "Entre 1 y 3650."})
    token = "phva_" + secrets.token_urlsafe(32)
    now = ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        user_id = _user_id(uow.session, username)
        store.insert_api_token(uow.session, user_id, _token_hash(token), now, now + timedelta(days=days))
        uow.commit()
    return token


def user_for_token(ctx: Context, token: str) -> UserView | None:
    token_hash = _token_hash(token)

    def load() -> UserView | None:
        with UnitOfWork(ctx.db, write=False) as uow:
            row = store.user_for_token_hash(uow.session, token_hash, ctx.clock.now())
        return _view(row) if row is not None and row.active else None

    return _request_users(ctx).get(ctx, ("token", token_hash), load)


def list_tokens(ctx: Context, username: str) -> list[store.TokenRow]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return store.tokens_of(uow.session, _user_id(uow.session, username))


def revoke_token(ctx: Context, token_id: int, actor: str | None = None) -> None:
    with UnitOfWork(ctx.db) as uow:
        if store.delete_token(uow.session, token_id) is None:
            raise NotFound(f"No existe el token {token_id}.")
        audit(uow.session, ctx, instance_id=None, action="token_revoked", actor=actor,
              summary=f"Revocó el token {token_id}")  # fmt: skip
        uow.commit()
    forget_request_users(ctx)


def end_sessions(ctx: Context, username: str) -> None:
    """Sign-out: every session of the user ends, on every device (the per-user session version moves on)."""
    with UnitOfWork(ctx.db) as uow:
        store.end_sessions(uow.session, username.strip().lower())
        uow.commit()
    forget_request_users(ctx)


def _user_id(session: Session, username: str) -> int:
    user_id = store.user_id_named(session, username.strip().lower())
    if user_id is None:
        raise NotFound(f"No existe el usuario '{username}'.")
    return user_id


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
