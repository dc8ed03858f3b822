"""Dependencias (the groups users belong to and models route tasks to) as rows, so a group must exist, and
who belongs to each, as rows an index finds (a user's `groups` stay the JSON list everything else reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Connection, ForeignKey, String, event
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class Dependencia(Base):
    """A dependencia of the entity; `code` is what users' groups and `camunda:candidateGroups` name."""

    __tablename__ = "dependencias"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class UserGroup(Base):
    """One row per (group, user) of `users.groups`, kept by triggers on `users`: a group's members are an
    index range (a task's notices), not a scan of every user's JSON."""

    __tablename__ = "user_groups"
    group_code: Mapped[str] = mapped_column(String(120), primary_key=True)
    user_id: Mapped[int] = mapped_column(Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)


def _members_sql(dialect: str, user: str, source: str = "") -> str:
    """INSERT … SELECT of the membership rows of the users row `user` (NEW in a trigger, or the alias of a
    table in `source`)."""
    if dialect == "postgresql":
        groups = (
            f"json_array_elements_text(CASE WHEN json_typeof({user}.groups::json) = 'array' "
            f"THEN {user}.groups::json ELSE '[]'::json END) AS g(value)"
        )
        return (
            f"INSERT INTO user_groups (group_code, user_id) SELECT DISTINCT g.value, {user}.id FROM {source}"
            f"{groups} WHERE g.value <> '' ON CONFLICT DO NOTHING"
        )
    return (
        f"INSERT OR IGNORE INTO user_groups (group_code, user_id) SELECT g.value, {user}.id "
        f"FROM {source}json_each({user}.groups) AS g WHERE g.type = 'text' AND g.value <> ''"
    )


def backfill_sql(dialect: str) -> str:
    """The membership rows of every user already stored (migration 0024)."""
    return _members_sql(dialect, "u", "users u, ")


def create_triggers_ddl(dialect: str) -> list[str]:
    refill = ";\n  ".join(["DELETE FROM user_groups WHERE user_id = NEW.id", _members_sql(dialect, "NEW")])
    if dialect == "postgresql":
        return [
            "CREATE OR REPLACE FUNCTION phva_user_groups_refresh() RETURNS trigger LANGUAGE plpgsql AS $$\n"
            f"BEGIN\n  {refill};\n  RETURN NULL;\nEND\n$$",
            *drop_triggers_ddl(dialect)[:2],
            "CREATE TRIGGER user_groups_insert AFTER INSERT ON users FOR EACH ROW "
            "EXECUTE FUNCTION phva_user_groups_refresh()",
            "CREATE TRIGGER user_groups_update AFTER UPDATE OF groups ON users FOR EACH ROW "
            "WHEN (OLD.groups::text IS DISTINCT FROM NEW.groups::text) EXECUTE FUNCTION phva_user_groups_refresh()",
        ]
    return [
        *drop_triggers_ddl(dialect),
        f"CREATE TRIGGER user_groups_insert AFTER INSERT ON users\nBEGIN\n  {_members_sql(dialect, 'NEW')};\nEND",
        "CREATE TRIGGER user_groups_update AFTER UPDATE OF groups ON users WHEN OLD.groups IS NOT NEW.groups\n"
        f"BEGIN\n  {refill};\nEND",
    ]


def drop_triggers_ddl(dialect: str) -> list[str]:
    if dialect == "postgresql":
        return [
            "DROP TRIGGER IF EXISTS user_groups_insert ON users",
            "DROP TRIGGER IF EXISTS user_groups_update ON users",
            "DROP FUNCTION IF EXISTS phva_user_groups_refresh()",
        ]
    return ["DROP TRIGGER IF EXISTS user_groups_insert", "DROP TRIGGER IF EXISTS user_groups_update"]


# create_all (tests, benchmarks) gets the triggers too; migration 0024 runs the same.
@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_target: Any, connection: Connection, **_kw: Any) -> None:
    for statement in create_triggers_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
