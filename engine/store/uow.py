"""Unit of work: one database transaction per change; rolls back unless committed."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.store.db import Database


class UnitOfWork:
    def __init__(self, db: Database, write: bool = True) -> None:
        self._db = db
        self._write = write
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._db.session(self._write)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        try:
            self.session.rollback()
        finally:
            self.session.close()

    def commit(self) -> None:
        try:
            self.session.commit()
        except DBAPIError as error:
            self.session.rollback()
            if _is_serialization_failure(error):
                raise Conflict(
                    "Otro usuario cambió estos datos al mismo tiempo; vuelva a intentarlo."
                ) from error
            raise


def _is_serialization_failure(error: DBAPIError) -> bool:
    code = getattr(error.orig, "sqlstate", None)
    return code in {"40001", "40P01"} or "database is locked" in str(error.orig)
