"""Users, roles and groups (dependencias); passwords hashed with scrypt; API tokens stored hashed."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, NotFound
from engine.store.tables import ApiToken, User
from engine.store.uow import UnitOfWork

ROLES = ("funcionario", "supervisor", "analista", "admin")
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


def _view(row: User) -> UserView:
    return UserView(
        row.id, row.username, row.display_name, row.email, tuple(row.roles), tuple(row.groups), row.active
    )


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
) -> UserView:
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
        if uow.session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"El usuario '{username}' ya existe.")
        row = User(
            username=username,
            display_name=display_name or username,
            email=email,
            password_hash=hash_password(password) if password else None,
            roles=role_list,
            groups=group_list,
            active=True,
            created_at=ctx.clock.now(),
        )
        uow.session.add(row)
        uow.session.flush()
        view = _view(row)
        uow.commit()
    return view


def set_password(ctx: Context, username: str, password: str) -> None:
    if len(password) < 8:
        raise BadInput("La contraseña debe tener al menos 8 caracteres.")
    with UnitOfWork(ctx.db) as uow:
        row = uow.session.scalar(select(User).where(User.username == username))
        if row is None:
            raise NotFound(f"No existe el usuario '{username}'.")
        row.password_hash = hash_password(password)
        uow.commit()


def get_user(ctx: Context, username: str) -> UserView:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        if row is None or not row.active:
            raise NotFound(f"No existe el usuario '{username}'.")
        return _view(row)


_USERS = cast(Table, User.__table__)
_SELECT_USER = select(
    _USERS.c.id,
    _USERS.c.username,
    _USERS.c.display_name,
    _USERS.c.email,
    _USERS.c.roles,
    _USERS.c.groups,
    _USERS.c.active,
).where(_USERS.c.username == bindparam("name"))


def user_in_session(session: Session, username: str) -> UserView:
    """The acting user, read inside the caller's transaction (no second connection per action)."""
    row = session.connection().execute(_SELECT_USER, {"name": username.strip().lower()}).one_or_none()
    if row is None or not row.active:
        raise NotFound(f"No existe el usuario '{username}'.")
    return UserView(
        row.id, row.username, row.display_name, row.email, tuple(row.roles), tuple(row.groups), True
    )


def acting_user(session: Session, user: UserView | str) -> UserView:
    """The user a use case acts for: as the caller loaded it this request, or read now by name."""
    return user if isinstance(user, UserView) else user_in_session(session, user)


def find_user(ctx: Context, username: str) -> UserView | None:
    try:
        return get_user(ctx, username)
    except NotFound:
        return None


def list_users(ctx: Context) -> list[UserView]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return [_view(r) for r in uow.session.scalars(select(User).order_by(User.username))]


def authenticate(ctx: Context, username: str, password: str) -> UserView | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.scalar(select(User).where(User.username == username.strip().lower()))
        # read inside the transaction: leaving it expires the row (rollback on exit)
        if row is None or not row.active or not verify_password(password, row.password_hash):
            return None
        return _view(row)


def issue_token(ctx: Context, username: str) -> str:
    token = "phva_" + secrets.token_urlsafe(32)
    with UnitOfWork(ctx.db) as uow:
        user_id = uow.session.scalar(select(User.id).where(User.username == username.strip().lower()))
        if user_id is None:
            raise NotFound(f"No existe el usuario '{username}'.")
        uow.session.add(ApiToken(user_id=user_id, token_hash=_token_hash(token), created_at=ctx.clock.now()))
        uow.commit()
    return token


def user_for_token(ctx: Context, token: str) -> UserView | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.scalar(
            select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == _token_hash(token))
        )
        return _view(row) if row is not None and row.active else None


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
