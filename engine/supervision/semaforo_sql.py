"""The semáforo as SQL: `engine.legal.semaforo.colour` over the stored moments of a term, so the dashboard
counts and filters in the database, never row by row in Python.

A case's colour comes from its own moments (due, amarillo, 2/3 alert, all kept up to date by its legal
actions); a task of a case shows its case's colour, as the inbox does; a task of no case turns amarillo
once the share PHVA_SEMAFORO_AMARILLO of its time between creation and due date has passed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, case, func, literal
from sqlalchemy.orm import Session

from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import Task

RUNNING = ("verde", "amarillo", "alerta", "rojo")
STATES = (*RUNNING, "suspendida", "sin_termino")  # suspendida: art. 17; sin_termino: a task with no due date
LABELS = {
    "verde": "En término",
    "amarillo": "Próximo a vencer",
    "alerta": "Alerta de 2/3",
    "rojo": "Vencido",
    "suspendida": "Término suspendido",
    "sin_termino": "Sin término",
}


def case_open() -> ColumnElement[bool]:
    return PqrsdCase.status.not_in(CLOSED_STATUSES)


def case_colour(now: datetime) -> ColumnElement[str]:
    return _colour(
        PqrsdCase.due_at,
        PqrsdCase.amarillo_at <= now,
        PqrsdCase.alerta_at <= now,
        now,
        literal("suspendida"),
    )


def task_due() -> ColumnElement[Any]:
    """A task's term: its case's effective due date (None while suspended), or its own."""
    return case((PqrsdCase.id.is_not(None), PqrsdCase.due_at), else_=Task.due_at)


def task_colour(session: Session, now: datetime, amarillo_share: float) -> ColumnElement[str]:
    """Needs tasks LEFT JOIN pqrsd_cases ON the instance."""
    of_case = PqrsdCase.id.is_not(None)
    share_passed = (1 - amarillo_share) * _epoch(session, Task.created_at) + amarillo_share * _epoch(
        session, Task.due_at
    ) <= now.timestamp()
    return _colour(
        task_due(),
        case((of_case, PqrsdCase.amarillo_at <= now), else_=share_passed),
        and_(of_case, PqrsdCase.alerta_at <= now),
        now,
        case((of_case, literal("suspendida")), else_=literal("sin_termino")),
    )


def _colour(
    due: ColumnElement[Any] | Any,
    amarillo: ColumnElement[bool],
    alerta: ColumnElement[bool],
    now: datetime,
    no_term: ColumnElement[str],
) -> ColumnElement[str]:
    # The order of `colour`: rojo once due; then the 2/3 alert; then amarillo; a NULL moment never matches.
    return case(
        (due.is_(None), no_term),
        (due <= now, literal("rojo")),
        (alerta, literal("alerta")),
        (amarillo, literal("amarillo")),
        else_=literal("verde"),
    )


def due_window(due: ColumnElement[Any], state: str, now: datetime) -> ColumnElement[bool] | None:
    """An indexable range beside the colour filter (the CASE alone scans)."""
    if state == "rojo":
        return due <= now
    if state in ("verde", "amarillo", "alerta"):
        return due > now
    if state in ("suspendida", "sin_termino"):
        return due.is_(None)
    return None


def _epoch(session: Session, column: Any) -> ColumnElement[float]:
    """Seconds since 1970 (UTC) of a stored moment, on either database."""
    if session.get_bind().dialect.name == "sqlite":
        return (func.julianday(column) - 2440587.5) * 86400.0
    return cast(ColumnElement[float], func.extract("epoch", column))
