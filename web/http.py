"""HTTP for every page and API call: security headers, and errors as a page or as JSON."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from engine.errors import PhvaError

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


HTTP_MESSAGES = {
    400: "La solicitud no es válida.",
    401: "Debe identificarse para continuar.",
    403: "No tiene permiso para esta acción.",
    404: "No encontramos lo que busca.",
    405: "Método no permitido para esta dirección.",
    413: "Los datos enviados son demasiado grandes.",
    429: "Demasiadas solicitudes; espere un momento.",
}
