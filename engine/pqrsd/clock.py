"""A case's legal clock beyond its due date: when its semáforo turns amarillo and when its 2/3 alert is due."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from engine.context import Context
from engine.legal.calendar import BusinessCalendar
from engine.legal.semaforo import Thresholds, threshold_moment
from engine.store.legal_tables import PqrsdCase


def thresholds(ctx: Context) -> Thresholds:
    return Thresholds(ctx.settings.semaforo_amarillo, ctx.settings.semaforo_alerta)


def set_thresholds(ctx: Context, calendar: BusinessCalendar, case: PqrsdCase) -> None:
    """Recompute the case's amarillo and alert moments from its radicación date and its effective due date."""
    if case.due_at is None:  # suspended (art. 17): no clock runs
        case.amarillo_at = case.alerta_at = None
        return
    levels = thresholds(ctx)
    due_day = case.due_at.astimezone(ZoneInfo(ctx.settings.timezone)).date()
    case.amarillo_at = threshold_moment(calendar, case.radicacion_date, due_day, levels.amarillo)
    case.alerta_at = threshold_moment(calendar, case.radicacion_date, due_day, levels.alerta)
