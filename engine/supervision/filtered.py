"""A filtered summary (by semáforo, dependencia, funcionario, tipo, canal or proceso) for the entity or one
dependencia, from the dashboard's rows instead of the case and task tables: one grouped statement over the rows
of the scope that match, with the lists' own criteria (`items._criteria`), so it counts exactly what the lists
behind it show. The hourly counters hold one dimension at a time, so they answer only the unfiltered summary."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, func, literal, literal_column, select, union_all
from sqlalchemy.orm import Session

from engine.store.supervision_tables import SupervisionItem as I
from engine.supervision import semaforo_sql as sem
from engine.supervision.filters import SupervisionQuery
from engine.supervision.items import _criteria  # the lists' criteria: one definition of what matches

DIMENSIONS = {"caso": ("dependencia", "tipo", "canal"),
              "tarea": ("dependencia", "funcionario", "tipo", "canal", "proceso")}  # fmt: skip


def rows_scope(groups: tuple[str, ...] | None, q: SupervisionQuery) -> str | None:
    """The rows' scope that answers this filtered summary ('' the entity); None: a text search or several
    dependencias (the tables answer those)."""
    if q.q is not None:
        return None
    if groups is None:
        return ""
    return groups[0] if len(groups) == 1 else None


def statement(q: SupervisionQuery, scope: str, now: datetime) -> Any:
    """(section, dimension, value, count per semáforo state): a task offered to two dependencias counts in both
    dependencia rows and once in every other dimension, as in the exact counts."""

    colour = _colour(now)
    parts = []
    for section, dimensions in DIMENSIONS.items():
        where = [I.section == section, I.scope == scope, *_criteria(q, section, now)]
        for dimension in dimensions:
            chosen: list[ColumnElement[bool]]
            if q.dependencia is None:  # every row in the dependencia table, the item's first in the others
                chosen = [] if dimension == "dependencia" else [I.first.is_(True)]
            elif dimension == "dependencia":  # the items of that dependencia, with each dependencia they have
                of_it = select(I.item_id).where(
                    I.section == section, I.scope == scope, I.dependencia == q.dependencia
                )
                chosen = [I.item_id.in_(of_it)]
            else:
                chosen = [I.dependencia == q.dependencia]  # one row per item: the one of that dependencia
            value = getattr(I, dimension)
            parts.append(
                select(
                    literal(section).label("section"),
                    literal_column(f"'{dimension}'").label("dimension"),
                    value.label("value"),
                    *(
                        func.sum(case((colour == literal_column(f"'{s}'"), 1), else_=0)).label(s)
                        for s in sem.STATES
                    ),
                )
                .where(*where, *chosen)
                .group_by(value)
            )
    return union_all(*parts)


def _colour(now: datetime) -> ColumnElement[str]:
    return case(
        (I.no_term != "", I.no_term),
        (I.e3 <= now, literal_column("'rojo'")),
        (I.e2 <= now, literal_column("'alerta'")),
        (I.e1 <= now, literal_column("'amarillo'")),
        else_=literal_column("'verde'"),
    )


def grouped(
    session: Session, q: SupervisionQuery, scope: str, now: datetime
) -> dict[str, list[tuple[Any, ...]]]:
    """Section → its (dimension, value, counts…) rows."""
    found: dict[str, list[tuple[Any, ...]]] = {"caso": [], "tarea": []}
    for section, *row in session.execute(statement(q, scope, now)):
        found[section].append(tuple(row))
    return found
