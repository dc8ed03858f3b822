"""Who sees which PQRSD case, as rows the bandeja can seek on: one per (case, principal that may see it).

A case is seen by whoever filed it, and by whoever may see one of its process's tasks (any state: a task
already done still shows its case to the person who did it) — `engine.pqrsd.tray` before these rows, as an
OR-EXISTS over every task. Principals: `user` (the filer, a task's assignee, a candidate user), `group` (a
candidate dependencia) and `unrouted` (a task of the case with no assignee and no candidate: supervisors').
Each row carries what the bandeja sorts and filters on, so a funcionario's page is an index range per
principal (a UNION of a few, each stopping at the page's end), never a probe of every case.

Kept by triggers on `pqrsd_cases`, `tasks` and `task_candidates` in the writer's own statement. Each writes
only the rows of the principal it touches: a new task adds its assignee's (or the `unrouted`) row if missing,
a candidate its own; a principal leaving (a new assignee, a dropped candidate) deletes its row only when no
other task, candidate or filing of the case still names it. A completion changes nothing here. A case's new
due date or status updates its few rows; a case linked to its process rebuilds that case's rows.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, ForeignKey, Index, String, event
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id

NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # a suspended case sorts last, as NULLS LAST did
KINDS = ("user", "group", "unrouted")


class CaseVisibility(Base):
    __tablename__ = "case_visibility"
    __table_args__ = (
        Index("ix_case_visibility_due", "kind", "value", "due_key", "case_id"),
        Index("ix_case_visibility_estado", "kind", "value", "estado", "due_key", "case_id"),
    )
    case_id: Mapped[int] = mapped_column(
        Id, ForeignKey("pqrsd_cases.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    value: Mapped[str] = mapped_column(String(120), primary_key=True)  # '' for unrouted
    due_key: Mapped[datetime]  # the case's due date, NO_DUE while suspended
    estado: Mapped[str] = mapped_column(String(30))
    tipo: Mapped[str] = mapped_column(String(80))
    canal: Mapped[str] = mapped_column(String(40))
    dependencia: Mapped[str | None] = mapped_column(String(120))
    received_at: Mapped[datetime]
    amarillo_at: Mapped[datetime | None]
    alerta_at: Mapped[datetime | None]


_PG_NO_DUE = "'9999-12-31 00:00:00+00'::timestamptz"
_SQLITE_NO_DUE = "'9999-12-31 00:00:00.000000'"
COLUMNS = (
    "case_id, kind, value, due_key, estado, tipo, canal, dependencia, received_at, amarillo_at, alerta_at"
)
_CARRIED = "status, due_at, kind, channel, dependencia, received_at, amarillo_at, alerta_at"
_OF_TASK = "(SELECT instance_id FROM tasks WHERE id = {}.task_id)"
_PERSON = " AND NEW.kind IN ('user', 'group')"
_UNROUTED, _EMPTY, _USER = "'unrouted'", "''", "'user'"
_CASE_OF = "SELECT 1 FROM pqrsd_cases WHERE instance_id = {}"
_CANDIDATE_OF = "SELECT 1 FROM task_candidates WHERE task_id = {}"
_UNROUTED_TASK = (
    "SELECT 1 FROM tasks u WHERE u.instance_id = c.instance_id AND u.assignee IS NULL AND NOT EXISTS "
    "(SELECT 1 FROM task_candidates uc WHERE uc.task_id = u.id)"
)


class _Sql:
    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"
        self.no_due = _PG_NO_DUE if self.pg else _SQLITE_NO_DUE
        self.ignore = " ON CONFLICT DO NOTHING" if self.pg else ""
        self.false = "false" if self.pg else "0"

    def carried(self, c: str = "c") -> str:
        return (
            f"COALESCE({c}.due_at, {self.no_due}), {c}.status, {c}.kind, {c}.channel, {c}.dependencia, "
            f"{c}.received_at, {c}.amarillo_at, {c}.alerta_at"
        )

    def principals(self, where: str) -> str:
        """(case id, kind, value) of every principal of the cases matching `where` (over `pqrsd_cases c`)."""
        of_tasks = f"FROM pqrsd_cases c JOIN tasks t ON t.instance_id = c.instance_id WHERE {where}"
        return (
            f"SELECT c.id AS cid, 'user' AS kind, c.created_by AS value FROM pqrsd_cases c WHERE {where} "
            "AND c.created_by IS NOT NULL "
            f"UNION SELECT c.id, 'user', t.assignee {of_tasks} AND t.assignee IS NOT NULL "
            "UNION SELECT c.id, x.kind, x.value FROM pqrsd_cases c JOIN tasks t ON t.instance_id = c.instance_id "
            f"JOIN task_candidates x ON x.task_id = t.id WHERE {where} AND x.kind IN ('user', 'group') "
            f"UNION SELECT c.id, 'unrouted', '' {of_tasks} AND t.assignee IS NULL AND NOT EXISTS "
            "(SELECT 1 FROM task_candidates y WHERE y.task_id = t.id)"
        )

    def rows(self, where: str) -> str:
        return (
            f"SELECT p.cid, p.kind, p.value, {self.carried()} FROM ({self.principals(where)}) p "
            "JOIN pqrsd_cases c ON c.id = p.cid"
        )

    def rebuild_case(self, case: str) -> list[str]:
        return [
            f"DELETE FROM case_visibility WHERE case_id = {case}",
            f"INSERT INTO case_visibility ({COLUMNS}) {self.rows(f'c.id = {case}')}",
        ]

    def rebuild_instance(self, instance: str) -> list[str]:
        return [
            "DELETE FROM case_visibility WHERE case_id IN "
            f"(SELECT c.id FROM pqrsd_cases c WHERE c.instance_id = {instance})",
            f"INSERT INTO case_visibility ({COLUMNS}) {self.rows(f'c.instance_id = {instance}')}",
        ]

    def add(self, kind: str, value: str, instance: str, guard: str = "") -> str:
        """The principal's row on each case of the instance, if missing."""
        return (
            f"INSERT INTO case_visibility ({COLUMNS}) SELECT c.id, {kind}, {value}, {self.carried()} "
            f"FROM pqrsd_cases c WHERE c.instance_id = {instance} AND {value} IS NOT NULL{guard} "
            "AND NOT EXISTS (SELECT 1 FROM case_visibility v "
            f"WHERE v.case_id = c.id AND v.kind = {kind} AND v.value = {value}){self.ignore}"
        )

    def drop(self, kind: str, value: str, instance: str) -> str:
        """The principal's row on each case of the instance, unless something else of the case still names it."""
        if kind == _UNROUTED:
            still = [f"EXISTS ({_UNROUTED_TASK})"]
        else:
            still = [
                "EXISTS (SELECT 1 FROM tasks s JOIN task_candidates sc ON sc.task_id = s.id WHERE s.instance_id = "
                f"c.instance_id AND sc.kind = {kind} AND sc.value = {value})"
            ]
            if kind != "'group'":  # a person is also named by filing the case or holding one of its tasks
                person = "" if kind == "'user'" else f"{kind} = 'user' AND "
                still += [  # COALESCE: NOT of a NULL comparison would keep the row
                    f"COALESCE({person}c.created_by = {value}, {self.false})",
                    f"({person}EXISTS (SELECT 1 FROM tasks s WHERE s.instance_id = c.instance_id "
                    f"AND s.assignee = {value}))",
                ]
        return (
            f"DELETE FROM case_visibility WHERE kind = {kind} AND value = {value} AND case_id IN (SELECT c.id "
            f"FROM pqrsd_cases c WHERE c.instance_id = {instance} AND "
            + " AND ".join(f"NOT {s}" for s in still)
            + ")"
        )

    def add_unrouted(self, instance: str) -> str:
        """The `unrouted` row on each case of the instance that has a task nobody was named for, if missing."""
        return (
            f"INSERT INTO case_visibility ({COLUMNS}) SELECT c.id, 'unrouted', '', {self.carried()} "
            f"FROM pqrsd_cases c WHERE c.instance_id = {instance} AND EXISTS ({_UNROUTED_TASK}) AND NOT EXISTS "
            "(SELECT 1 FROM case_visibility v WHERE v.case_id = c.id AND v.kind = 'unrouted')" + self.ignore
        )

    def carry(self) -> str:
        return (
            f"UPDATE case_visibility SET due_key = COALESCE(NEW.due_at, {self.no_due}), estado = NEW.status, "
            "tipo = NEW.kind, canal = NEW.channel, dependencia = NEW.dependencia, received_at = NEW.received_at, "
            "amarillo_at = NEW.amarillo_at, alerta_at = NEW.alerta_at WHERE case_id = NEW.id"
        )

    def new_task(self) -> list[str]:
        return [self.add("'user'", "NEW.assignee", "NEW.instance_id"), self.add_unrouted("NEW.instance_id")]

    def holder_changed(self) -> list[str]:
        return [
            self.add("'user'", "NEW.assignee", "NEW.instance_id"),
            self.drop("'user'", "OLD.assignee", "NEW.instance_id"),
            self.add_unrouted("NEW.instance_id"),
            self.drop(_UNROUTED, _EMPTY, "NEW.instance_id"),
        ]  # an add of a NULL assignee or a drop of a NULL one matches nothing


def _changed(columns: str, same: str) -> str:
    return " OR ".join(f"OLD.{c} {same} NEW.{c}" for c in columns.split(", "))


def postgresql_ddl() -> list[str]:
    q = _Sql("postgresql")

    def block(statements: list[str], indent: str = "    ") -> str:
        return f";\n{indent}".join(statements)

    return [
        *postgresql_drop_ddl(),
        # Each step guarded by what makes it a no-op (no case on the instance; a task with candidates was never
        # unrouted; no unrouted row to drop): a claim or a new task of a case costs one or two small statements.
        "CREATE FUNCTION phva_case_visibility_on_task() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        f"  IF TG_OP = 'DELETE' THEN\n    {block(q.rebuild_instance('OLD.instance_id'))};\n    RETURN NULL;\n"
        "  ELSIF TG_OP = 'UPDATE' AND OLD.instance_id IS DISTINCT FROM NEW.instance_id THEN\n"
        f"    {block(q.rebuild_instance('OLD.instance_id') + q.rebuild_instance('NEW.instance_id'))};\n"
        "    RETURN NULL;\n  END IF;\n"
        f"  IF NOT EXISTS ({_CASE_OF.format('NEW.instance_id')}) THEN\n    RETURN NULL;\n  END IF;\n"
        f"  IF NEW.assignee IS NOT NULL THEN\n    {q.add(_USER, 'NEW.assignee', 'NEW.instance_id')};\n"
        f"  ELSIF TG_OP = 'UPDATE' AND NOT EXISTS ({_CANDIDATE_OF.format('NEW.id')}) THEN\n"
        f"    {q.add_unrouted('NEW.instance_id')};\n  END IF;\n"
        "  IF TG_OP = 'UPDATE' THEN\n"
        f"    IF OLD.assignee IS NOT NULL THEN\n      {q.drop(_USER, 'OLD.assignee', 'NEW.instance_id')};\n"
        f"    ELSIF NOT EXISTS ({_CANDIDATE_OF.format('NEW.id')}) THEN\n"
        f"      {q.drop(_UNROUTED, _EMPTY, 'NEW.instance_id')};\n    END IF;\n  END IF;\n"
        "  RETURN NULL;\nEND\n$$",
        # A new task nobody holds is unrouted until its candidates come, a statement later: its row is added
        # at commit if it still is (not added by the insert and dropped again by its first candidate).
        "CREATE FUNCTION phva_case_visibility_on_new_task() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE\n  v_inst bigint;\nBEGIN\n"
        "  SELECT t.instance_id INTO v_inst FROM tasks t WHERE t.id = NEW.id AND t.assignee IS NULL "
        f"AND NOT EXISTS ({_CANDIDATE_OF.format('t.id')});\n"
        f"  IF v_inst IS NOT NULL THEN\n    {q.add_unrouted('v_inst')};\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION phva_case_visibility_on_candidate() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "DECLARE\n  v_inst bigint;\n  v_held boolean;\nBEGIN\n"
        "  IF TG_OP = 'INSERT' THEN\n"
        "    SELECT instance_id INTO v_inst FROM tasks WHERE id = NEW.task_id;\n"
        f"    IF v_inst IS NULL OR NOT EXISTS ({_CASE_OF.format('v_inst')}) THEN\n      RETURN NULL;\n    END IF;\n"
        f"    {q.add('NEW.kind', 'NEW.value', 'v_inst', _PERSON)};\n"
        "    IF EXISTS (SELECT 1 FROM case_visibility v JOIN pqrsd_cases c ON c.id = v.case_id "
        "WHERE c.instance_id = v_inst AND v.kind = 'unrouted') THEN\n"
        f"      {q.drop(_UNROUTED, _EMPTY, 'v_inst')};\n    END IF;\n"
        "  ELSE\n"
        "    SELECT instance_id, assignee IS NOT NULL INTO v_inst, v_held FROM tasks WHERE id = OLD.task_id;\n"
        f"    IF v_inst IS NULL OR NOT EXISTS ({_CASE_OF.format('v_inst')}) THEN\n      RETURN NULL;\n    END IF;\n"
        f"    {q.drop('OLD.kind', 'OLD.value', 'v_inst')};\n"
        f"    IF NOT v_held AND NOT EXISTS ({_CANDIDATE_OF.format('OLD.task_id')}) THEN\n"
        f"      {q.add_unrouted('v_inst')};\n    END IF;\n"
        "  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE FUNCTION phva_case_visibility_on_case() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  IF TG_OP = 'INSERT' OR OLD.instance_id IS DISTINCT FROM NEW.instance_id "
        "OR OLD.created_by IS DISTINCT FROM NEW.created_by THEN\n"
        f"    {block(q.rebuild_case('NEW.id'))};\n  ELSE\n    {q.carry()};\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE TRIGGER case_visibility_task_insert AFTER INSERT ON tasks FOR EACH ROW "
        "WHEN (NEW.assignee IS NOT NULL) EXECUTE FUNCTION phva_case_visibility_on_task()",
        "CREATE TRIGGER case_visibility_task_delete AFTER DELETE ON tasks FOR EACH ROW "
        "EXECUTE FUNCTION phva_case_visibility_on_task()",
        "CREATE CONSTRAINT TRIGGER case_visibility_task_unrouted AFTER INSERT ON tasks DEFERRABLE INITIALLY "
        "DEFERRED FOR EACH ROW WHEN (NEW.assignee IS NULL) EXECUTE FUNCTION phva_case_visibility_on_new_task()",
        "CREATE TRIGGER case_visibility_task_update AFTER UPDATE OF assignee, instance_id ON tasks FOR EACH ROW "
        f"WHEN ({_changed('assignee, instance_id', 'IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION phva_case_visibility_on_task()",
        "CREATE TRIGGER case_visibility_candidate AFTER INSERT OR DELETE ON task_candidates FOR EACH ROW "
        "EXECUTE FUNCTION phva_case_visibility_on_candidate()",
        "CREATE TRIGGER case_visibility_case_insert AFTER INSERT ON pqrsd_cases FOR EACH ROW "
        "EXECUTE FUNCTION phva_case_visibility_on_case()",
        f"CREATE TRIGGER case_visibility_case_update AFTER UPDATE OF {_CARRIED}, instance_id, created_by "
        f"ON pqrsd_cases FOR EACH ROW WHEN ({_changed(_CARRIED + ', instance_id, created_by', 'IS DISTINCT FROM')}) "
        "EXECUTE FUNCTION phva_case_visibility_on_case()",
    ]


_PG_TRIGGERS = (
    ("case_visibility_task_insert", "tasks"), ("case_visibility_task_update", "tasks"),
    ("case_visibility_task_unrouted", "tasks"), ("case_visibility_task_delete", "tasks"),
    ("case_visibility_candidate", "task_candidates"), ("case_visibility_case_insert", "pqrsd_cases"),
    ("case_visibility_case_update", "pqrsd_cases"),
)  # fmt: skip


def postgresql_drop_ddl() -> list[str]:
    functions = ("on_task()", "on_new_task()", "on_candidate()", "on_case()")
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in _PG_TRIGGERS] + [
        f"DROP FUNCTION IF EXISTS phva_case_visibility_{f}" for f in functions
    ]


def sqlite_ddl() -> list[str]:
    q = _Sql("sqlite")

    def trigger(name: str, when: str, body: list[str]) -> list[str]:
        text = ";\n  ".join(body)
        return [f"DROP TRIGGER IF EXISTS {name}", f"CREATE TRIGGER {name} {when}\nBEGIN\n  {text};\nEND"]

    new_inst, old_inst = _OF_TASK.format("NEW"), _OF_TASK.format("OLD")
    moved = "OLD.instance_id IS NOT NEW.instance_id"
    return [
        *trigger("case_visibility_task_insert", "AFTER INSERT ON tasks", q.new_task()),
        *trigger(
            "case_visibility_task_holder",
            f"AFTER UPDATE OF assignee ON tasks WHEN OLD.assignee IS NOT NEW.assignee AND NOT ({moved})",
            q.holder_changed(),
        ),
        *trigger(
            "case_visibility_task_moved",
            f"AFTER UPDATE OF instance_id ON tasks WHEN {moved}",
            q.rebuild_instance("OLD.instance_id") + q.rebuild_instance("NEW.instance_id"),
        ),
        *trigger(
            "case_visibility_task_delete", "AFTER DELETE ON tasks", q.rebuild_instance("OLD.instance_id")
        ),
        *trigger(
            "case_visibility_candidate_insert",
            "AFTER INSERT ON task_candidates",
            [
                q.add("NEW.kind", "NEW.value", new_inst, _PERSON),
                q.drop(_UNROUTED, _EMPTY, new_inst),
            ],
        ),
        *trigger(
            "case_visibility_candidate_delete",
            "AFTER DELETE ON task_candidates",
            [q.drop("OLD.kind", "OLD.value", old_inst), q.add_unrouted(old_inst)],
        ),
        *trigger("case_visibility_case_insert", "AFTER INSERT ON pqrsd_cases", q.rebuild_case("NEW.id")),
        *trigger(
            "case_visibility_case_linked",
            "AFTER UPDATE OF instance_id, created_by ON pqrsd_cases WHEN OLD.instance_id IS NOT NEW.instance_id "
            "OR OLD.created_by IS NOT NEW.created_by",
            q.rebuild_case("NEW.id"),
        ),
        *trigger(
            "case_visibility_case_carried",
            f"AFTER UPDATE OF {_CARRIED} ON pqrsd_cases WHEN {_changed(_CARRIED, 'IS NOT')}",
            [q.carry()],
        ),
    ]


_SQLITE_TRIGGERS = ("task_insert", "task_holder", "task_moved", "task_delete", "candidate_insert",
                    "candidate_delete", "case_insert", "case_linked", "case_carried")  # fmt: skip


def sqlite_drop_ddl() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS case_visibility_{name}" for name in _SQLITE_TRIGGERS]


def create_triggers_ddl(dialect: str) -> list[str]:
    return postgresql_ddl() if dialect == "postgresql" else sqlite_ddl()


def drop_triggers_ddl(dialect: str) -> list[str]:
    return postgresql_drop_ddl() if dialect == "postgresql" else sqlite_drop_ddl()


def backfill_sql(dialect: str) -> str:
    """Rows for every case already stored (the migration; a bulk load with its triggers off)."""
    return f"INSERT INTO case_visibility ({COLUMNS}) {_Sql(dialect).rows('1 = 1')}"


def expected_rows_sql(dialect: str) -> str:
    """What the rows should be, computed from the case and task tables (tests compare it with the kept rows)."""
    return _Sql(dialect).rows("1 = 1")


# create_all (tests, benchmarks) gets the triggers too, once every table exists; migration 0028 runs the same.
@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_target: Any, connection: Connection, **_kw: Any) -> None:
    for statement in create_triggers_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
