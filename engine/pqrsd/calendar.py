"""Calendar use cases: due dates (one or a batch), holidays, closures listed, entity settings, BPMN functions.

Closing and reopening days (which moves the due dates of open cases) is `engine.services.recalculation`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from engine.context import Context
from engine.errors import BadInput
from engine.legal.batch import iter_due_batch
from engine.legal.calendar import CalendarSettings, holiday_source_act
from engine.legal.deadlines import due_in
from engine.legal.explanation import WEEKDAYS, DueDate
from engine.legal.expressions import expression_functions
from engine.legal.inputs import as_moment, parse_moment
from engine.legal.terms import TermUnit
from engine.pqrsd.legal_data import (
    FIRST_YEAR,
    LAST_YEAR,
    ensure_legal_data,
    local_date_of,
    require_tables,
    settings_from_row,
    snapshot,
    tables_ready,
    with_legal,
    years_around,
)
from engine.store import legal as legal_store
from engine.store.audit import audit
from engine.store.legal_tables import CalendarClosure
from engine.store.uow import UnitOfWork

EXPRESSION_NAMES = ("dias_habiles", "vencimiento", "fecha_radicacion", "es_dia_habil")


# ---- use cases --------------------------------------------------------------------------------
def due(ctx: Context, received_at: datetime | date, days: int, unit: TermUnit = TermUnit.HABILES) -> DueDate:
    """`phva calendar due`: N units from a filing moment, radicación policy applied, with its trace."""
    if days < 0:
        raise BadInput(f"Número de días no válido: {days}; debe ser cero o positivo.")
    start = local_date_of(ctx, received_at)
    ensure_legal_data(ctx)
    return with_legal(
        ctx, years_around(start, days, unit), lambda legal: due_in(legal.calendar, received_at, days, unit)
    )


def due_batch(ctx: Context, lines: Iterable[str], unit: TermUnit = TermUnit.HABILES) -> list[str]:
    """`filed_at,days` lines → `filed_at,days,due_date`, in order; the calendar is built once for all."""
    text = [line.rstrip("\r\n") for line in lines]
    low, high = _batch_span(ctx, text, unit)
    ensure_legal_data(ctx)
    return with_legal(
        ctx, range(low, high + 1), lambda legal: list(iter_due_batch(legal.calendar, text, unit))
    )


def _batch_span(ctx: Context, lines: list[str], unit: TermUnit) -> tuple[int, int]:
    today = ctx.clock.now().date()
    low = high = today.year
    tz = ZoneInfo(ctx.settings.timezone)
    for line in lines:
        fields = line.split(",")
        if len(fields) != 2:
            continue
        try:
            start = local_date_of(ctx, parse_moment(fields[0], tz))
            amount = int(fields[1].strip())
        except (BadInput, ValueError):
            continue  # reported with its line number when the batch runs
        span = years_around(start, amount, unit)
        low, high = min(low, span.start), max(high, span.stop - 1)
    return low, high


def holidays(ctx: Context, year: int) -> list[dict[str, Any]]:
    """National holidays and entity closures of `year`, by date."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise BadInput(f"Año no válido: {year}; debe estar entre {FIRST_YEAR} y {LAST_YEAR}.")
    ensure_legal_data(ctx, [year])
    legal = snapshot(ctx, [year])
    stored = ctx.legal.stored
    acts = stored.holidays if stored else {}
    rows: list[dict[str, Any]] = []
    for day, name in sorted(legal.calendar.holidays.items()):
        if day.year == year:
            act = acts[day][1] if day in acts else holiday_source_act(name)
            rows.append(
                {
                    "date": day.isoformat(),
                    "weekday": WEEKDAYS[day.weekday()],
                    "kind": "festivo",
                    "name": name,
                    "source_act": act,
                }
            )
    for day, closure in sorted(legal.calendar.closures.items()):
        if day.year == year:
            rows.append(
                {
                    "date": day.isoformat(),
                    "weekday": WEEKDAYS[day.weekday()],
                    "kind": "cierre",
                    "name": closure.reason,
                    "source_act": closure.legal_act,
                }
            )
    return sorted(rows, key=lambda r: (r["date"], r["kind"]))


def closures(ctx: Context, *, include_removed: bool = False) -> list[dict[str, Any]]:
    if not tables_ready(ctx):
        return []
    with UnitOfWork(ctx.db, write=False) as uow:
        return [
            closure_dict(c) for c in legal_store.closure_rows(uow.session, include_removed=include_removed)
        ]


def closure_dict(row: CalendarClosure) -> dict[str, Any]:
    return {
        "date": row.day.isoformat(),
        "reason": row.reason,
        "legal_act": row.legal_act,
        "created_at": row.created_at.isoformat(),
        "created_by": row.created_by,
        "removed_at": row.removed_at.isoformat() if row.removed_at else None,
        "removed_by": row.removed_by,
    }


# ---- entity settings --------------------------------------------------------------------------
SETTING_NAMES = (
    "saturday_is_business_day",
    "closing_time",
    "saturday_closing_time",
    "radicacion_policy",
    "timezone",
    "suspension_mode",
)


def settings_dict(settings: CalendarSettings) -> dict[str, Any]:
    return {
        "saturday_is_business_day": settings.saturday_is_business_day,
        "closing_time": settings.closing_time.strftime("%H:%M"),
        "saturday_closing_time": settings.saturday_closing_time.strftime("%H:%M"),
        "radicacion_policy": settings.radicacion_policy.value,
        "timezone": settings.timezone,
        "suspension_mode": settings.suspension_mode.value,
    }


def get_settings(ctx: Context) -> dict[str, Any]:
    ensure_legal_data(ctx)
    return settings_dict(snapshot(ctx, ()).calendar.settings)


def update_settings(ctx: Context, changes: Mapping[str, Any], *, actor: str | None = None) -> dict[str, Any]:
    """Change the entity's calendar policy; open cases keep the dates already computed (see README)."""
    require_tables(ctx)
    values = {name: _checked_setting(name, value) for name, value in changes.items() if value is not None}
    ensure_legal_data(ctx, actor=actor)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        row = legal_store.settings_row(session)
        assert row is not None
        before = settings_dict(settings_from_row(row))
        for name, value in values.items():
            setattr(row, name, value)
        row.revision += 1
        row.updated_at, row.updated_by = ctx.clock.now(), actor
        after = settings_dict(settings_from_row(row))
        audit(
            session,
            ctx,
            instance_id=None,
            action="calendar_settings_changed",
            actor=actor,
            summary="Cambió la configuración del calendario de la entidad",
            before=before,
            after=after,
        )
        uow.commit()
    ctx.legal.invalidate()
    return after


def _checked_setting(name: str, value: Any) -> Any:
    if name not in SETTING_NAMES:
        raise BadInput(f"Configuración desconocida: «{name}». Válidas: {', '.join(SETTING_NAMES)}.")
    if name in ("closing_time", "saturday_closing_time"):
        if isinstance(value, time):
            return value
        try:
            return time.fromisoformat(str(value))
        except ValueError as error:
            raise BadInput(f"Hora no válida para {name}: «{value}»; use HH:MM.") from error
    if name == "radicacion_policy":
        if str(value).upper() not in ("A", "B"):
            raise BadInput(f"Política de radicación no válida: «{value}»; use A o B.")
        return str(value).upper()
    if name == "suspension_mode":
        if str(value) not in ("resume", "restart"):
            raise BadInput(
                f"Modo de suspensión no válido: «{value}»; use resume (reanudar) o restart (reiniciar)."
            )
        return str(value)
    if name == "timezone":
        try:
            ZoneInfo(str(value))
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise BadInput(f"Zona horaria desconocida: «{value}» (p. ej. America/Bogota).") from error
        return str(value)
    return bool(value)


# ---- BPMN expression functions ----------------------------------------------------------------
def register_calendar_functions(ctx: Context) -> None:
    """Put `dias_habiles`, `vencimiento`, `fecha_radicacion`, `es_dia_habil` in every script's globals.

    They read the calendar lazily on first call (creating the context stays cheap and works before
    `phva init`) and never write: they run inside other transactions.
    """
    for name in EXPRESSION_NAMES:
        ctx.functions.setdefault(name, _expression(ctx, name))


def _expression(ctx: Context, name: str) -> Callable[..., object]:
    # `fecha` is the first argument except for vencimiento(tipo, fecha); it tells which years to load.
    position = 1 if name == "vencimiento" else 0

    def call(*args: Any, **kwargs: Any) -> object:
        raw = args[position] if len(args) > position else kwargs.get("fecha")
        moment = as_moment(raw, ZoneInfo(ctx.settings.timezone))
        amount = int(args[1]) if name == "dias_habiles" and len(args) > 1 else 0
        years = years_around(local_date_of(ctx, moment), amount)
        return with_legal(
            ctx, years, lambda legal: expression_functions(legal.calendar, legal.terms)[name](*args, **kwargs)
        )

    call.__name__ = name
    return call
