"""Who sees which open task, as rows a list can seek on: one per (open task, principal).

Principals: `all` (every open task, for admins), `assignee`, each candidate `user` and `group`, and
`unrouted` (nobody named: the supervisors'). Each row carries what the inbox sorts and filters on, so a
list is an index range per principal (UNION of a few), never an OR-EXISTS over every task.

The rows are kept by database triggers on `tasks` and `task_candidates`, in the writing statement's own
transaction: every path that writes a task (save, claim, complete, reassign, a case's new due date, a
migration) keeps them right without a statement or a round trip of its own. The triggers are incremental
(migration 0024): each writes only the rows its change touches.
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


# Each change writes only the rows it changes (a completion: one DELETE; a new task: its few rows), never
# a rebuild of the task's rows; reopening a closed task (no use case does) rebuilds them.
_COLUMNS = "task_id, kind, value, taken, due_key, neg_priority, process_key, instance_id"
_WATCHED = "state, assignee, due_at, priority, process_key"
_SORTED = ("due_at", "priority", "process_key")
_PG_NO_DUE = "'9999-12-31 00:00:00+00'::timestamptz"
_SQLITE_NO_DUE = "'9999-12-31 00:00:00.000000'"


class _Sql:
    """The statements of the incremental triggers, in one dialect's words."""

    def __init__(self, dialect: str) -> None:
        self.no_due = _PG_NO_DUE if dialect == "postgresql" else _SQLITE_NO_DUE
        self.false = "false" if dialect == "postgresql" else "0"

    def keys(self, row: str) -> str:
        return f"COALESCE({row}.due_at, {self.no_due}), -{row}.priority, {row}.process_key, {row}.instance_id"

    def new_task(self) -> str:
        """A ready task's own rows: `all`, and its assignee's or else `unrouted` (its candidates come after)."""
        return (
            f"INSERT INTO task_visibility ({_COLUMNS}) SELECT NEW.id, p.kind, p.value, {self.false}, "
            f"{self.keys('NEW')} FROM (SELECT 'all' AS kind, '' AS value UNION ALL SELECT 'assignee', "
            "NEW.assignee UNION ALL SELECT 'unrouted', '') p WHERE p.kind = 'all' OR (p.kind = 'assignee' AND "
            "NEW.assignee IS NOT NULL) OR (p.kind = 'unrouted' AND NEW.assignee IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM task_candidates c WHERE c.task_id = NEW.id))"
        )

    def closed(self) -> str:
        return "DELETE FROM task_visibility WHERE task_id = NEW.id"

    def holder_changed(self) -> list[str]:
        """A ready task's assignee changed: its assignee or unrouted row, and whether its candidate rows are
        taken."""
        return [
            "DELETE FROM task_visibility WHERE task_id = NEW.id AND kind IN ('assignee', 'unrouted')",
            f"INSERT INTO task_visibility ({_COLUMNS}) SELECT NEW.id, p.kind, p.value, {self.false}, "
            f"{self.keys('NEW')} FROM (SELECT 'assignee' AS kind, NEW.assignee AS value UNION ALL "
            "SELECT 'unrouted', '') p WHERE (p.kind = 'assignee' AND NEW.assignee IS NOT NULL) OR "
            "(p.kind = 'unrouted' AND NEW.assignee IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM task_candidates c WHERE c.task_id = NEW.id))",
            "UPDATE task_visibility SET taken = (NEW.assignee IS NOT NULL) WHERE task_id = NEW.id "
            "AND kind IN ('user', 'group') AND taken <> (NEW.assignee IS NOT NULL)",
        ]

    def sort_keys_changed(self) -> str:
        return (
            f"UPDATE task_visibility SET due_key = COALESCE(NEW.due_at, {self.no_due}), "
            "neg_priority = -NEW.priority, process_key = NEW.process_key WHERE task_id = NEW.id"
        )

    def candidate_added(self) -> str:
        return (
            f"INSERT INTO task_visibility ({_COLUMNS}) SELECT t.id, NEW.kind, NEW.value, t.assignee IS NOT NULL, "
            f"{self.keys('t')} FROM tasks t WHERE t.id = NEW.task_id AND t.state = 'ready'"
        )

    def unrouted_dropped(self) -> str:
        return "DELETE FROM task_visibility WHERE task_id = NEW.task_id AND kind = 'unrouted'"

    def candidate_removed(self) -> list[str]:
        return [
            "DELETE FROM task_visibility WHERE task_id = OLD.task_id AND kind = OLD.kind AND value = OLD.value",
            f"INSERT INTO task_visibility ({_COLUMNS}) SELECT t.id, 'unrouted', '', {self.false}, "
            f"{self.keys('t')} FROM tasks t WHERE t.id = OLD.task_id AND t.state = 'ready' AND t.assignee IS "
            "NULL AND NOT EXISTS (SELECT 1 FROM task_candidates c WHERE c.task_id = t.id) AND NOT EXISTS "
            "(SELECT 1 FROM task_visibility v WHERE v.task_id = t.id AND v.kind = 'unrouted')",
        ]  # the last: a statement that removes several candidates (PostgreSQL runs each row's trigger after it)


def _changed(columns: tuple[str, ...] | str, same: str) -> str:
    names = columns.split(", ") if isinstance(columns, str) else columns
    return " OR ".join(f"OLD.{c} {same} NEW.{c}" for c in names)


def postgresql_ddl() -> list[str]:
    q = _Sql("postgresql")
    refresh = ";\n  ".join(refresh_sql("p_task", _PG_NO_DUE))
    holder = ";\n      ".join(q.holder_changed())
    removed = ";\n    ".join(q.candidate_removed())
    return [
        "CREATE OR REPLACE FUNCTION phva_task_visibility_refresh(p_task bigint) RETURNS void "
        f"LANGUAGE plpgsql AS $$\nBEGIN\n  {refresh};\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_task_visibility_on_insert() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        f"BEGIN\n  IF NEW.state = 'ready' THEN\n    {q.new_task()};\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_task_visibility_on_update() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        f"  IF OLD.state = 'ready' AND NEW.state <> 'ready' THEN\n    {q.closed()};\n"
        "  ELSIF NEW.state = 'ready' AND OLD.state <> 'ready' THEN\n"
        "    PERFORM phva_task_visibility_refresh(NEW.id);\n"
        "  ELSIF NEW.state = 'ready' THEN\n"
        f"    IF OLD.assignee IS DISTINCT FROM NEW.assignee THEN\n      {holder};\n    END IF;\n"
        f"    IF {_changed(_SORTED, 'IS DISTINCT FROM')} THEN\n      {q.sort_keys_changed()};\n    END IF;\n"
        "  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_task_visibility_on_candidate() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE\n  v_taken boolean;\nBEGIN\n"
        f"  IF TG_OP = 'INSERT' THEN\n    {q.candidate_added()} RETURNING taken INTO v_taken;\n"
        f"    IF v_taken = false THEN\n      {q.unrouted_dropped()};\n    END IF;\n"
        f"  ELSE\n    {removed};\n  END IF;\n  RETURN NULL;\nEND\n$$",
        *_pg_drop_triggers(),
        "DROP FUNCTION IF EXISTS phva_task_visibility_on_task()",  # 0016's, which rebuilt every row
        "CREATE TRIGGER task_visibility_insert AFTER INSERT ON tasks FOR EACH ROW "
        "EXECUTE FUNCTION phva_task_visibility_on_insert()",
        f"CREATE TRIGGER task_visibility_update AFTER UPDATE OF {_WATCHED} ON tasks FOR EACH ROW "
        f"WHEN ({_changed(_WATCHED, 'IS DISTINCT FROM')}) EXECUTE FUNCTION phva_task_visibility_on_update()",
        "CREATE TRIGGER task_visibility_candidate AFTER INSERT OR DELETE ON task_candidates FOR EACH ROW "
        "EXECUTE FUNCTION phva_task_visibility_on_candidate()",
    ]


def _pg_drop_triggers() -> list[str]:
    return [
        "DROP TRIGGER IF EXISTS task_visibility_insert ON tasks",
        "DROP TRIGGER IF EXISTS task_visibility_update ON tasks",
        "DROP TRIGGER IF EXISTS task_visibility_candidate ON task_candidates",
    ]


def postgresql_drop_ddl() -> list[str]:
    functions = ("on_task()", "on_insert()", "on_update()", "on_candidate()", "refresh(bigint)")
    return _pg_drop_triggers() + [f"DROP FUNCTION IF EXISTS phva_task_visibility_{f}" for f in functions]


def sqlite_ddl() -> list[str]:
    q = _Sql("sqlite")
    both_ready = "OLD.state = 'ready' AND NEW.state = 'ready'"

    def trigger(name: str, when: str, body: list[str]) -> list[str]:
        text = ";\n  ".join(body)
        return [f"DROP TRIGGER IF EXISTS {name}", f"CREATE TRIGGER {name} {when}\nBEGIN\n  {text};\nEND"]

    return [
        *sqlite_drop_ddl(),
        *trigger("task_visibility_insert", "AFTER INSERT ON tasks WHEN NEW.state = 'ready'", [q.new_task()]),
        *trigger(
            "task_visibility_close",
            "AFTER UPDATE OF state ON tasks WHEN OLD.state = 'ready' AND NEW.state <> 'ready'",
            [q.closed()],
        ),
        *trigger(
            "task_visibility_reopen",
            "AFTER UPDATE OF state ON tasks WHEN OLD.state <> 'ready' AND NEW.state = 'ready'",
            refresh_sql("NEW.id", _SQLITE_NO_DUE),
        ),
        *trigger(
            "task_visibility_holder",
            f"AFTER UPDATE OF assignee ON tasks WHEN {both_ready} AND OLD.assignee IS NOT NEW.assignee",
            q.holder_changed(),
        ),
        *trigger(
            "task_visibility_sort",
            f"AFTER UPDATE OF {', '.join(_SORTED)} ON tasks WHEN {both_ready} AND ({_changed(_SORTED, 'IS NOT')})",
            [q.sort_keys_changed()],
        ),
        *trigger(
            "task_visibility_candidate_insert",
            "AFTER INSERT ON task_candidates",
            [q.candidate_added(), q.unrouted_dropped()],
        ),
        *trigger(
            "task_visibility_candidate_delete", "AFTER DELETE ON task_candidates", q.candidate_removed()
        ),
    ]


def sqlite_drop_ddl() -> list[str]:
    names = ("insert", "update", "close", "reopen", "holder", "sort", "candidate_insert", "candidate_delete")
    return [f"DROP TRIGGER IF EXISTS task_visibility_{name}" for name in names]


def backfill_sql(dialect: str) -> str:
    """Rows for every open task already stored (the migration; a bulk load with its triggers off)."""
    return _rows("1 = 1", _PG_NO_DUE if dialect == "postgresql" else _SQLITE_NO_DUE)


def expected_rows_sql(dialect: str) -> str:
    """What the rows should be, computed from the task tables (tests compare it with what the triggers kept)."""
    return _select("1 = 1", _PG_NO_DUE if dialect == "postgresql" else _SQLITE_NO_DUE)


def create_triggers_ddl(dialect: str) -> list[str]:
    return postgresql_ddl() if dialect == "postgresql" else sqlite_ddl()


# create_all (tests, benchmarks) gets the triggers too, once every table exists; migrations 0016 and 0024 run
# the same.
@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_target: Any, connection: Connection, **_kw: Any) -> None:
    for statement in create_triggers_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
