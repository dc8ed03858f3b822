"""Administering users after they exist: groups and roles, name and e-mail, deactivation, password resets.

The CLI and the administration pages call these; each change is one transaction with its audit event.
The last active administrator can't lose the role or be deactivated, so nobody locks the entity out.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Conflict, NotFound
from engine.identity.dependencias import require_dependencias
from engine.identity.users import ROLES, UserView, forget_request_users, hash_password, parse_list
from engine.store import user_admin as admin_store
from engine.store import users as store
from engine.store.audit import audit
from engine.store.uow import UnitOfWork

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Deactivated:
    user: UserView
    assigned_open_tasks: int  # still assigned to them: a supervisor reassigns them


def get_any_user(ctx: Context, username: str) -> UserView:
    """A user, active or not (the administration sees both)."""
    with UnitOfWork(ctx.db, write=False) as uow:
        return _row(uow.session, username)


def _row(session: Session, username: str) -> UserView:
    row = store.user_named(session, username.strip().lower())
    if row is None:
        raise NotFound(f"No existe el usuario '{username}'.")
    return UserView(*row)


def check_roles(roles: Iterable[str] | str) -> list[str]:
    found = parse_list(roles)
    unknown = [r for r in found if r not in ROLES]
    if unknown:
        raise BadInput(f"Rol desconocido: {', '.join(unknown)}. Roles válidos: {', '.join(ROLES)}.",
                       {"roles": "Rol desconocido."})  # fmt: skip
    if not found:
        raise BadInput("Un usuario necesita al menos un rol.", {"roles": "Elija al menos uno."})
    return found


def update_user(
    ctx: Context,
    username: str,
    *,
    groups: Iterable[str] | str | None = None,
    roles: Iterable[str] | str | None = None,
    display_name: str | None = None,
    email: str | None = None,
    create_groups: bool = False,
    actor: str | None,
) -> UserView:
    """Change what is given (None: unchanged; email "": none). Groups must be active dependencias."""
    values: dict[str, object] = {}
    new_roles = check_roles(roles) if roles is not None else None
    new_groups = parse_list(groups) if groups is not None else None
    if display_name is not None:
        if not display_name.strip() or len(display_name.strip()) > 200:
            raise BadInput("Escriba el nombre (hasta 200 caracteres).", {"display_name": "Es obligatorio."})
        values["display_name"] = " ".join(display_name.split())
    if email is not None:
        if email.strip() and not _EMAIL.match(email.strip()):
            raise BadInput(
                f"Correo electrónico no válido: «{email}».", {"email": "No es una dirección válida."}
            )
        values["email"] = email.strip() or None
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        before = _row(session, username)
        if new_groups is not None:
            require_dependencias(session, ctx, new_groups, create=create_groups, actor=actor)
            values["groups"] = new_groups
        if new_roles is not None:
            if before.is_admin and "admin" not in new_roles:
                _keep_one_admin(session, before.username)
            values["roles"] = new_roles
        was = before.to_dict()
        changed = {k: v for k, v in values.items() if was.get(k) != v}
        if not changed:
            return before
        admin_store.update_user(session, before.username, **changed)
        audit(session, ctx, instance_id=None, action="user_changed", actor=actor,
              summary=f"Cambió {', '.join(sorted(_LABELS[k] for k in changed))} del usuario '{before.username}'",
              before={k: was[k] for k in changed}, after=changed)  # fmt: skip
        after = _row(session, before.username)
        uow.commit()
    forget_request_users(ctx)
    return after


_LABELS = {
    "groups": "las dependencias",
    "roles": "los roles",
    "display_name": "el nombre",
    "email": "el correo",
}


def set_user_active(ctx: Context, username: str, active: bool, *, actor: str | None) -> Deactivated:
    """Deactivate (they lose access at their next request) or reactivate a user."""
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        user = _row(session, username)
        if user.active == active:
            raise Conflict(f"El usuario '{user.username}' ya está {'activo' if active else 'inactivo'}.")
        if not active:
            if actor == user.username:
                raise Conflict("No puede desactivar su propio usuario.")
            if user.is_admin:
                _keep_one_admin(session, user.username)
        admin_store.update_user(session, user.username, active=active)
        audit(session, ctx, instance_id=None, action="user_activated" if active else "user_deactivated",
              actor=actor, summary=f"{'Reactivó' if active else 'Desactivó'} el usuario '{user.username}'",
              before={"active": user.active}, after={"active": active})  # fmt: skip
        assigned = admin_store.open_tasks_assigned(session, user.username)
        after = _row(session, user.username)
        uow.commit()
    forget_request_users(ctx)
    return Deactivated(after, assigned)


def reset_password(
    ctx: Context, username: str, password: str | None = None, *, actor: str | None
) -> str | None:
    """Set `password`, or a generated one returned once (shown to the administrator, never stored)."""
    generated = secrets.token_urlsafe(12) if password is None else None
    chosen = generated or password or ""
    if len(chosen) < 8:
        raise BadInput(
            "La contraseña debe tener al menos 8 caracteres.", {"password": "Mínimo 8 caracteres."}
        )
    with UnitOfWork(ctx.db) as uow:
        user = _row(uow.session, username)
        store.set_password_hash(uow.session, user.username, hash_password(chosen))
        audit(uow.session, ctx, instance_id=None, action="user_password_reset", actor=actor,
              summary=f"{'Generó' if generated else 'Fijó'} una contraseña nueva para '{user.username}'")  # fmt: skip
        uow.commit()
    forget_request_users(ctx)
    return generated


def _keep_one_admin(session: Session, username: str) -> None:
    if admin_store.active_admins(session) == [username]:
        raise Conflict(
            f"'{username}' es el único administrador activo: nombre otro administrador antes.",
            {"roles": "Debe quedar al menos un administrador activo."},
        )
