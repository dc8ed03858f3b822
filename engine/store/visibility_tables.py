"""Who sees which open task, as rows a list can seek on: one per (open task, principal).

Principals: `all` (every open task, for admins), `assignee`, each candidate `user` and `group`, and
`unrouted` (nobody named: the supervisors'). Each row carries what the inbox sorts and filters on, so a
list is an index range per principal (UNION of a few), never an OR-EXISTS over every task.

The rows are kept by database triggers on `tasks` and `task_candidates`, in the writing statement's own
transaction: every path that writes a task (save, claim, complete, reassign, a case's new due date, a
migration) keeps them right without a statement or a round trip of its own.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Connection, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id

# A task without a due date sorts last: the key is never NULL, so a seek is one row comparison.
NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)
KINDS = ("all", "assignee", "user", "group", "unrouted")


class TaskVisibility(Base):
    __tablename__ = "task_visibility"
    __table_args__ = (
        Index("ix_task_visibility_due", "kind", "value", "taken", "due_key", "neg_priority", "task_id"),
        Index("ix_task_visibility_priority", "kind", "value", "taken", "neg_priority", "due_key", "task_id"),
    )
    task_id: Mapped[int] = mapped_column(Id, ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(120), primary_key=True)  # '' for all and unrouted
    # A candidate row of a task someone holds: «de mi dependencia» leaves it out, «todas» keeps it.
    taken: Mapped[bool] = mapped_column(Boolean)
    due_key: Mapped[datetime]  # the task's due date, NO_DUE without one
    neg_priority: Mapped[int] = mapped_column(Integer)  # -priority: both sort keys ascend
    process_key: Mapped[str] = mapped_column(String(200))
    instance_id: Mapped[int] = mapped_column(Id)


def _rows(where: str, no_due: str) -> str:
    """INSERT … SELECT of the rows of the open tasks matching `where` (over `tasks t`)."""
    columns = "task_id, kind, value, taken, due_key, neg_priority, process_key, instance_id"
    return f"INSERT INTO task_visibility ({columns}) " + _select(where, no_due)


def _select(where: str, no_due: str) -> str:
    def part(kind: str, value: str, taken: str, source: str = "tasks t", extra: str = "") -> str:
        return (
            f"SELECT t.id, {kind}, {value}, {taken}, COALESCE(t.due_at, {no_due}), -t.priority, t.process_key, "
            f"t.instance_id FROM {source} WHERE {where} AND t.state = 'ready'{extra}"
        )

    no_candidate = "NOT EXISTS (SELECT 1 FROM task_candidates c WHERE c.task_id = t.id)"
    parts = (
        part("'all'", "''", "1 = 0"),
        part("'assignee'", "t.assignee", "1 = 0", extra=" AND t.assignee IS NOT NULL"),
        part(
            "c.kind",
            "c.value",
            "t.assignee IS NOT NULL",
            "tasks t JOIN task_candidates c ON c.task_id = t.id",
        ),
        part("'unrouted'", "''", "1 = 0", extra=f" AND t.assignee IS NULL AND {no_candidate}"),
    )
    return " UNION ALL ".join(parts)


def refresh_sql(task: str, no_due: str) -> list[str]:
    """The statements that rebuild one task's rows (`task`: the SQL expression of its id)."""
    return [f"DELETE FROM task_visibility WHERE task_id = {task}", _rows(f"t.id = {task}", no_due)]


_WATCHED = "state, assignee, due_at, priority, process_key"
_PG_NO_DUE = "'9999-12-31 00:00:00+00'::timestamptz"
_SQLITE_NO_DUE = "'9999-12-31 00:00:00.000000'"


def postgresql_ddl() -> list[str]:
    body = ";\n  ".join(refresh_sql("p_task", _PG_NO_DUE))
    return [
        "CREATE OR REPLACE FUNCTION phva_task_visibility_refresh(p_task bigint) RETURNS void "
        f"LANGUAGE plpgsql AS $$\nBEGIN\n  {body};\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_task_visibility_on_task() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  PERFORM phva_task_visibility_refresh(NEW.id);\n  RETURN NULL;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_task_visibility_on_candidate() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  IF TG_OP = 'DELETE' THEN PERFORM phva_task_visibility_refresh(OLD.task_id);\n"
        "  ELSE PERFORM phva_task_visibility_refresh(NEW.task_id); END IF;\n  RETURN NULL;\nEND\n$$",
        "DROP TRIGGER IF EXISTS task_visibility_insert ON tasks",
        "CREATE TRIGGER task_visibility_insert AFTER INSERT ON tasks FOR EACH ROW "
        "EXECUTE FUNCTION phva_task_visibility_on_task()",
        "DROP TRIGGER IF EXISTS task_visibility_update ON tasks",
        f"CREATE TRIGGER task_visibility_update AFTER UPDATE OF {_WATCHED} ON tasks FOR EACH ROW "
        "WHEN (OLD.state IS DISTINCT FROM NEW.state OR OLD.assignee IS DISTINCT FROM NEW.assignee "
        "OR OLD.due_at IS DISTINCT FROM NEW.due_at OR OLD.priority IS DISTINCT FROM NEW.priority "
        "OR OLD.process_key IS DISTINCT FROM NEW.process_key) "
        "EXECUTE FUNCTION phva_task_visibility_on_task()",
        "DROP TRIGGER IF EXISTS task_visibility_candidate ON task_candidates",
        "CREATE TRIGGER task_visibility_candidate AFTER INSERT OR DELETE ON task_candidates FOR EACH ROW "
        "EXECUTE FUNCTION phva_task_visibility_on_candidate()",
    ]


def postgresql_drop_ddl() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS task_visibility_insert ON tasks",
        "DROP TRIGGER IF EXISTS task_visibility_update ON tasks",
        "DROP TRIGGER IF EXISTS task_visibility_candidate ON task_candidates",
        "DROP FUNCTION IF EXISTS phva_task_visibility_on_task()",
        "DROP FUNCTION IF EXISTS phva_task_visibility_on_candidate()",
        "DROP FUNCTION IF EXISTS phva_task_visibility_refresh(bigint)",
    ]


def sqlite_ddl() -> list[str]:
    def trigger(name: str, when: str, task: str) -> list[str]:
        body = ";\n  ".join(refresh_sql(task, _SQLITE_NO_DUE))
        return [f"DROP TRIGGER IF EXISTS {name}", f"CREATE TRIGGER {name} {when}\nBEGIN\n  {body};\nEND"]

    return [
        *trigger("task_visibility_insert", "AFTER INSERT ON tasks", "NEW.id"),
        *trigger("task_visibility_update", f"AFTER UPDATE OF {_WATCHED} ON tasks", "NEW.id"),
        *trigger("task_visibility_candidate_insert", "AFTER INSERT ON task_candidates", "NEW.task_id"),
        *trigger("task_visibility_candidate_delete", "AFTER DELETE ON task_candidates", "OLD.task_id"),
    ]


def sqlite_drop_ddl() -> list[str]:
    names = ("insert", "update", "candidate_insert", "candidate_delete")
    return [f"DROP TRIGGER IF EXISTS task_visibility_{name}" for name in names]


def backfill_sql(dialect: str) -> str:
    """Rows for every open task already stored (the migration; a bulk load with its triggers off)."""
    return _rows("1 = 1", _PG_NO_DUE if dialect == "postgresql" else _SQLITE_NO_DUE)


def expected_rows_sql(dialect: str) -> str:
    """What the rows should be, computed from the task tables (tests compare it with what the triggers kept)."""
    return _select("1 = 1", _PG_NO_DUE if dialect == "postgresql" else _SQLITE_NO_DUE)


def create_triggers_ddl(dialect: str) -> list[str]:
    return postgresql_ddl() if dialect == "postgresql" else sqlite_ddl()


# create_all (tests, benchmarks) gets the triggers too, once every table exists; migration 0016 runs the same.
@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_target: Any, connection: Connection, **_kw: Any) -> None:
    for statement in create_triggers_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
