"""The supervision dashboard's rows and counters, kept by database triggers so no page reads every open task.

`supervision_items`: one row per open PQRSD or ready task and per scope that watches it ('' the entity, each
dependencia it is offered to or that answers it), and for a task offered to several dependencias one per
dependencia (`first` marks the row that counts in the other tables). Each row carries the three moments that
decide its semáforo — e1 amarillo, e2 2/3 alerta, e3 vencido, with e1 ≤ e2 ≤ e3 — so its colour at `now` is how
many of them have passed.

`supervision_counts`: how many rows reach each moment in each hour, per (section, scope, dimension, value).
"How many are amarillo now" is then the rows whose e1 has passed minus those whose e2 has: the counters of the
hours already over plus an index range over the rows of the current hour. The triggers only append ±1 rows
(no row is updated, so concurrent writers never wait on or deadlock over a hot counter); `compact_sql` folds
the hours already over into one row per key.

Triggers on `pqrsd_cases`, `tasks` and `task_candidates` only mark the instance that changed in
`supervision_dirty`; its rows are rebuilt once per transaction, when it commits, however many of its tasks and
candidates the transaction wrote (a completion writes about five). On PostgreSQL a deferred constraint trigger on
`supervision_dirty` does it; SQLite has no deferred triggers, so `flush_sqlite` runs from the engine's commit
event (`engine.store.db`). A case without a process is refreshed at once, by its id. A trigger on
`supervision_items` appends the counters' deltas.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    Float,
    Index,
    Integer,
    String,
    bindparam,
    delete,
    event,
    insert,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id, UtcDateTime

NO_DUE = datetime(9999, 12, 31, tzinfo=UTC)  # the moments of a row without a term: never reached
PAST = datetime(1970, 1, 1, tzinfo=UTC)  # the bucket of the hours folded by compaction, and of open/no-term
# engine.pqrsd.radicacion.CLOSED_STATUSES (a test keeps them equal; the store imports no use case)
CLOSED = ("respondida", "cerrada", "desistida_tacita", "desistida_expresa", "archivada_art19",
          "rechazada_irrespetuosa", "trasladada", "anulada")  # fmt: skip
NONE = "-"


class SupervisionItem(Base):
    __tablename__ = "supervision_items"
    __table_args__ = (
        Index("ix_supervision_items_e1", "section", "scope", "first", "e1", "item_id"),
        Index("ix_supervision_items_e2", "section", "scope", "first", "e2", "item_id"),
        Index("ix_supervision_items_e3", "section", "scope", "first", "e3", "item_id"),
        Index("ix_supervision_items_dependencia", "section", "scope", "dependencia", "e3", "item_id"),
        Index("ix_supervision_items_funcionario", "section", "scope", "funcionario", "e3", "item_id"),
        Index("ix_supervision_items_instance", "instance_id"),
    )
    section: Mapped[str] = mapped_column(String(5), primary_key=True)  # caso | tarea
    item_id: Mapped[int] = mapped_column(Id, primary_key=True)
    scope: Mapped[str] = mapped_column(String(120), primary_key=True)
    dependencia: Mapped[str] = mapped_column(String(120), primary_key=True)
    first: Mapped[bool] = mapped_column(Boolean)
    instance_id: Mapped[int] = mapped_column(Id)  # 0: a case without a process
    funcionario: Mapped[str] = mapped_column(String(120))
    tipo: Mapped[str] = mapped_column(String(80))
    canal: Mapped[str] = mapped_column(String(40))
    proceso: Mapped[str] = mapped_column(String(200))
    no_term: Mapped[str] = mapped_column(String(12))  # suspendida | sin_termino | '' (it has a term)
    e1: Mapped[datetime]
    e2: Mapped[datetime]
    e3: Mapped[datetime]


class SupervisionCount(Base):
    __tablename__ = "supervision_counts"
    __table_args__ = (Index("ix_supervision_counts_scope", "scope", "bucket"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    section: Mapped[str] = mapped_column(String(5))
    scope: Mapped[str] = mapped_column(String(120))
    dimension: Mapped[str] = mapped_column(String(12))
    value: Mapped[str] = mapped_column(String(200))
    moment: Mapped[str] = mapped_column(String(12))  # abierta | suspendida | sin_termino | e1 | e2 | e3
    bucket: Mapped[datetime]  # the hour the moment falls in (UTC); PAST once folded
    n: Mapped[int] = mapped_column(Integer)


class SupervisionState(Base):
    """One row: the amarillo share the task moments were computed with, and the last hour compacted."""

    __tablename__ = "supervision_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    amarillo_share: Mapped[float] = mapped_column(Float)
    compacted: Mapped[datetime]


class SupervisionDirty(Base):
    """The instances whose rows a transaction must rebuild before it commits (`xid`: its transaction on
    PostgreSQL, so concurrent writers never meet on a key; 0 on SQLite, which has one writer at a time)."""

    __tablename__ = "supervision_dirty"
    xid: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)
    instance_id: Mapped[int] = mapped_column(Id, primary_key=True, autoincrement=False)


class _Sql:
    """The dialect's spelling of moments and booleans."""

    def __init__(self, dialect: str) -> None:
        self.pg = dialect == "postgresql"

    def moment(self, value: datetime) -> str:
        if self.pg:
            return f"'{value.strftime('%Y-%m-%d %H:%M:%S')}+00'::timestamptz"
        return f"'{value.strftime('%Y-%m-%d %H:%M:%S')}.000000'"

    def hour(self, column: str) -> str:
        if self.pg:
            return f"(date_trunc('hour', {column} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
        return f"strftime('%Y-%m-%d %H:00:00.000000', {column})"

    def share_point(self, start: str, end: str, share: str) -> str:
        if self.pg:
            return f"({start} + ({end} - {start}) * {share})"
        return (
            f"(strftime('%Y-%m-%d %H:%M:%f', julianday({start}) + (julianday({end}) - julianday({start})) "
            f"* {share}) || '000')"
        )

    @property
    def true(self) -> str:
        return "true" if self.pg else "1"


SHARE = "COALESCE((SELECT s.amarillo_share FROM supervision_state s WHERE s.id = 1), 0.5)"
COLUMNS = "section, item_id, scope, dependencia, first, instance_id, funcionario, tipo, canal, proceso, no_term, e1, e2, e3"


def _case_moments(q: _Sql, c: str) -> tuple[str, str, str]:
    no_due = q.moment(NO_DUE)
    e3 = f"COALESCE({c}.due_at, {no_due})"
    e2 = (
        f"CASE WHEN {c}.due_at IS NULL THEN {no_due} WHEN {c}.alerta_at IS NOT NULL AND {c}.alerta_at < {c}.due_at "
        f"THEN {c}.alerta_at ELSE {c}.due_at END"
    )
    e1 = (
        f"CASE WHEN {c}.due_at IS NULL THEN {no_due} WHEN {c}.amarillo_at IS NOT NULL AND {c}.amarillo_at < ({e2}) "
        f"THEN {c}.amarillo_at ELSE ({e2}) END"
    )
    return e1, e2, e3


def _case_rows(q: _Sql, where: str) -> str:
    """The rows of the open cases matching `where` (over `pqrsd_cases c`)."""
    e1, e2, e3 = _case_moments(q, "c")
    offered = (
        "SELECT min(tc.value) FROM tasks t JOIN task_candidates tc ON tc.task_id = t.id AND tc.kind = 'group' "
        "WHERE t.instance_id = c.instance_id AND t.state = 'ready'"
    )
    scopes = (
        f"SELECT c.id AS sid, '' AS scope FROM pqrsd_cases c WHERE {where} "
        f"UNION SELECT c.id, c.dependencia FROM pqrsd_cases c WHERE {where} AND c.dependencia IS NOT NULL "
        "UNION SELECT c.id, tc.value FROM pqrsd_cases c JOIN tasks t ON t.instance_id = c.instance_id "
        "AND t.state = 'ready' JOIN task_candidates tc ON tc.task_id = t.id AND tc.kind = 'group' "
        f"WHERE {where}"
    )
    closed = ", ".join(f"'{s}'" for s in CLOSED)
    return (
        f"SELECT 'caso' AS section, c.id AS item_id, s.scope AS scope, COALESCE(c.dependencia, ({offered}), '{NONE}') "
        f"AS dependencia, {q.true} AS first, COALESCE(c.instance_id, 0) AS instance_id, '{NONE}' AS funcionario, "
        f"c.kind AS tipo, c.channel AS canal, 'pqrsd' AS proceso, "
        f"CASE WHEN c.due_at IS NULL THEN 'suspendida' ELSE '' END AS no_term, {e1} AS e1, {e2} AS e2, {e3} AS e3 "
        f"FROM pqrsd_cases c JOIN ({scopes}) s ON s.sid = c.id WHERE {where} AND c.status NOT IN ({closed})"
    )


_GROUPS = "SELECT x.value FROM task_candidates x WHERE x.task_id = t.id AND x.kind = 'group'"
_WITH_CASE = (  # a task's case: the first of its instance, if any
    "FROM tasks t LEFT JOIN pqrsd_cases c ON c.id = (SELECT min(k.id) FROM pqrsd_cases k WHERE k.instance_id = t.instance_id) "
)


def _task_columns(q: _Sql) -> str:
    """A task row's columns after `first`, over `tasks t` and its case `c`: its case's term when it has one."""
    ce1, ce2, ce3 = _case_moments(q, "c")
    no_due = q.moment(NO_DUE)
    own = q.share_point("t.created_at", "t.due_at", SHARE)
    e3 = f"CASE WHEN c.id IS NOT NULL THEN {ce3} ELSE COALESCE(t.due_at, {no_due}) END"
    e2 = f"CASE WHEN c.id IS NOT NULL THEN {ce2} ELSE COALESCE(t.due_at, {no_due}) END"
    e1 = (
        f"CASE WHEN c.id IS NOT NULL THEN {ce1} WHEN t.due_at IS NULL THEN {no_due} "
        f"WHEN {own} < t.due_at THEN {own} ELSE t.due_at END"
    )
    return (
        f"t.instance_id AS instance_id, COALESCE(t.assignee, '{NONE}') AS funcionario, "
        f"COALESCE(c.kind, '{NONE}') AS tipo, COALESCE(c.channel, '{NONE}') AS canal, t.process_key AS proceso, "
        "CASE WHEN c.id IS NOT NULL THEN (CASE WHEN c.due_at IS NULL THEN 'suspendida' ELSE '' END) "
        "WHEN t.due_at IS NULL THEN 'sin_termino' ELSE '' END AS no_term, "
        f"{e1} AS e1, {e2} AS e2, {e3} AS e3 "
    )


def _task_rows(q: _Sql, where: str) -> str:
    """The rows of the ready tasks matching `where` (over `tasks t`), each with its case's term when it has one."""
    scopes = (
        f"SELECT t.id AS sid, '' AS scope FROM tasks t WHERE {where} "
        f"UNION SELECT t.id, x.value FROM tasks t JOIN task_candidates x ON x.task_id = t.id AND x.kind = 'group' "
        f"WHERE {where} "
        "UNION SELECT t.id, k.dependencia FROM tasks t JOIN pqrsd_cases k ON k.instance_id = t.instance_id "
        f"WHERE {where} AND k.dependencia IS NOT NULL"
    )
    deps = (
        f"SELECT t.id AS sid, x.value AS dep FROM tasks t JOIN task_candidates x ON x.task_id = t.id "
        f"AND x.kind = 'group' WHERE {where} "
        f"UNION ALL SELECT t.id, '{NONE}' FROM tasks t WHERE {where} AND NOT EXISTS ({_GROUPS})"
    )
    return (
        f"SELECT 'tarea' AS section, t.id AS item_id, s.scope AS scope, d.dep AS dependencia, "
        f"d.dep = COALESCE((SELECT min(x.value) FROM ({_GROUPS}) x), '{NONE}') AS first, {_task_columns(q)}"
        f"{_WITH_CASE}JOIN ({scopes}) s ON s.sid = t.id JOIN ({deps}) d ON d.sid = t.id "
        f"WHERE {where} AND t.state = 'ready'"
    )


def _task_rows_per_task(q: _Sql, where: str) -> str:
    """`_task_rows` for PostgreSQL's refresh: each task's scopes and dependencias by LATERAL index lookups, so an
    instance with 3,333 open tasks costs 3,333 lookups (the set form's joins, planned for one task, went cubic).
    The property test checks it against `_task_rows`, which `expected_rows_sql` keeps."""
    return (
        f"SELECT 'tarea' AS section, t.id AS item_id, s.scope AS scope, d.dep AS dependencia, "
        f"d.dep = COALESCE(g.first_group, '{NONE}') AS first, {_task_columns(q)}{_WITH_CASE}"
        f"CROSS JOIN LATERAL (SELECT min(x.value) AS first_group FROM ({_GROUPS}) x) g "
        f"CROSS JOIN LATERAL (SELECT ''::text AS scope UNION {_GROUPS} UNION SELECT k.dependencia FROM pqrsd_cases k "
        "WHERE k.instance_id = t.instance_id AND k.dependencia IS NOT NULL) s "
        f"CROSS JOIN LATERAL ({_GROUPS} UNION ALL SELECT '{NONE}' WHERE g.first_group IS NULL) d(dep) "
        f"WHERE {where} AND t.state = 'ready'"
    )


def expected_rows_sql(dialect: str) -> str:
    """Every row the items table should hold, computed from the case and task tables."""
    q = _Sql(dialect)
    return f"{_case_rows(q, '1 = 1')} UNION ALL {_task_rows(q, '1 = 1')}"


def _refresh_instances(q: _Sql, match: str) -> list[str]:
    """Bring the rows of the instances whose id `match`es (an SQL tail: `= p_instance`, `IN (…)`) up to date,
    touching only the rows that change (the counters follow)."""
    fresh = f"{_case_rows(q, f'c.instance_id {match}')} UNION ALL {_task_rows(q, f't.instance_id {match}')}"
    return [
        f"DELETE FROM supervision_items WHERE instance_id {match} AND ({COLUMNS}) NOT IN ({fresh})",
        f"INSERT INTO supervision_items ({COLUMNS}) SELECT {COLUMNS} FROM ({fresh}) n WHERE NOT EXISTS "
        "(SELECT 1 FROM supervision_items i WHERE i.section = n.section AND i.item_id = n.item_id "
        "AND i.scope = n.scope AND i.dependencia = n.dependencia)",
    ]


_DIRTY = "IN (SELECT d.instance_id FROM supervision_dirty d)"
_FLUSH_SQLITE = [*_refresh_instances(_Sql("sqlite"), _DIRTY), "DELETE FROM supervision_dirty"]


def flush_sqlite(dbapi_connection: Any) -> None:
    """Rebuild the rows of the instances this transaction marked, just before it commits (SQLite)."""
    cursor = dbapi_connection.cursor()
    try:
        try:
            if cursor.execute("SELECT 1 FROM supervision_dirty LIMIT 1").fetchone() is None:
                return
        except sqlite3.OperationalError as error:  # a database not migrated this far has nothing to rebuild
            if "no such table" in str(error):
                return
            raise
        for statement in _FLUSH_SQLITE:
            cursor.execute(statement)
    finally:
        cursor.close()


def _mark_sqlite(instance: str, guard: str = "1 = 1") -> str:
    return (
        f"INSERT OR IGNORE INTO supervision_dirty (xid, instance_id) SELECT 0, {instance} "
        f"WHERE {instance} IS NOT NULL AND {guard}"
    )


def _refresh_lone_case(q: _Sql, case: str) -> list[str]:
    """A case without a process (yet, or any more: its instance deleted): its rows by its id. The rows it had
    under an instance go too when it has none now; while it has one, its instance's refresh keeps them."""
    return [
        f"DELETE FROM supervision_items WHERE section = 'caso' AND item_id = {case} AND (instance_id = 0 OR "
        f"(SELECT c.instance_id FROM pqrsd_cases c WHERE c.id = {case}) IS NULL)",
        f"INSERT INTO supervision_items ({COLUMNS}) {_case_rows(q, f'c.id = {case} AND c.instance_id IS NULL')}",
    ]


def _delta_sets(q: _Sql, row: str) -> tuple[str, str]:
    """The (dimension, value) and (moment, bucket) pairs an items row counts in (`row`: NEW, OLD or an alias)."""
    dims = (
        f"SELECT 'dependencia' AS dimension, {row}.dependencia AS value "
        f"UNION ALL SELECT 'funcionario', {row}.funcionario WHERE {row}.first AND {row}.section = 'tarea' "
        f"UNION ALL SELECT 'tipo', {row}.tipo WHERE {row}.first "
        f"UNION ALL SELECT 'canal', {row}.canal WHERE {row}.first "
        f"UNION ALL SELECT 'proceso', {row}.proceso WHERE {row}.first AND {row}.section = 'tarea'"
    )
    past = q.moment(PAST)
    moments = (
        f"SELECT 'abierta' AS moment, {past} AS bucket "
        f"UNION ALL SELECT {row}.no_term, {past} WHERE {row}.no_term <> '' "
        + " ".join(
            f"UNION ALL SELECT '{m}', {q.hour(f'{row}.{m}')} WHERE {row}.no_term = ''"
            for m in ("e1", "e2", "e3")
        )
    )
    return dims, moments


def _deltas(q: _Sql, row: str, sign: str) -> str:
    """The counters' ±1 rows of one items row (`row`: NEW or OLD; SQLite's row triggers)."""
    dims, moments = _delta_sets(q, row)
    return (
        "INSERT INTO supervision_counts (section, scope, dimension, value, moment, bucket, n) "
        f"SELECT {row}.section, {row}.scope, d.dimension, d.value, m.moment, m.bucket, {sign} "
        f"FROM ({dims}) d CROSS JOIN ({moments}) m"
    )


def _net_deltas(q: _Sql, signed: list[tuple[str, str]]) -> str:
    """The counters' net change for the rows of each (relation, sign), one row per key whose count moves: a
    completion's closed task and its next one cancel out and write nothing (PostgreSQL)."""
    dims, moments = _delta_sets(q, "r")
    parts = " UNION ALL ".join(
        f"SELECT r.section, r.scope, d.dimension, d.value, m.moment, m.bucket, {sign} AS n FROM {relation} r "
        f"CROSS JOIN LATERAL ({dims}) d CROSS JOIN LATERAL ({moments}) m"
        for relation, sign in signed
    )
    key = "section, scope, dimension, value, moment, bucket"
    return (
        f"INSERT INTO supervision_counts ({key}, n) SELECT {key}, sum(n) FROM ({parts}) x "
        f"GROUP BY {key} HAVING sum(n) <> 0"
    )


_KEY = ("section", "item_id", "scope", "dependencia")


def _pg_sync(q: _Sql, fresh: str, held: str) -> str:
    """One statement that brings the stored rows `held` (a condition over `supervision_items i`) to `fresh`:
    the rows computed once, compared whole with the stored ones (a hashed NOT IN each way, linear in the rows),
    a row no longer due deleted, a new or changed one upserted, and the counters' net change appended. A fresh
    row's key stored outside `held` (a case that changed instance) is compared too, so its old counts go."""
    columns = COLUMNS.split(", ")

    def of(table: str) -> str:
        return ", ".join(f"{table}.{c}" for c in columns)

    keys = ", ".join(_KEY)
    same_key = " AND ".join(f"i.{c} = {{t}}.{c}" for c in _KEY)
    changed = ", ".join(f"{c} = EXCLUDED.{c}" for c in columns if c not in _KEY)
    return (
        f"WITH fresh AS MATERIALIZED ({fresh}), "
        f"old AS MATERIALIZED (SELECT {of('i')} FROM supervision_items i WHERE {held} "
        f"UNION ALL SELECT {of('i')} FROM fresh f CROSS JOIN LATERAL (SELECT * FROM supervision_items i "
        f"WHERE {same_key.format(t='f')} AND NOT ({held}) OFFSET 0) i), "  # OFFSET 0: a key lookup per row
        f"gone AS MATERIALIZED (SELECT * FROM old WHERE ({COLUMNS}) NOT IN (SELECT {COLUMNS} FROM fresh)), "
        f"new AS MATERIALIZED (SELECT * FROM fresh WHERE ({COLUMNS}) NOT IN (SELECT {COLUMNS} FROM old)), "
        f"dropped AS (DELETE FROM supervision_items i USING gone g WHERE {same_key.format(t='g')} "
        f"AND ({', '.join(f'g.{c}' for c in _KEY)}) NOT IN (SELECT {keys} FROM new)), "
        f"put AS (INSERT INTO supervision_items ({COLUMNS}) SELECT {COLUMNS} FROM new "
        f"ON CONFLICT ({keys}) DO UPDATE SET {changed}) " + _net_deltas(q, [("gone", "-1"), ("new", "1")])
    )


def backfill_sql(dialect: str, hour: datetime | None = None) -> list[str]:
    """The rows and counters of everything stored (the migration; a bulk load with the triggers off). With
    `hour`, the counters of the hours before it are written folded, as compaction would leave them (a rebuild:
    one row per key for the past instead of one per key and hour)."""
    q = _Sql(dialect)
    past = q.moment(PAST)

    def folded(bucket: str) -> str:
        return (
            bucket if hour is None else f"CASE WHEN {bucket} < {q.moment(hour)} THEN {past} ELSE {bucket} END"
        )

    if q.pg:  # one scan of the rows, each crossed with the pairs it counts in, as the triggers count them
        dims, moments = _delta_sets(q, "i")
        counted = (
            f"SELECT i.section, i.scope, d.dimension, d.value, m.moment, {folded('m.bucket')} AS bucket "
            f"FROM supervision_items i CROSS JOIN LATERAL ({dims}) d CROSS JOIN LATERAL ({moments}) m"
        )
    else:  # SQLite has no LATERAL: a scan per pair
        dims_where = [("dependencia", "1 = 1"), ("funcionario", "i.first AND i.section = 'tarea'"),
                      ("tipo", "i.first"), ("canal", "i.first"),
                      ("proceso", "i.first AND i.section = 'tarea'")]  # fmt: skip
        moments_where = [("'abierta'", past, "1 = 1"), ("i.no_term", past, "i.no_term <> ''")] + [
            (f"'{m}'", folded(q.hour(f"i.{m}")), "i.no_term = ''") for m in ("e1", "e2", "e3")
        ]
        counted = " UNION ALL ".join(
            f"SELECT i.section, i.scope, '{dim}' AS dimension, i.{dim} AS value, {moment} AS moment, "
            f"{bucket} AS bucket FROM supervision_items i WHERE {dim_where} AND {moment_where}"
            for dim, dim_where in dims_where
            for moment, bucket, moment_where in moments_where
        )
    return [
        "DELETE FROM supervision_counts",
        "DELETE FROM supervision_items",
        f"INSERT INTO supervision_items ({COLUMNS}) {expected_rows_sql(dialect)}",
        "INSERT INTO supervision_counts (section, scope, dimension, value, moment, bucket, n) "
        f"SELECT section, scope, dimension, value, moment, bucket, count(*) FROM ({counted}) e "
        "GROUP BY section, scope, dimension, value, moment, bucket",
    ]


def compact_sql(dialect: str) -> list[str]:
    """Fold the counters of the hours over (bucket < :hour) into one row per key; exact under concurrent
    writers on PostgreSQL (the rows folded are the very rows deleted), SQLite has one writer at a time."""
    q = _Sql(dialect)
    key = "section, scope, dimension, value, moment"
    folded = f"SELECT {key}, {q.moment(PAST)}, sum(n) FROM gone GROUP BY {key} HAVING sum(n) <> 0"
    insert = f"INSERT INTO supervision_counts ({key}, bucket, n) "
    if q.pg:
        return [
            f"WITH gone AS (DELETE FROM supervision_counts WHERE bucket < :hour RETURNING {key}, n) {insert}{folded}"
        ]
    return [
        f"CREATE TEMP TABLE IF NOT EXISTS gone AS SELECT {key}, n FROM supervision_counts WHERE 0",
        "DELETE FROM gone",
        f"INSERT INTO gone SELECT {key}, n FROM supervision_counts WHERE bucket < :hour",
        "DELETE FROM supervision_counts WHERE bucket < :hour",
        insert + folded,
    ]


def compact(connection: Connection, hour: datetime) -> None:
    for statement in compact_sql(connection.dialect.name):
        bound = text(statement)
        if ":hour" in statement:
            bound = bound.bindparams(bindparam("hour", type_=UtcDateTime()))
        connection.execute(bound, {"hour": hour})


_TASK_WATCHED = "state, assignee, due_at, created_at, process_key, instance_id"
_CASE_WATCHED = "status, due_at, amarillo_at, alerta_at, dependencia, kind, channel, instance_id"


def postgresql_ddl() -> list[str]:
    q = _Sql("postgresql")
    return [
        # A custom plan of the rows' query costs 2–7 ms to make, the generic one 0.2 ms to run: never re-plan
        "CREATE OR REPLACE FUNCTION phva_supervision_refresh(p_instance bigint) RETURNS void LANGUAGE plpgsql "
        f"SET plan_cache_mode = force_generic_plan AS $$\n{_pg_refresh_body(q)}\n$$",
        "CREATE OR REPLACE FUNCTION phva_supervision_mark(p_instance bigint) RETURNS void LANGUAGE plpgsql "
        "AS $$\nBEGIN\n  IF p_instance IS NOT NULL THEN\n"
        "    INSERT INTO supervision_dirty (xid, instance_id) VALUES (txid_current(), p_instance) "
        "ON CONFLICT DO NOTHING;\n  END IF;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_supervision_flush() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  DELETE FROM supervision_dirty WHERE xid = NEW.xid AND instance_id = NEW.instance_id;\n"
        "  PERFORM phva_supervision_refresh(NEW.instance_id);\n  RETURN NULL;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_supervision_lone_case(p_case bigint) RETURNS void LANGUAGE plpgsql "
        f"SET plan_cache_mode = force_generic_plan AS $$\n{_pg_lone_case_body(q)}\n$$",
        "CREATE OR REPLACE FUNCTION phva_supervision_on_task() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  IF TG_OP <> 'INSERT' THEN PERFORM phva_supervision_mark(OLD.instance_id); END IF;\n"
        "  IF TG_OP <> 'DELETE' AND (TG_OP = 'INSERT' OR NEW.instance_id IS DISTINCT FROM OLD.instance_id) THEN\n"
        "    PERFORM phva_supervision_mark(NEW.instance_id);\n  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_supervision_on_candidate() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n  IF TG_OP = 'DELETE' THEN\n"
        "    PERFORM phva_supervision_mark((SELECT instance_id FROM tasks WHERE id = OLD.task_id));\n"
        "  ELSE\n    PERFORM phva_supervision_mark((SELECT instance_id FROM tasks WHERE id = NEW.task_id));\n"
        "  END IF;\n  RETURN NULL;\nEND\n$$",
        "CREATE OR REPLACE FUNCTION phva_supervision_on_case() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n"
        "  IF TG_OP = 'DELETE' THEN\n"
        "    WITH gone AS (DELETE FROM supervision_items WHERE section = 'caso' AND item_id = OLD.id "
        f"RETURNING {COLUMNS}) {_net_deltas(q, [('gone', '-1')])};\n"
        "    PERFORM phva_supervision_mark(OLD.instance_id);\n    RETURN NULL;\n  END IF;\n"
        "  PERFORM phva_supervision_lone_case(NEW.id);\n"
        "  IF TG_OP = 'UPDATE' AND OLD.instance_id IS DISTINCT FROM NEW.instance_id THEN\n"
        "    PERFORM phva_supervision_mark(OLD.instance_id);\n  END IF;\n"
        "  PERFORM phva_supervision_mark(NEW.instance_id);\n  RETURN NULL;\nEND\n$$",
        *_pg_trigger(
            "supervision_task_insert", "AFTER INSERT OR DELETE ON tasks", "phva_supervision_on_task"
        ),
        *_pg_trigger(
            "supervision_task_update",
            f"AFTER UPDATE OF {_TASK_WATCHED} ON tasks",
            "phva_supervision_on_task",
            "WHEN ("
            + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _TASK_WATCHED.split(", "))
            + ")",
        ),
        *_pg_trigger(
            "supervision_candidate",
            "AFTER INSERT OR DELETE ON task_candidates",
            "phva_supervision_on_candidate",
        ),
        *_pg_trigger(
            "supervision_case_insert", "AFTER INSERT OR DELETE ON pqrsd_cases", "phva_supervision_on_case"
        ),
        *_pg_trigger(
            "supervision_case_update",
            f"AFTER UPDATE OF {_CASE_WATCHED} ON pqrsd_cases",
            "phva_supervision_on_case",
            "WHEN ("
            + " OR ".join(f"OLD.{c} IS DISTINCT FROM NEW.{c}" for c in _CASE_WATCHED.split(", "))
            + ")",
        ),
        "DROP TRIGGER IF EXISTS supervision_dirty_flush ON supervision_dirty",
        "CREATE CONSTRAINT TRIGGER supervision_dirty_flush AFTER INSERT ON supervision_dirty "
        "DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION phva_supervision_flush()",
        # The counters are appended by the statements that write the rows (`_pg_sync`), not per row.
        "DROP TRIGGER IF EXISTS supervision_item ON supervision_items",
        "DROP FUNCTION IF EXISTS phva_supervision_on_item()",
    ]


def _pg_refresh_body(q: _Sql) -> str:
    """The rows of one instance computed once and synced in one statement (`_pg_sync`): an unchanged row is left
    alone (its counters too), a changed one updated, a row no longer due deleted."""
    fresh = (
        f"{_case_rows(q, 'c.instance_id = p_instance')} UNION ALL "
        f"{_task_rows_per_task(q, 't.instance_id = p_instance')}"
    )
    return (
        "BEGIN\n  IF p_instance IS NULL THEN RETURN; END IF;\n"
        f"  {_pg_sync(q, fresh, 'i.instance_id = p_instance')};\nEND"
    )


def _pg_lone_case_body(q: _Sql) -> str:
    """`_refresh_lone_case` as one sync: the rows of a case without a process, by its id."""
    held = (
        "i.section = 'caso' AND i.item_id = p_case AND (i.instance_id = 0 OR "
        "(SELECT c.instance_id FROM pqrsd_cases c WHERE c.id = p_case) IS NULL)"
    )
    fresh = _case_rows(q, "c.id = p_case AND c.instance_id IS NULL")
    return f"BEGIN\n  {_pg_sync(q, fresh, held)};\nEND"


def _pg_trigger(name: str, when: str, function: str, condition: str = "") -> list[str]:
    table = when.rsplit(" ON ", 1)[1]
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"CREATE TRIGGER {name} {when} FOR EACH ROW {condition} EXECUTE FUNCTION {function}()",
    ]


_PG_TRIGGERS = (
    ("supervision_task_insert", "tasks"), ("supervision_task_update", "tasks"),
    ("supervision_candidate", "task_candidates"), ("supervision_case_insert", "pqrsd_cases"),
    ("supervision_case_update", "pqrsd_cases"), ("supervision_dirty_flush", "supervision_dirty"),
    ("supervision_item", "supervision_items"),
)  # fmt: skip
_PG_FUNCTIONS = ("phva_supervision_on_task()", "phva_supervision_on_candidate()", "phva_supervision_on_case()",
                 "phva_supervision_on_item()", "phva_supervision_flush()", "phva_supervision_refresh(bigint)",
                 "phva_supervision_mark(bigint)", "phva_supervision_lone_case(bigint)")  # fmt: skip


def postgresql_drop_ddl() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS {name} ON {table}" for name, table in _PG_TRIGGERS] + [
        f"DROP FUNCTION IF EXISTS {f}" for f in _PG_FUNCTIONS
    ]


def sqlite_ddl() -> list[str]:
    q = _Sql("sqlite")

    def trigger(name: str, when: str, body: list[str]) -> list[str]:
        return [
            f"DROP TRIGGER IF EXISTS {name}",
            f"CREATE TRIGGER {name} {when}\nBEGIN\n  " + ";\n  ".join(body) + ";\nEND",
        ]

    of_task = "(SELECT instance_id FROM tasks WHERE id = {}.task_id)"
    moved = "OLD.instance_id IS NOT NEW.instance_id"
    return [
        *trigger("supervision_task_insert", "AFTER INSERT ON tasks", [_mark_sqlite("NEW.instance_id")]),
        *trigger(
            "supervision_task_update",
            f"AFTER UPDATE OF {_TASK_WATCHED} ON tasks",
            [_mark_sqlite("OLD.instance_id", moved), _mark_sqlite("NEW.instance_id")],
        ),
        *trigger("supervision_task_delete", "AFTER DELETE ON tasks", [_mark_sqlite("OLD.instance_id")]),
        *trigger(
            "supervision_candidate_insert",
            "AFTER INSERT ON task_candidates",
            [_mark_sqlite(of_task.format("NEW"))],
        ),
        *trigger(
            "supervision_candidate_delete",
            "AFTER DELETE ON task_candidates",
            [_mark_sqlite(of_task.format("OLD"))],
        ),
        *trigger(
            "supervision_case_insert",
            "AFTER INSERT ON pqrsd_cases",
            [*_refresh_lone_case(q, "NEW.id"), _mark_sqlite("NEW.instance_id")],
        ),
        *trigger(
            "supervision_case_update",
            f"AFTER UPDATE OF {_CASE_WATCHED} ON pqrsd_cases",
            [
                *_refresh_lone_case(q, "NEW.id"),
                _mark_sqlite("OLD.instance_id", moved),
                _mark_sqlite("NEW.instance_id"),
            ],
        ),
        *trigger(
            "supervision_case_delete",
            "AFTER DELETE ON pqrsd_cases",
            [
                "DELETE FROM supervision_items WHERE section = 'caso' AND item_id = OLD.id",
                _mark_sqlite("OLD.instance_id"),
            ],
        ),
        *trigger("supervision_item_insert", "AFTER INSERT ON supervision_items", [_deltas(q, "NEW", "1")]),
        *trigger("supervision_item_delete", "AFTER DELETE ON supervision_items", [_deltas(q, "OLD", "-1")]),
    ]


_SQLITE_TRIGGERS = ("task_insert", "task_update", "task_delete", "candidate_insert", "candidate_delete",
                    "case_insert", "case_update", "case_delete", "item_insert", "item_delete")  # fmt: skip


def sqlite_drop_ddl() -> list[str]:
    return [f"DROP TRIGGER IF EXISTS supervision_{name}" for name in _SQLITE_TRIGGERS]


def create_triggers_ddl(dialect: str) -> list[str]:
    return postgresql_ddl() if dialect == "postgresql" else sqlite_ddl()


def drop_triggers_ddl(dialect: str) -> list[str]:
    return postgresql_drop_ddl() if dialect == "postgresql" else sqlite_drop_ddl()


def rebuild(connection: Connection, share: float, hour: datetime) -> None:
    """Recompute every row and counter with the amarillo share `share` (the setting changed, or a bulk load)."""
    dialect = connection.dialect.name
    if dialect == "postgresql":
        with _indexes_built_after(connection):
            _recompute(connection, dialect, share, hour)
        return
    for statement in drop_triggers_ddl(dialect)[-2:]:  # SQLite's counter triggers on the items: off meanwhile
        connection.exec_driver_sql(statement)
    _recompute(connection, dialect, share, hour)
    for statement in sqlite_ddl()[-4:]:
        connection.exec_driver_sql(statement)


def _recompute(connection: Connection, dialect: str, share: float, hour: datetime) -> None:
    connection.execute(delete(SupervisionState))
    connection.execute(insert(SupervisionState).values(id=1, amarillo_share=share, compacted=hour))
    for statement in backfill_sql(dialect, hour):
        connection.exec_driver_sql(statement)


# The secondary indexes of the tables a rebuild rewrites whole (not those behind a constraint: the keys stay).
_SECONDARY_INDEXES = (
    "SELECT c.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x JOIN pg_class c ON c.oid = x.indexrelid "
    "JOIN pg_class t ON t.oid = x.indrelid JOIN pg_namespace s ON s.oid = t.relnamespace "
    "WHERE t.relname IN ('supervision_items', 'supervision_counts') AND s.nspname = current_schema() "
    "AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid) ORDER BY c.relname"
)


@contextmanager
def _indexes_built_after(connection: Connection) -> Iterator[None]:
    """The secondary indexes dropped for the bulk insert and built again after it: one sort per index instead
    of millions of random inserts (at 1M open tasks, 381 s of a 428 s rebuild were the items' index upkeep).

    Writers are locked out first, as a rebuild always did (EXCLUSIVE lets readers on). Dropping an index then
    needs readers out too: the counters before the rows, the order the dashboard's summary reads them in, so
    a summary that holds the counters finishes with the rows before the rebuild takes them, and never waits
    on a rebuild that waits on it. A sorted build gets the memory it needs, for this transaction only."""
    connection.exec_driver_sql("LOCK TABLE supervision_items, supervision_counts IN EXCLUSIVE MODE")
    for table in ("supervision_counts", "supervision_items"):
        connection.exec_driver_sql(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE")
    memory = "SELECT set_config('maintenance_work_mem', :memory, true)"
    previous = connection.exec_driver_sql("SELECT current_setting('maintenance_work_mem')").scalar_one()
    connection.execute(text(memory), {"memory": "512MB"})
    indexes = connection.exec_driver_sql(_SECONDARY_INDEXES).all()
    for name, _ddl in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _name, ddl in indexes:
        connection.exec_driver_sql(ddl)
    connection.exec_driver_sql("ANALYZE supervision_items, supervision_counts")
    connection.execute(text(memory), {"memory": previous})


# create_all (tests, benchmarks) gets the triggers too, once every table exists; migration 0023 runs the same.
@event.listens_for(Base.metadata, "after_create")
def _create_triggers(_target: Any, connection: Connection, **_kw: Any) -> None:
    for statement in create_triggers_ddl(connection.dialect.name):
        connection.exec_driver_sql(statement)
