"""Unit of work: one database transaction per change; rolls back unless committed.

`pipelined=True` (PostgreSQL): the transaction's statements are queued and sent together (see
`engine.store.db`); only use cases that lock the instance row they change ask for it.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.store.db import PIPELINE, Database

_CONFLICT = "Otro usuario cambió estos datos al mismo tiempo; vuelva a intentarlo."


class UnitOfWork:
    def __init__(self, db: Database, write: bool = True, *, pipelined: bool = False) -> None:
        self._db = db
        self._write = write
        self._pipelined = pipelined and db.pipelined
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._db.session(self._write)
        if self._pipelined:
            self.session.connection(execution_options={PIPELINE: True})
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()
        # Pipelined, a deadlock or serialization failure shows at the next statement that waits, not at COMMIT
        if isinstance(exc, DBAPIError) and _is_serialization_failure(exc.orig):
            raise Conflict(_CONFLICT) from exc

    def commit(self) -> None:
        try:
            self.session.commit()
        except Exception as error:
            self.session.rollback()
            if _is_serialization_failure(getattr(error, "orig", error)):
                raise Conflict(_CONFLICT) from error
            raise


def _is_serialization_failure(error: object) -> bool:
    """A serialization failure or deadlock (PostgreSQL); also the driver's own error, as a pipelined COMMIT
    raises it unwrapped. SQLite still locked after its busy timeout is not one: writes start with BEGIN
    IMMEDIATE, so only another process's long write causes it, and it goes on as the busy database it is
    (`engine.store.availability`: a 503 with Retry-After on the web, a clear line in the CLI)."""
    return getattr(error, "sqlstate", None) in {"40001", "40P01"}
