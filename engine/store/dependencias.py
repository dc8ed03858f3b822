"""Dependencias as the identity use cases read and change them, and what still depends on one."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import CursorResult, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from engine.store.dependencia_tables import Dependencia
from engine.store.tables import Task, TaskCandidate, User

_D, _U, _T, _C = (cast(Table, m.__table__) for m in (Dependencia, User, Task, TaskCandidate))
_COLUMNS = (_D.c.code, _D.c.name, _D.c.active, _D.c.created_at)
_SELECT_ALL = select(*_COLUMNS).order_by(_D.c.code)
_SELECT_ONE = select(*_COLUMNS).where(_D.c.code == bindparam("code"))
_SELECT_CODES = select(_D.c.code, _D.c.active).where(_D.c.code.in_(bindparam("codes", expanding=True)))
_INSERT = insert(_D)
_UPDATE = update(_D).where(_D.c.code == bindparam("b_code"))
_ACTIVE_GROUPS = select(_U.c.username, _U.c.groups).where(_U.c.active.is_(True))
_OPEN_TASKS_BY_GROUP = (
    select(_C.c.value, func.count())
    .select_from(_C.join(_T, _T.c.id == _C.c.task_id))
    .where(_C.c.kind == "group", _T.c.state == "ready")
    .group_by(_C.c.value)
)


class DependenciaRow(NamedTuple):
    code: str
    name: str
    active: bool
    created_at: datetime


def all_dependencias(session: Session) -> list[DependenciaRow]:
    return [DependenciaRow(*row) for row in session.connection().execute(_SELECT_ALL)]


def dependencia(session: Session, code: str) -> DependenciaRow | None:
    row = session.connection().execute(_SELECT_ONE, {"code": code}).first()
    return DependenciaRow(*row) if row is not None else None


def known_codes(session: Session, codes: Collection[str]) -> dict[str, bool]:
    """Of `codes`, those that exist, each with whether it is active (one query for any number)."""
    if not codes:
        return {}
    rows = session.connection().execute(_SELECT_CODES, {"codes": sorted(codes)})
    return {code: bool(active) for code, active in rows}


def insert_dependencias(session: Session, rows: Sequence[tuple[str, str]], now: datetime) -> None:
    if rows:
        values = [{"code": code, "name": name, "active": True, "created_at": now} for code, name in rows]
        session.connection().execute(_INSERT, values)


def update_dependencia(session: Session, code: str, **values: Any) -> bool:
    """False when there is no such dependencia."""
    result = session.connection().execute(_UPDATE.values(**values), {"b_code": code})
    return cast(CursorResult[Any], result).rowcount == 1


def active_members(session: Session) -> dict[str, list[str]]:
    """Active users by the dependencia they belong to (the users table is small: one read, grouped here)."""
    members: dict[str, list[str]] = {}
    for username, groups in session.connection().execute(_ACTIVE_GROUPS):
        for group in groups or []:
            members.setdefault(str(group), []).append(username)
    return members


def open_tasks_by_group(session: Session, codes: Collection[str] | None = None) -> dict[str, int]:
    """Open tasks offered to each group (task candidates), optionally only for `codes`."""
    query = _OPEN_TASKS_BY_GROUP
    if codes is not None:
        query = query.where(_C.c.value.in_(sorted(codes) or [""]))
    return {value: int(count) for value, count in session.connection().execute(query)}
