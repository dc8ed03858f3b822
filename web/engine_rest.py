"""The Camunda 7 REST subset Camunda Modeler 5 speaks (`/engine-rest` by default, PHVA_ENGINE_REST_PATH).

HTTP Basic (a phva user and password, with the sign-in's rate limits) or a Bearer API token; only analistas
and administrators. No cookies are read, so CSRF does not apply. Errors in Camunda's shape:
{"type": …, "message": …} and, for a refused deploy, "details" with the validation report per file.
"""

from __future__ import annotations

import base64
import binascii
import os
from typing import Any

from flask import Blueprint, Flask, Response, current_app, g, jsonify, request

from engine.errors import BadInput, PhvaError
from engine.identity.sign_in import TooManyAttempts, sign_in
from engine.identity.users import UserView, user_for_token
from engine.limits import bounded_int
from engine.modeling.definitions import SourceFile
from engine.modeltests.gate import failing_model_tests
from engine.workflow import modeler_rest
from web.current import ctx

bp = Blueprint("engine_rest", __name__)
DEFAULT_PATH = "/engine-rest"


def base_path() -> str:
    path = "/" + os.environ.get("PHVA_ENGINE_REST_PATH", DEFAULT_PATH).strip().strip("/")
    return DEFAULT_PATH if path == "/" else path


def limits(app: Flask) -> modeler_rest.Limits:
    mb = float(os.environ.get("PHVA_ENGINE_REST_MAX_FILE_MB") or 5)
    files = int(os.environ.get("PHVA_ENGINE_REST_MAX_FILES") or 20)
    return app.config.get("ENGINE_REST_LIMITS") or modeler_rest.Limits(int(mb * 1024 * 1024), files)


def error(status: int, kind: str, message: str, details: Any = None) -> Response:
    body: dict[str, Any] = {"type": kind, "message": message}
    if details is not None:
        body["details"] = details
    response = jsonify(body)
    response.status_code = status
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Basic realm="phva engine-rest"'
    return response


@bp.before_request
def authenticate() -> Response | None:
    header = request.headers.get("Authorization", "")
    scheme, _, credentials = header.partition(" ")
    user: UserView | None = None
    try:
        if scheme.lower() == "bearer" and credentials.strip():
            user = user_for_token(ctx(), credentials.strip())
        elif scheme.lower() == "basic" and credentials.strip():
            name, _, password = (
                base64.b64decode(credentials.strip(), validate=True).decode("utf-8").partition(":")
            )
            user = sign_in(ctx(), name, password, request.remote_addr or "?") if name else None
    except (binascii.Error, UnicodeDecodeError, ValueError):
        user = None
    except TooManyAttempts as exc:
        return error(429, "AuthenticationException", exc.message)
    if user is None:
        return error(
            401,
            "AuthenticationException",
            "Credenciales no válidas: usuario y contraseña de phva, o un token.",
        )
    if not user.has_role(*modeler_rest.DEPLOYERS):
        return error(
            403,
            "AuthorizationException",
            f"'{user.username}' no puede desplegar: hace falta el rol analista o admin.",
        )
    g.engine_rest_user = user
    return None


@bp.errorhandler(PhvaError)
def phva_error(exc: PhvaError) -> Response:
    if isinstance(exc, modeler_rest.DeployRefused):
        body = modeler_rest.parse_error(exc.report)
        return error(400, body["type"], body["message"], body["details"])
    kind = "InvalidRequestException" if exc.http_status in (400, 404, 413, 422) else "RestException"
    return error(exc.http_status, kind, exc.message, exc.details or None)


def _user() -> UserView:
    user = g.engine_rest_user
    assert isinstance(user, UserView)
    return user


def _paging() -> tuple[int, int | None]:
    first = request.args.get("firstResult")
    maximum = request.args.get("maxResults")
    return (
        bounded_int(first, "firstResult", 0) if first else 0,
        bounded_int(maximum, "maxResults", 0, maximum=10_000) if maximum else None,
    )


@bp.get("/version")
def version() -> Response:
    return jsonify(version=modeler_rest.CAMUNDA_VERSION)


@bp.get("/engine")
def engines() -> Response:
    return jsonify([{"name": "default"}])


@bp.get("/deployment")
def deployment_list() -> Response:
    first, maximum = _paging()
    return jsonify(modeler_rest.list_deployments(ctx(), first, maximum))


@bp.post("/deployment/create")
def deployment_create() -> Response:
    fields = {name: value for name, value in request.form.items()}
    files = [
        SourceFile(storage.filename or name, storage.read())
        for name, storage in request.files.items(multi=True)
    ]
    settings = ctx().settings
    if settings.require_model_tests:  # PHVA_REQUIRE_MODEL_TESTS: the server's model tests must pass first
        failures = failing_model_tests(settings.model_tests_dir or settings.bpmn_dir, files)
        if failures:
            message = f"{modeler_rest.PARSE_ERROR} El despliegue no pasó las pruebas de modelo: " + "; ".join(
                line.strip() for line in failures if line.strip().startswith("✗") and ":" in line
            )
            return error(400, "ParseException", message[:4000], {"model_tests": failures})
    body = modeler_rest.deploy(ctx(), files, fields, _user(), limits(current_app))
    return jsonify(body)


@bp.get("/process-definition")
def definition_list() -> Response:
    first, maximum = _paging()
    latest = request.args.get("latestVersion", "").lower() == "true"
    key = request.args.get("key") or None
    return jsonify(modeler_rest.list_definitions(ctx(), key=key, latest=latest, first=first, maximum=maximum))


@bp.get("/process-definition/key/<key>")
def definition_by_key(key: str) -> Response:
    return jsonify(modeler_rest.definition_by_key(ctx(), key))


@bp.get("/process-definition/<definition_id>")
def definition_get(definition_id: str) -> Response:
    return jsonify(modeler_rest.definition(ctx(), definition_id))


@bp.post("/process-definition/<definition_id>/start")
def start_by_id(definition_id: str) -> Response:
    return jsonify(modeler_rest.start(ctx(), _user(), _json(), camunda_id=definition_id))


@bp.post("/process-definition/key/<key>/start")
def start_by_key(key: str) -> Response:
    return jsonify(modeler_rest.start(ctx(), _user(), _json(), key=key))


def _json() -> Any:
    if not request.data:
        return None
    payload = request.get_json(silent=True)
    if payload is None:
        raise BadInput("El cuerpo no es JSON válido.")
    return payload


def init_app(app: Flask) -> None:
    path = app.config.get("ENGINE_REST_PATH") or base_path()
    app.register_blueprint(bp, url_prefix=path)
