"""What the administration of users changes beyond creating them: groups, roles, contact, active flag."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, func, select, update
from sqlalchemy.orm import Session

from engine.store.tables import Task, User

_U, _T = (cast(Table, m.__table__) for m in (User, Task))
_UPDATE = update(_U).where(_U.c.username == bindparam("name"))
_ACTIVE_ADMINS = select(_U.c.username, _U.c.roles).where(_U.c.active.is_(True))
_ASSIGNED_OPEN = (
    select(func.count()).select_from(_T).where(_T.c.state == "ready", _T.c.assignee == bindparam("name"))
)


def update_user(session: Session, username: str, **values: Any) -> bool:
    """False when there is no such user."""
    result = session.connection().execute(_UPDATE.values(**values), {"name": username})
    return cast(CursorResult[Any], result).rowcount == 1


def active_admins(session: Session) -> list[str]:
    return sorted(
        name for name, roles in session.connection().execute(_ACTIVE_ADMINS) if "admin" in (roles or [])
    )


def open_tasks_assigned(session: Session, username: str) -> int:
    return int(session.connection().execute(_ASSIGNED_OPEN, {"name": username}).scalar() or 0)
