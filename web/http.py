"""HTTP for every page and API call: security headers, and errors as a page or as JSON."""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import PhvaError
from web.current import ctx

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


def error_response(message: str, status: int, details: Mapping[str, str] | None = None) -> Response:
    response = jsonify(error=message, details=dict(details or {}))
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="phva"'
    return response


# Pages with a person's cases, tasks or the entity's settings: no browser or proxy keeps a copy.
PRIVATE_PAGES = ("/tareas", "/procesos", "/iniciar", "/pqrsd", "/api/", "/admin", "/modelos", "/incidentes")


def init_app(app: Flask) -> None:
    @app.after_request
    def security_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if request.path.startswith(PRIVATE_PAGES):
            response.headers.setdefault("Cache-Control", "no-store")
        return response

    @app.errorhandler(PhvaError)
    def domain_error(error: PhvaError) -> Any:
        if request.path.startswith("/api/"):
            return error_response(error.message, error.http_status, error.details)
        return render_template(
            "error.html", message=error.message, status=error.http_status
        ), error.http_status

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException) -> Any:
        status = error.code or 500
        if request.path.startswith("/api/"):
            return error_response(HTTP_MESSAGES.get(status, error.description or "Error"), status)
        return render_template(
            "error.html", message=HTTP_MESSAGES.get(status, error.description), status=status
        ), status

    @app.errorhandler(Exception)
    def database_unavailable(error: Exception) -> Any:
        """The database is down or too busy: 503 and when to retry, drawn without touching it (no signed-in
        user, no flashed messages, no template context); any other error goes on to Flask's 500."""
        found = ctx().db.availability.failed(error)
        if found is None:
            raise error
        return unavailable_response(found.retry_after, outage=found.outage)

    _show_outage_lines(app)


UNAVAILABLE = (
    "El servicio no está disponible en este momento porque la base de datos no responde. "
    "Vuelva a intentarlo en unos segundos."
)
BUSY = (  # a lock or the pool held past its wait, or the server short of connections, disk or memory
    "El servicio no está disponible en este momento porque la base de datos está ocupada. "
    "Vuelva a intentarlo en unos segundos."
)
UNAVAILABLE_WRITE = "Si estaba enviando datos, es posible que no hayan quedado guardados: revíselos antes de enviarlos de nuevo."


def unavailable_response(retry_after: int, *, outage: bool) -> Response:
    writes = request.method not in ("GET", "HEAD", "OPTIONS")
    said = UNAVAILABLE if outage else BUSY
    message = f"{said} {UNAVAILABLE_WRITE}" if writes else said
    if request.path.startswith("/api/"):
        response = error_response(message, 503, {"reintentar_en": f"{retry_after} s"})
    elif request.blueprint == "engine_rest":
        response = jsonify(type="RestException", message=message)
        response.status_code = 503
    else:  # get_template, not render_template: no context processor runs (they read the user and the bell)
        page = current_app.jinja_env.get_template("unavailable.html")
        html = page.render(message=said, writes=writes and UNAVAILABLE_WRITE, retry_after=retry_after,
                           again=request.full_path.rstrip("?") if request.method == "GET" else None)  # fmt: skip
        response = Response(html, 503, mimetype="text/html")
    response.headers["Retry-After"] = str(retry_after)
    response.headers["Cache-Control"] = "no-store"
    return response


def _show_outage_lines(app: Flask) -> None:
    """Under gunicorn nothing configures logging, so an INFO line would be lost: the outage's two lines get a
    handler of their own in gunicorn's format, unless logging is configured (a root handler, PHVA_LOG_LEVEL)."""
    outages = logging.getLogger("engine.store.availability")
    if os.environ.get("PHVA_LOG_LEVEL") or logging.getLogger().handlers or outages.handlers:
        return
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("[%(asctime)s] [%(process)d] [%(levelname)s] %(message)s",
                                           "%Y-%m-%d %H:%M:%S %z"))  # fmt: skip
    outages.addHandler(handler)
    outages.setLevel(logging.INFO)


HTTP_MESSAGES = {
    400: "La solicitud no es válida.",
    401: "Debe identificarse para continuar.",
    403: "No tiene permiso para esta acción.",
    404: "No encontramos lo que busca.",
    405: "Método no permitido para esta dirección.",
    413: "Los datos enviados son demasiado grandes.",
    429: "Demasiadas solicitudes; espere un momento.",
}
