"""Flask app factory. Pages arrive per area as blueprints; this only wires the engine in."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, jsonify

from engine.config import Settings
from engine.services.context import Context, create_context


def create_app(test_config: dict[str, Any] | None = None, context: Context | None = None) -> Flask:
    app = Flask(__name__)
    settings = context.settings if context is not None else Settings.from_env()
    app.config.from_mapping(
        SECRET_KEY=settings.secret_key or secrets.token_hex(32),
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        JSON_AS_ASCII=False,
    )
    if test_config:
        app.config.update(test_config)
    app.extensions["phva"] = context or create_context(settings)

    @app.get("/health")
    def health() -> Any:
        return jsonify(status="ok")

    from web.cli import cli

    for name, command in cli.commands.items():
        app.cli.add_command(command, name)
    return app


def engine_context(app: Flask) -> Context:
    ctx = app.extensions["phva"]
    assert isinstance(ctx, Context)
    return ctx
