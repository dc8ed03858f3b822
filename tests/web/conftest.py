"""Web fixtures: the Flask app over a fresh engine context, staff of two dependencias, tokens."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.workflow import deployments, instances
from web import create_app

DATA = Path(__file__).resolve().parents[1] / "data"
SOLICITUD = ("solicitud.bpmn", "encuesta.bpmn", "clasificar_solicitud.dmn", "encuesta_satisfaccion.form")
PASSWORD = "clave-segura-1"
# who is who: two dependencias, a supervisor for each, an admin
STAFF = {
    "ana": ("funcionario", "atencion_ciudadano"),
    "beto": ("funcionario", "ventanilla"),
    "sara": ("supervisor", "atencion_ciudadano"),
    "sol": ("supervisor", "ventanilla"),
    "root": ("admin", ""),
}


def deploy_solicitud(ctx: Context) -> None:
    outcome = deployments.deploy(ctx, [SourceFile(n, (DATA / n).read_bytes()) for n in SOLICITUD])
    assert outcome.report.ok


def add_staff(ctx: Context) -> None:
    for name, (role, groups) in STAFF.items():
        users.add_user(ctx, name, password=PASSWORD, roles=role, groups=groups)


def start_solicitud(ctx: Context, solicitante: str = "ana", asunto: str = "Certificado laboral") -> int:
    started = instances.start_process(
        ctx,
        "atender_solicitud",
        actor="ana",
        data={"solicitante": solicitante, "asunto": asunto, "tipo": "peticion"},
    )
    return started.id


@pytest.fixture
def app(sqlite_ctx: Context, tmp_path: Path) -> Iterator[Flask]:
    deploy_solicitud(sqlite_ctx)
    add_staff(sqlite_ctx)
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sqlite_ctx)


@pytest.fixture
def any_app(ctx: Context) -> Iterator[Flask]:
    """The same app on every backend (SQLite and PostgreSQL)."""
    deploy_solicitud(ctx)
    add_staff(ctx)
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=ctx)


def engine(app: Flask) -> Context:
    found = app.extensions["phva"]
    assert isinstance(found, Context)
    return found


def csrf_token(client: FlaskClient, path: str = "/ingresar") -> str:
    html = client.get(path).get_data(as_text=True)
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, username: str) -> None:
    token = csrf_token(client)
    response = client.post(
        "/ingresar", data={"usuario": username, "contrasena": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302, response.get_data(as_text=True)


def post(client: FlaskClient, path: str, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    """A form post with the CSRF token of the page the user would be on."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf_token(client, "/tareas")}, **kwargs)


def bearer(ctx: Context, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {users.issue_token(ctx, username)}"}
