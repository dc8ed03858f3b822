"""Counting what one user action costs the database: transactions, write transactions, commits, statements."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event

from engine.store.db import Database

WRITES = ("INSERT", "UPDATE", "DELETE")


@dataclass
class SqlCount:
    statements: list[str] = field(default_factory=list)  # every SQL statement but BEGIN itself
    transactions: int = 0
    write_transactions: int = 0  # transactions that changed something
    commits: int = 0

    def __str__(self) -> str:
        return (
            f"{self.transactions} transacciones ({self.write_transactions} de escritura), "
            f"{self.commits} commits, {len(self.statements)} sentencias:\n  " + "\n  ".join(self.statements)
        )


@contextmanager
def counting(db: Database) -> Iterator[SqlCount]:
    count = SqlCount()
    writing: dict[int, bool] = {}

    def begin(conn: Any) -> None:
        count.transactions += 1
        writing[id(conn)] = False

    def statement(conn: Any, cursor: Any, sql: str, *_: Any) -> None:
        text = " ".join(sql.split())
        if text.upper().startswith("BEGIN"):
            return
        count.statements.append(text[:160])
        if text.upper().startswith(WRITES):
            writing[id(conn)] = True

    def end(conn: Any) -> None:
        if writing.pop(id(conn), False):
            count.write_transactions += 1

    def commit(conn: Any) -> None:
        count.commits += 1
        end(conn)

    engines = {db.write_engine, db.read_engine}
    hooks: list[tuple[str, Callable[..., Any]]] = [
        ("begin", begin),
        ("before_cursor_execute", statement),
        ("commit", commit),
        ("rollback", end),
    ]
    for engine in engines:
        for name, hook in hooks:
            event.listen(engine, name, hook)
    try:
        yield count
    finally:
        for engine in engines:
            for name, hook in hooks:
                event.remove(engine, name, hook)
