"""Database engines: SQLite (WAL, foreign keys, busy timeout, writers serialized) or PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import ExceptionContext, make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool, StaticPool

from engine.errors import DatabaseNotReady

SQLITE_BUSY_TIMEOUT_MS = 15_000


class Database:
    """Two session factories over one database: `write` for changes, `read` for queries.

    On SQLite a write transaction starts with BEGIN IMMEDIATE, so concurrent writers queue on the
    file lock instead of failing later with a stale snapshot; reads never take that lock.
    """

    def __init__(self, url: str) -> None:
        self.url = url
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
        else:
            self.write_engine = create_engine(url, pool_pre_ping=True)
            self.read_engine = self.write_engine
        for engine in {self.write_engine, self.read_engine}:
            event.listen(engine, "handle_error", _missing_schema)
        self.write = sessionmaker(self.write_engine, expire_on_commit=False)
        self.read = sessionmaker(self.read_engine, expire_on_commit=False)

    def session(self, write: bool = True) -> Session:
        return self.write() if write else self.read()

    def dispose(self) -> None:
        self.write_engine.dispose()
        if self.read_engine is not self.write_engine:
            self.read_engine.dispose()


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
