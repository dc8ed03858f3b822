"""Database engines: SQLite (WAL, foreign keys, busy timeout, writers serialized) or PostgreSQL.

On PostgreSQL a pooled connection is not pinged before use (a round trip per checkout): its socket is looked
at instead, which costs nothing — a server that restarted or ended the session has closed it or written its
farewell there — and a connection older than `pool_recycle` is replaced. A unit of work may ask for
*pipeline mode* (`PIPELINE`): its statements are queued and sent together, and the client waits only for
the ones whose rows it reads and for the commit (psycopg's pipeline, see `_Pipelines`).
"""

from __future__ import annotations

import contextlib
import select
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import Connection, ExceptionContext, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from engine.errors import DatabaseNotReady
from engine.store import supervision_tables
from engine.store.availability import Availability

SQLITE_BUSY_TIMEOUT_MS = 15_000
CONNECT_TIMEOUT_S = 10  # PostgreSQL: libpq's default waits for the operating system (minutes)
PIPELINE = "phva_pipeline"  # execution option of a session's connection: run its transaction pipelined


class Database:
    """Two session factories over one database: `write` for changes, `read` for queries.

    On SQLite a write transaction starts with BEGIN IMMEDIATE, so concurrent writers queue on the
    file lock instead of failing later with a stale snapshot; reads never take that lock.
    """

    def __init__(
        self, url: str, *, pool_size: int = 5, pool_recycle: int = 1800, pgbouncer: bool = False
    ) -> None:
        """`pool_size`: connections kept per process (PostgreSQL; as many again may open under load);
        `pool_recycle`: seconds after which a connection is replaced; `pgbouncer`: the URL is a PgBouncer in
        transaction mode, so no server-side prepared statements (a later transaction may get another server
        connection)."""
        self.url = url
        self.pipelined = False
        parsed = make_url(url)
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        if self.is_sqlite:
            memory = parsed.database in (None, "", ":memory:")
            if not memory and parsed.database:
                Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
            shared: dict[str, Any] = (
                {"poolclass": StaticPool, "connect_args": {"check_same_thread": False}} if memory else {}
            )
            self.write_engine = _sqlite_engine(url, "BEGIN IMMEDIATE", shared)
            self.read_engine = self.write_engine if memory else _sqlite_engine(url, "BEGIN", {})
            event.listen(self.write_engine, "commit", _flush_supervision)
        else:
            connect_args: dict[str, Any] = {"prepare_threshold": None} if pgbouncer else {}
            if "connect_timeout" not in parsed.query:  # unreachable, or PgBouncer waiting: a 503, no hang
                connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
            self.write_engine = create_engine(
                url,
                pool_size=pool_size,
                max_overflow=pool_size,
                pool_recycle=pool_recycle,
                connect_args=connect_args,
            )
            self.read_engine = self.write_engine
            event.listen(self.write_engine, "checkout", _closed_by_server)
            _Pipelines(self.write_engine)
            self.pipelined = True
        self.availability = Availability()  # outages seen by this process: logged once, recovery once
        for engine in {self.write_engine, self.read_engine}:
            event.listen(engine, "handle_error", _missing_schema)
            event.listen(engine, "after_cursor_execute", self.availability.answered)
        self.write = sessionmaker(self.write_engine, expire_on_commit=False)
        self.read = sessionmaker(self.read_engine, expire_on_commit=False)

    def session(self, write: bool = True) -> Session:
        return self.write() if write else self.read()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


def _flush_supervision(conn: Connection) -> None:
    """SQLite has no deferred triggers: the dashboard rows of the instances this transaction changed are
    rebuilt here, once each, just before COMMIT (PostgreSQL does it in a deferred constraint trigger)."""
    supervision_tables.flush_sqlite(conn.connection.dbapi_connection)


def _closed_by_server(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
    """An idle connection has nothing to read unless the server closed it or said why it ends it (restart,
    pg_terminate_backend, idle timeout): then the pool drops it and hands out a new one (no round trip)."""
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError) as error:
        raise DisconnectionError("conexión cerrada") from error
    if readable or dbapi_connection.closed:
        raise DisconnectionError("el servidor cerró la conexión")


class _Pipelines:
    """Pipeline mode for the transactions that ask for it (execution option `PIPELINE`).

    The transaction runs in psycopg's pipeline with BEGIN and COMMIT sent as queued commands (autocommit
    on the driver meanwhile, so psycopg sends no BEGIN of its own and waits for nothing). After each
    statement the client waits for the server only when the statement returns rows the caller reads
    (SELECT, RETURNING); an INSERT, UPDATE or DELETE without RETURNING is sent with the next one that does,
    or with COMMIT. After a SAVEPOINT every statement waits again, so code that catches a database error
    inside a savepoint sees it where it happened. A queued statement's rowcount is a `PendingRowcount`: code
    that reads it waits for it then; the instance repository does not read it for a row it holds locked.
    """

    def __init__(self, engine: Engine) -> None:
        event.listen(engine, "begin", self.begin)
        event.listen(engine, "after_cursor_execute", self.after_execute)
        event.listen(engine, "commit", self.commit)
        event.listen(engine, "rollback", self.rollback)
        event.listen(engine, "checkin", self.checkin)

    @staticmethod
    def begin(conn: Connection) -> None:
        if not conn.get_execution_options().get(PIPELINE):
            return
        driver = conn.connection.driver_connection
        assert driver is not None
        driver.autocommit = True
        entered = driver.pipeline()
        conn.info[PIPELINE] = [entered, entered.__enter__(), False]  # context, pipeline, wait after each
        driver.execute("BEGIN")

    @staticmethod
    def after_execute(
        conn: Connection, _cursor: Any, statement: str, _params: Any, context: Any, _many: bool
    ) -> None:
        state = conn.info.get(PIPELINE)
        if state is None:
            return
        _, pipeline, wait_always = state
        writes = context.isinsert or context.isupdate or context.isdelete
        if not wait_always and writes and not getattr(context.compiled, "effective_returning", None):
            context._rowcount = PendingRowcount(pipeline, _cursor)  # waited for only if someone reads it
            return  # nothing else to read: goes with the next statement that returns rows
        if statement.lstrip()[:9].upper() in ("SAVEPOINT", "RELEASE S", "ROLLBACK "):
            state[2] = True
        pipeline.sync()

    @staticmethod
    def commit(conn: Connection) -> None:
        state = conn.info.pop(PIPELINE, None)
        if state is None:
            return
        driver = conn.connection.driver_connection
        assert driver is not None
        try:
            driver.execute("COMMIT")
            state[0].__exit__(None, None, None)
        except BaseException as error:
            _end(driver, "ROLLBACK")
            if isinstance(error, conn.dialect.loaded_dbapi.Error):
                # This listener runs outside SQLAlchemy's own error handling of COMMIT: hand the driver's
                # error to it, so it comes out wrapped, `handle_error` runs, and a lost connection is
                # invalidated instead of going back to the pool for a rollback that fails there.
                conn._handle_dbapi_exception(error, "COMMIT", None, None, None)  # raises
            raise
        _end(driver, None)

    @staticmethod
    def rollback(conn: Connection) -> None:
        if conn.invalidated:  # the server went away mid-transaction: nothing to end here (checkin does it)
            return
        state = conn.info.pop(PIPELINE, None)
        if state is None:
            return
        driver = conn.connection.driver_connection
        assert driver is not None
        with contextlib.suppress(
            Exception
        ):  # an aborted pipeline skips the ROLLBACK too; _end sends it again
            driver.execute("ROLLBACK")
            state[0].__exit__(None, None, None)
        _end(driver, "ROLLBACK")

    @staticmethod
    def checkin(dbapi_connection: Any, record: Any) -> None:
        state = record.info.pop(PIPELINE, None)  # never hand a pipelined connection to the next user
        if state is not None and dbapi_connection is not None:
            with contextlib.suppress(Exception):
                state[0].__exit__(None, None, None)
            _end(dbapi_connection, "ROLLBACK")


class PendingRowcount:
    """The rowcount of a queued statement: reading it (comparing, adding, printing) waits for the server."""

    __slots__ = ("_cursor", "_pipeline", "_value")

    def __init__(self, pipeline: Any, cursor: Any) -> None:
        self._pipeline, self._cursor = pipeline, cursor
        self._value: int | None = None

    @property
    def known(self) -> bool:
        return self._value is not None

    def __int__(self) -> int:
        if self._value is None:
            self._pipeline.sync()
            self._value = value = int(self._cursor.rowcount)
            return value
        return self._value

    __index__ = __int__

    def __eq__(self, other: object) -> bool:
        return int(self) == other

    def __ne__(self, other: object) -> bool:
        return int(self) != other

    def __lt__(self, other: int) -> bool:
        return int(self) < other

    def __le__(self, other: int) -> bool:
        return int(self) <= other

    def __gt__(self, other: int) -> bool:
        return int(self) > other

    def __ge__(self, other: int) -> bool:
        return int(self) >= other

    def __bool__(self) -> bool:
        return int(self) != 0

    def __add__(self, other: int) -> int:
        return int(self) + other

    __radd__ = __add__

    def __sub__(self, other: int) -> int:
        return int(self) - other

    def __rsub__(self, other: int) -> int:
        return other - int(self)

    def __hash__(self) -> int:
        return hash(int(self))

    def __repr__(self) -> str:
        return repr(int(self))

    __str__ = __repr__

    def __format__(self, spec: str) -> str:
        return format(int(self), spec)


def _end(driver: Any, then: str | None) -> None:
    """Leave autocommit, rolled back first unless the transaction ended cleanly (pipeline already left)."""
    try:
        if then is not None and driver.info.transaction_status != 0:  # 0: IDLE
            driver.execute(then)
        driver.autocommit = False
    except Exception:
        pass  # a broken connection: the pool invalidates it


def _missing_schema(context: ExceptionContext) -> None:
    error = context.original_exception
    text = str(error)
    if getattr(error, "sqlstate", None) == "42P01" or "no such table" in text:
        raise DatabaseNotReady(
            "La base de datos no está inicializada o le faltan tablas: ejecute 'phva init'."
        ) from error


def _sqlite_engine(url: str, begin: str, extra: dict[str, Any]) -> Engine:
    kwargs: dict[str, Any] = {"connect_args": {"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}}
    kwargs.update(extra)
    if "poolclass" not in kwargs and make_url(url).database in (None, "", ":memory:"):
        kwargs["poolclass"] = NullPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy emit BEGIN itself (pysqlite's implicit transactions defeat BEGIN IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql(begin)

    return engine
