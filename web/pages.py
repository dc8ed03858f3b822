"""What every page shares: the engine context, the signed-in user, es-CO formatting, errors, headers."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, Response, current_app, render_template, request
from flask_login import current_user
from werkzeug.exceptions import HTTPException

from engine.errors import PhvaError
from engine.services.context import Context
from engine.services.users import UserView

MONTHS = ("ene.", "feb.", "mar.", "abr.", "may.", "jun.", "jul.", "ago.", "sept.", "oct.", "nov.", "dic.")
ROLE_NAMES = {
    "funcionario": "Funcionario",
    "supervisor": "Supervisor",
    "analista": "Analista",
    "admin": "Administrador",
}
SEMAFORO_TEXT = {"verde": "En término", "amarillo": "Próxima a vencer", "rojo": "Vencida o por vencer"}
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def ctx() -> Context:
    found = current_app.extensions["phva"]
    assert isinstance(found, Context)
    return found


def me() -> UserView:
    view = getattr(current_user, "view", None)
    assert isinstance(view, UserView), "page needs a signed-in user"
    return view


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


def init_app(app: Flask) -> None:
    app.jinja_env.filters.update(fecha=fecha, plazo=plazo, as_text=as_text)
    app.jinja_env.globals.update(ROLE_NAMES=ROLE_NAMES, SEMAFORO_TEXT=SEMAFORO_TEXT)

    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(("/tareas", "/procesos", "/iniciar", "/api/")):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(PhvaError)
    def domain_error(error: PhvaError) -> Any:
        if request.path.startswith("/api/"):
            from web.api import error_response

            return error_response(error.message, error.http_status, error.details)
        return render_template(
            "error.html", message=error.message, status=error.http_status
        ), error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if request.path.startswith("/api/"):
            from web.api import error_response

            return error_response(HTTP_MESSAGES.get(status, error.description or "Error"), status)
        return render_template(
            "error.html", message=HTTP_MESSAGES.get(status, error.description), status=status
        ), status


HTTP_MESSAGES = {
    400: "La solicitud no es válida.",
    401: "Debe identificarse para continuar.",
    403: "No tiene permiso para esta acción.",
    404: "No encontramos lo que busca.",
    405: "Método no permitido para esta dirección.",
    413: "Los datos enviados son demasiado grandes.",
    429: "Demasiadas solicitudes; espere un momento.",
}
