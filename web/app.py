"""Flask app factory: one blueprint per area over the engine's use cases; nothing runs at import."""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, jsonify, request
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFProtect

from engine.bootstrap import create_context
from engine.cli import cli
from engine.config import Settings
from engine.context import Context

# api_*: add their routes to api.bp before it is registered (attachments, reports and turns, signals, supervision)
from web import (  # noqa: F401
    admin,
    admin_legal,
    api,
    api_attachments,
    api_models,
    api_reports,
    api_signals,
    api_supervision,
    attachments,
    auth,
    case_tray,
    engine_rest,
    formatting,
    http,
    inputs,
    instances,
    models,
    pqrsd,
    reports,
    start,
    supervision,
    tasks,
)
from web import incidents as incidents_page
from web import notifications as notifications_page
from web import portal as citizen_portal

csrf = CSRFProtect()


class _SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (or always, if configured)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        configured = bool(app.config["SESSION_COOKIE_SECURE"])
        return configured or (has_request_context() and request.is_secure)


def create_app(test_config: dict[str, Any] | None = None, context: Context | None = None) -> Flask:
    app = Flask(__name__)
    settings = context.settings if context is not None else Settings.from_env()
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key or _instance_secret(settings.instance_dir),
        SESSION_COOKIE_NAME="phva_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=os.environ.get("PHVA_COOKIE_SECURE", "").lower() in {"1", "true", "on", "yes"},
        PERMANENT_SESSION_LIFETIME=timedelta(hours=8),
        REMEMBER_COOKIE_HTTPONLY=True,
        WTF_CSRF_TIME_LIMIT=8 * 3600,
        MAX_CONTENT_LENGTH=attachments.max_request_bytes(settings),
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    app.session_interface = _SessionInterface()
    app.extensions["phva"] = context or create_context(settings)

    csrf.init_app(app)
    auth.init_app(app)
    formatting.init_app(app)
    http.init_app(app)
    inputs.init_app(app)  # before the blueprints: its <int:…> converter bounds their ids
    for blueprint in (
        auth.bp,
        tasks.bp,
        start.bp,
        instances.bp,
        case_tray.bp,
        supervision.bp,
        pqrsd.bp,
        citizen_portal.bp,
        incidents_page.bp,
        admin.bp,
        admin_legal.bp,
        attachments.bp,
        reports.bp,
        models.bp,
        notifications_page.bp,
        api.bp,
    ):
        app.register_blueprint(blueprint)
    engine_rest.init_app(app)  # Camunda Modeler's Deploy and Start buttons, under PHVA_ENGINE_REST_PATH
    csrf.exempt(engine_rest.bp)  # Basic or Bearer on every call, never cookies
    csrf.exempt(api.bp)  # Bearer tokens, never cookies: nothing for a forged cross-site request to ride on

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    for name, command in cli.commands.items():
        app.cli.add_command(command, name)
    return app


def _instance_secret(instance_dir: Path) -> str:
    """A key kept under instance/, so sessions survive restarts and are shared by local workers."""
    path = instance_dir / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
        except FileExistsError:
            pass  # another process wrote it first; use theirs
    return path.read_text().strip()
