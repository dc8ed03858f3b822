"""PQRSD case rows: the radicado sequence, filing and looking up cases, and the due dates that move with them
(the case's ready tasks and waiting timers)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.store.legal_tables import PqrsdCase, RadicadoSequence
from engine.store.tables import Task, Timer

_R = cast(Table, RadicadoSequence.__table__)
# One atomic upsert per dialect, so concurrent filings never share a number.
_NEXT_NUMBER = {
    name: insert(_R)
    .values(year=bindparam("year"), last_number=1)
    .on_conflict_do_update(index_elements=["year"], set_={"last_number": _R.c.last_number + 1})
    .returning(_R.c.last_number)
    for name, insert in (("postgresql", postgresql_insert), ("sqlite", sqlite_insert))
}


def next_radicado_number(session: Session, year: int) -> int:
    dialect = session.get_bind().dialect.name
    statement = _NEXT_NUMBER["postgresql" if dialect == "postgresql" else "sqlite"]
    return int(session.connection().execute(statement, {"year": year}).scalar_one())


# ---- cases ------------------------------------------------------------------------------------
def add_case(session: Session, **columns: Any) -> PqrsdCase:
    """The new case, flushed so it has its id."""
    case = PqrsdCase(**columns)
    session.add(case)
    session.flush()
    return case


def link_instance(session: Session, case_id: int, instance_id: int) -> None:
    session.execute(update(PqrsdCase).where(PqrsdCase.id == case_id).values(instance_id=instance_id))


def due_of_case(session: Session, radicado: str) -> datetime | None:
    """The case's effective due date (None while suspended, or when `radicado` is no case)."""
    return session.scalar(select(PqrsdCase.due_at).where(PqrsdCase.radicado == radicado))


def case_for_update(session: Session, radicado: str) -> PqrsdCase | None:
    """The case, locked for this transaction on PostgreSQL (SQLite serializes writers anyway)."""
    query = select(PqrsdCase).where(PqrsdCase.radicado == radicado)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def case_by_radicado(session: Session, radicado: str) -> PqrsdCase | None:
    return session.scalar(select(PqrsdCase).where(PqrsdCase.radicado == radicado))


def running_cases_due_from(
    session: Session, since: datetime, *, received_before: datetime, closed: Collection[str]
) -> Sequence[PqrsdCase]:
    """Cases not in a `closed` status, received before `received_before`, with a due date from `since` on."""
    return session.scalars(
        select(PqrsdCase)
        .where(
            PqrsdCase.status.not_in(closed),
            PqrsdCase.due_at.is_not(None),
            PqrsdCase.due_at >= since,
            PqrsdCase.received_at < received_before,
        )
        .order_by(PqrsdCase.id)
    ).all()


# ---- due dates of the case's process ----------------------------------------------------------
def move_ready_tasks_due(session: Session, instance_id: int, old_due: datetime, new_due: datetime) -> int:
    """The instance's ready tasks due at `old_due` now due at `new_due`; returns how many."""
    result = session.execute(
        update(Task)
        .where(Task.instance_id == instance_id, Task.state == "ready", Task.due_at == old_due)
        .values(due_at=new_due)
    )
    return cast(CursorResult[Any], result).rowcount


def move_waiting_timers_due(
    session: Session, instance_id: int, spiff_ids: Collection[str], new_due: datetime
) -> None:
    session.execute(
        update(Timer)
        .where(Timer.instance_id == instance_id, Timer.status == "waiting", Timer.spiff_id.in_(spiff_ids))
        .values(due_at=new_due)
    )
