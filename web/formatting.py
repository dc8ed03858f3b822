"""es-CO formatting for pages: dates as people write them here, distances to due dates, form values."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from engine.pqrsd.filing import CHANNELS
from web.current import ctx

MONTHS = ("ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic.")
ROLE_NAMES = {
    "funcionario": "Funcionario",
    "supervisor": "Supervisor",
    "analista": "Analista",
    "admin": "Administrador",
}
SEMAFORO_TEXT = {"verde": "En término", "amarillo": "Próxima a vencer", "rojo": "Vencida o por vencer"}


def local_time(value: str | datetime | None) -> datetime | None:
    if not value:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(ZoneInfo(ctx().settings.timezone))


def fecha(value: str | datetime | None, with_time: bool = True) -> str:
    """es-CO date as people write it here: 2 mar. 2026, 8:05 a. m. (America/Bogota)."""
    local = local_time(value)
    if local is None:
        return "—"
    text = f"{local.day} {MONTHS[local.month - 1]} {local.year}"
    if not with_time:
        return text
    hour = local.hour % 12 or 12
    return f"{text}, {hour}:{local.minute:02d} {'a. m.' if local.hour < 12 else 'p. m.'}"


def plazo(value: str | None) -> str:
    """Plain-language distance to a due date: 'vence en 3 días', 'venció hace 2 horas'."""
    local = local_time(value)
    if local is None:
        return "sin fecha de vencimiento"
    seconds = (local - ctx().clock.now()).total_seconds()
    size = abs(seconds)
    if size < 3600:
        amount, unit = max(int(size // 60), 1), "minuto"
    elif size < 86400:
        amount, unit = int(size // 3600), "hora"
    else:
        amount, unit = int(size // 86400), "día"
    text = f"{amount} {unit}{'s' if amount != 1 else ''}"
    return f"vence en {text}" if seconds >= 0 else f"venció hace {text}"


def as_text(value: Any) -> str:
    """How a value travels in an HTML form (options compare as text)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def miles(value: int) -> str:
    """1000 → «1.000» (es-CO thousands)."""
    return f"{value:,}".replace(",", ".")


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(fecha=fecha, plazo=plazo, as_text=as_text, miles=miles)
    app.jinja_env.globals.update(ROLE_NAMES=ROLE_NAMES, SEMAFORO_TEXT=SEMAFORO_TEXT, CHANNEL_NAMES=CHANNELS)
