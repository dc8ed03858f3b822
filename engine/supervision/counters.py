"""The dashboard's counts from the trigger-kept counters (engine/store/supervision_tables.py): the hours already
over from `supervision_counts`, the current hour from an index range over `supervision_items`. Two SELECTs
whatever the volume; the counters are rebuilt when the amarillo share changed, and folded once an hour."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, union, update
from sqlalchemy.orm import Session

from engine.store import supervision_tables as st
from engine.store.db import Database
from engine.store.supervision_tables import SupervisionCount as C
from engine.store.supervision_tables import SupervisionItem as I
from engine.store.supervision_tables import SupervisionState as S
from engine.store.uow import UnitOfWork

MOMENTS = ("e1", "e2", "e3")
DIMENSIONS = {"caso": ("dependencia", "tipo", "canal"),
              "tarea": ("dependencia", "funcionario", "tipo", "canal", "proceso")}  # fmt: skip
Tally = dict[tuple[str, str, str], dict[str, int]]  # (section, dimension, value) → moment → rows


def hour_of(now: datetime) -> datetime:
    return now.replace(minute=0, second=0, microsecond=0)


def ensure_state(db: Database, share: float, now: datetime) -> None:
    """Rebuild the rows and counters when they were computed with another amarillo share (or never). The
    state row is locked first: a second page that found the same stale share waits, then finds it rebuilt."""
    with UnitOfWork(db) as uow:
        stored = uow.session.scalar(select(S.amarillo_share).where(S.id == 1).with_for_update())
        if stored is None or abs(stored - share) > 1e-9:
            st.rebuild(uow.session.connection(), share, hour_of(now))
        uow.commit()


def tally(
    db: Database, session: Session, scope: str, now: datetime, share: float, *, again: bool = True
) -> Tally:
    """How many rows of `scope` are open, without a term, and past each moment at `now`."""
    hour = hour_of(now)
    rows = session.execute(
        select(S.amarillo_share, S.compacted, C.section, C.dimension, C.value, C.moment, func.sum(C.n))
        .select_from(S)
        .outerjoin(C, and_(C.scope == scope, C.bucket < hour))
        .where(S.id == 1)
        .group_by(S.amarillo_share, S.compacted, C.section, C.dimension, C.value, C.moment)
    ).all()
    if (not rows or abs(rows[0][0] - share) > 1e-9) and again:
        session.rollback()
        ensure_state(db, share, now)
        return tally(db, session, scope, now, share, again=False)
    found: Tally = defaultdict(lambda: defaultdict(int))
    for _share, _compacted, section, dimension, value, moment, n in rows:
        if section is not None:
            found[(section, dimension, value)][moment] += int(n or 0)
    for row in session.execute(_current_hour(scope, hour, now)):
        for moment in MOMENTS:
            if hour <= row._mapping[moment] <= now:
                for dimension in DIMENSIONS[row.section] if row.first else ("dependencia",):
                    found[(row.section, dimension, getattr(row, dimension))][moment] += 1
    if rows and rows[0][1] < hour:
        compact(db, hour)
    return found


def _current_hour(scope: str, hour: datetime, now: datetime) -> Any:
    """The rows reaching a moment between the current hour's start and now: three index ranges."""
    columns = (I.section, I.item_id, I.first, I.dependencia, I.funcionario, I.tipo, I.canal, I.proceso,
               I.e1, I.e2, I.e3)  # fmt: skip
    return union(
        *(
            select(*columns).where(
                I.section.in_(("caso", "tarea")),
                I.scope == scope,
                I.first.in_((True, False)),
                getattr(I, m) >= hour,
                getattr(I, m) <= now,
            )
            for m in MOMENTS
        )
    )


def compact(db: Database, hour: datetime) -> None:
    """Fold the counters of the hours over; once an hour, by the first page that finds them unfolded."""
    with UnitOfWork(db) as uow:
        connection = uow.session.connection()
        compacted = uow.session.scalar(select(S.compacted).where(S.id == 1).with_for_update())
        if compacted is not None and compacted < hour:
            st.compact(connection, hour)
            uow.session.execute(update(S).where(S.id == 1).values(compacted=hour))
        uow.commit()


def colours(counts: dict[str, int], section: str) -> dict[str, int]:
    """The semáforo of a value's rows from its counts: each moment passed moves a row one colour on."""
    no_term = counts.get("suspendida", 0) + counts.get("sin_termino", 0)
    e1, e2, e3 = (counts.get(m, 0) for m in MOMENTS)
    return {
        "verde": counts.get("abierta", 0) - no_term - e1,
        "amarillo": e1 - e2,
        "alerta": e2 - e3,
        "rojo": e3,
        "suspendida": counts.get("suspendida", 0),
        "sin_termino": counts.get("sin_termino", 0),
    }
