"""Statements of the hot paths, compiled once per dialect and run on the driver's cursor.

SQLAlchemy spends 70–250 µs of CPU executing a prebuilt statement (cache key, parameter and result
machinery), 6× what psycopg needs to send it and read its row: more than SpiffWorkflow spends completing the
task. A `Prepared` statement keeps, per dialect and set of parameter names, the SQL text, the order of its
parameters with their types' bind processors, and its columns' result processors, then runs on the DBAPI
cursor of the session's connection.

What SQLAlchemy does around a statement still happens: `before_cursor_execute` and `after_cursor_execute`
listeners run (statement counts, the outage log, pipeline mode — `engine.store.db`), and a driver error
goes through the connection's error handling (wrapped as SQLAlchemy's error, `handle_error` listeners,
invalidation of a broken connection). Only one set of plain bind parameters runs here: several rows (a
list of more than one), expanding IN lists, Python-side column defaults or a missing parameter are run by
SQLAlchemy, which batches several rows into one statement.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple, NoReturn, cast

from sqlalchemy import CursorResult
from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

_Processor = Callable[[Any], Any] | None
_Params = Mapping[str, Any] | Sequence[Mapping[str, Any]]  # one row, or several


class _Compiled(NamedTuple):
    sql: str
    positional: bool
    binds: tuple[tuple[str, str, Any, _Processor], ...]  # (name in SQL, parameter key, default, processor)
    returns_rows: bool
    row: Any  # namedtuple class of a row, or None
    results: tuple[_Processor, ...]
    processed: bool  # some result column has a processor
    isinsert: bool
    isupdate: bool
    isdelete: bool


class _Context:
    """What the engine's cursor listeners read of an execution context (`engine.store.db._Pipelines`)."""

    __slots__ = ("_rowcount", "compiled", "effective_returning", "isdelete", "isinsert", "isupdate")

    def __init__(self, compiled: _Compiled) -> None:
        self.isinsert, self.isupdate, self.isdelete = compiled.isinsert, compiled.isupdate, compiled.isdelete
        self.effective_returning = compiled.returns_rows
        self.compiled = self  # the listeners read `context.compiled.effective_returning`
        self._rowcount: Any = None


class Prepared:
    """One prebuilt statement: `rows`, `one_or_none`, `scalar_one` or `execute` it in a session."""

    __slots__ = ("_by_shape", "statement")

    def __init__(self, statement: Executable) -> None:
        self.statement = statement
        self._by_shape: dict[tuple[str, frozenset[str]], _Compiled | None] = {}

    def rows(self, session: Session, params: _Params) -> list[Any]:
        ran = self._run(session, params)
        if ran is None:
            return list(session.connection().execute(self.statement, params))
        compiled, cursor, _ = ran
        found = cursor.fetchall()
        if compiled.processed:
            found = [_process(compiled, r) for r in found]
        make = compiled.row._make
        return [make(r) for r in found]

    def one_or_none(self, session: Session, params: _Params) -> Any:
        found = self.rows(session, params)
        if len(found) > 1:
            raise ValueError("se esperaba una fila o ninguna")
        return found[0] if found else None

    def scalar_one(self, session: Session, params: _Params) -> Any:
        found = self.rows(session, params)
        if len(found) != 1:
            raise ValueError(f"se esperaba exactamente una fila, hubo {len(found)}")
        return found[0][0]

    def execute(self, session: Session, params: _Params) -> Any:
        """A write without RETURNING: its rowcount (pipelined, a count read only when compared)."""
        ran = self._run(session, params)
        if ran is None:
            return cast(CursorResult[Any], session.connection().execute(self.statement, params)).rowcount
        _, cursor, context = ran
        return context._rowcount if context._rowcount is not None else cursor.rowcount

    def _run(self, session: Session, params: _Params) -> tuple[_Compiled, Any, _Context] | None:
        """None: a shape this module does not run (SQLAlchemy runs it)."""
        if not isinstance(params, Mapping):
            if len(params) != 1:
                return None
            params = params[0]
        conn = session.connection()
        dialect = conn.dialect
        key = (dialect.name, frozenset(params))
        try:
            compiled = self._by_shape[key]
        except KeyError:
            compiled = self._by_shape[key] = _compile(self.statement, dialect, params)
        if compiled is None:
            return None
        if compiled.positional:
            args: Any = tuple(
                (p(params.get(k, d)) if p is not None else params.get(k, d)) for _, k, d, p in compiled.binds
            )
        else:
            args = {
                n: (p(params.get(k, d)) if p is not None else params.get(k, d))
                for n, k, d, p in compiled.binds
            }
        dbapi_connection = conn.connection.dbapi_connection
        assert dbapi_connection is not None
        cursor = dbapi_connection.cursor()
        context = _Context(compiled)
        dispatch = conn.dispatch
        try:
            for listener in dispatch.before_cursor_execute:
                listener(conn, cursor, compiled.sql, args, context, False)
            cursor.execute(compiled.sql, args)
            for listener in dispatch.after_cursor_execute:
                listener(conn, cursor, compiled.sql, args, context, False)
        except BaseException as error:
            _raise(conn, error, compiled.sql, args, cursor)
        return compiled, cursor, context


def _raise(conn: Connection, error: BaseException, sql: str, args: Any, cursor: Any) -> NoReturn:
    """The connection's own handling of a driver error: wrapped, `handle_error` listeners, invalidation."""
    conn._handle_dbapi_exception(error, sql, args, cursor, None)  # raises
    raise error  # pragma: no cover - _handle_dbapi_exception always raises


def _process(compiled: _Compiled, row: Any) -> tuple[Any, ...]:
    return tuple(v if p is None or v is None else p(v) for p, v in zip(compiled.results, row, strict=True))


def _compile(statement: Any, dialect: Dialect, params: Mapping[str, Any]) -> _Compiled | None:
    """None for what only SQLAlchemy runs right: expanding IN lists, Python-side column defaults, a missing
    required parameter (SQLAlchemy's own error then)."""
    compiled: Any = statement.compile(dialect=dialect, column_keys=sorted(params))
    if compiled.literal_execute_params or compiled.post_compile_params:
        return None
    if compiled.insert_prefetch or compiled.update_prefetch:
        return None
    binds = []
    escaped = compiled.escaped_bind_names or {}
    names = compiled.positiontup if compiled.positional else list(dict.fromkeys(compiled.bind_names.values()))
    for name in names:
        bind = compiled.binds[name]
        if bind.key not in params and bind.required:
            return None
        default = bind.effective_value if bind.key not in params else None
        processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
        binds.append((escaped.get(name, name), bind.key, default, processor))
    returns = bool(statement.is_select or getattr(compiled, "effective_returning", None))
    columns = list(statement.selected_columns if statement.is_select else statement.exported_columns)
    row = namedtuple("Row", [c.key for c in columns], rename=True) if returns else None  # type: ignore[misc]
    results = tuple(c.type.dialect_impl(dialect).result_processor(dialect, None) for c in columns)
    return _Compiled(
        compiled.string, bool(compiled.positional), tuple(binds), returns, row, results,
        any(p is not None for p in results) and returns, bool(compiled.isinsert), bool(compiled.isupdate),
        bool(compiled.isdelete),
    )  # fmt: skip
