"""JSON API `/api/v1` with Bearer tokens; the same services as the pages and the CLI."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, g, jsonify, request, url_for

from engine.errors import BadInput, NotFound
from engine.identity.users import UserView, user_for_token
from engine.limits import BIGINT_MAX, bounded_int
from engine.pqrsd import case_actions, notices, radicacion, tray
from engine.pqrsd import views as pqrsd_views
from engine.workflow import diagrams, instances, start_forms, task_views, tasks, views
from web.current import ctx
from web.http import error_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
OPENAPI = Path(__file__).with_name("openapi.json")
_PUBLIC = {"api.openapi"}


@bp.before_request
def authenticate() -> Response | None:
    if request.endpoint in _PUBLIC:
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(ctx(), token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        return error_response(
            "Falta un token válido: envíe 'Authorization: Bearer <token>' "
            "(lo emite 'phva users token USUARIO').",
            401,
        )
    g.api_user = user
    return None


def caller() -> UserView:
    user = g.api_user
    assert isinstance(user, UserView)
    return user


def body() -> dict[str, Any]:
    if not request.data:
        return {}
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise BadInput("El cuerpo debe ser un objeto JSON.")
    return payload


def _text(payload: Mapping[str, Any], name: str, *, required: bool = False) -> str | None:
    value = payload.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadInput(f"Falta '{name}' o no es un texto.", {name: "Debe ser un texto no vacío."})
    return value.strip()


def _int_arg(name: str, default: int | None = None, *, maximum: int | None = None) -> int | None:
    if not request.args.get(name):
        return default
    return bounded_int(request.args.get(name), name, 0, maximum=maximum or BIGINT_MAX)


@bp.get("/openapi.json")
def openapi() -> Response:
    return Response(OPENAPI.read_text(encoding="utf-8"), mimetype="application/json")


@bp.get("/process-definitions")
def process_definitions() -> Response:
    items = views.definitions(ctx())
    return jsonify(items=items, total=len(items))


@bp.post("/process-instances")
def start_instance() -> Any:
    payload = body()
    key = _text(payload, "process_key", required=True)
    assert key is not None
    business_key = _text(payload, "business_key")
    started = start_forms.start_from_form(ctx(), key, caller(), payload.get("data") or {}, business_key)
    response = jsonify(started.to_dict())
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_instance", instance_id=started.id)
    return response


@bp.get("/process-instances/<int:instance_id>")
def get_instance(instance_id: int) -> Response:
    detail = diagrams.instance_for(ctx(), instance_id, caller())
    return jsonify({**detail, "active_tasks": [t for t in detail["tasks"] if t["state"] == "ready"]})


@bp.get("/tasks")
def list_tasks() -> Response:
    criteria: dict[str, Any] = {
        "limit": _int_arg("limit", 50, maximum=500),
        "offset": _int_arg("offset", 0),
        "instance_id": _int_arg("instance_id"),
        "process_key": request.args.get("process_key") or None,
    }
    for name, field in (("assignee", "assignee_me"), ("candidate", "candidate_me")):
        value = request.args.get(name)
        if value not in (None, "", "me"):
            raise BadInput(f"'{name}' solo admite 'me'.", {name: "Use 'me'."})
        criteria[field] = value == "me"
    overdue = request.args.get("overdue")
    if overdue not in (None, "", "true", "false"):
        raise BadInput("'overdue' admite 'true' o 'false'.", {"overdue": "Use true o false."})
    if overdue == "true":
        criteria["overdue_at"] = ctx().clock.now()
    cursor = (request.args.get("cursor") or "").strip()
    if len(cursor) > 200:
        raise BadInput("El cursor de la página no es válido.", {"cursor": "Cursor no válido."})
    criteria["cursor"] = cursor or None
    criteria["order"] = request.args.get("order") or "due"
    if criteria["order"] not in ("due", "priority"):
        raise BadInput("'order' admite 'due' o 'priority'.", {"order": "Use due o priority."})
    found = views.task_page(ctx(), views.task_filter_for(caller(), **criteria))
    following = None
    if found["next"] is not None:  # the same criteria, from the cursor on (the offset no longer applies)
        args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("cursor", "offset")}
        following = url_for("api.list_tasks", **{**args, "cursor": found["next"]})
    return jsonify(items=found["items"], total=found["total"], total_capped=found["capped"], next=following)


@bp.get("/tasks/<int:task_id>")
def get_task(task_id: int) -> Response:
    return jsonify(task_views.task_for(ctx(), task_id, caller()))


@bp.post("/tasks/<int:task_id>/claim")
def claim(task_id: int) -> Response:
    return jsonify(tasks.claim_task(ctx(), task_id, caller()))


@bp.post("/tasks/<int:task_id>/unclaim")
def unclaim(task_id: int) -> Response:
    return jsonify(tasks.unclaim_task(ctx(), task_id, caller()))


@bp.post("/tasks/<int:task_id>/assign")
def assign(task_id: int) -> Response:
    assignee = _text(body(), "assignee", required=True)
    assert assignee is not None
    return jsonify(tasks.assign_task(ctx(), task_id, caller(), assignee))


@bp.post("/tasks/<int:task_id>/complete")
def complete(task_id: int) -> Response:
    payload = body()
    unknown = sorted(set(payload) - {"data", "confirmado"})
    if unknown:
        raise BadInput("Envíe los datos dentro de 'data'.", dict.fromkeys(unknown, "Campo desconocido."))
    confirmed = payload.get("confirmado") is True  # explicit: a decision the model asks to confirm
    return jsonify(
        tasks.complete_task(ctx(), task_id, caller(), payload.get("data"), confirmed=confirmed).to_dict()
    )


@bp.post("/pqrsd")
def radicar_pqrsd() -> Any:
    """The one radicación service: 201 with the radicado, or 422 with a message per field and nothing written."""
    case = radicacion.file_pqrsd(ctx(), body(), actor=caller().username)
    response = jsonify(
        radicado=case["radicado"],
        codigo_consulta=case["codigo_consulta"],
        radicado_at=case["radicado_at"],
        vence_el=case["due_date"],
        instance_id=case["instance_id"],
        process_error=case.get("process_error"),
    )
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_pqrsd", radicado=case["radicado"])
    return response


@bp.get("/pqrsd")
def list_pqrsd() -> Response:
    page = tray.cases(ctx(), caller(), tray.parse_query(request.args.to_dict(), limit=50))
    return jsonify(items=page["items"], total=page["total"], total_capped=page["capped"])


@bp.get("/pqrsd/<radicado>")
def get_pqrsd(radicado: str) -> Response:
    return jsonify(pqrsd_views.case_detail(ctx(), radicado, caller()))


@bp.post("/pqrsd/<radicado>/<accion>")
def pqrsd_action(radicado: str, accion: str) -> Response:
    """A legal action (requerimiento, reanudar, prorrogar, trasladar, desistir, archivar, responder)."""
    if accion not in case_actions.ACTIONS:
        raise NotFound(f"Acción desconocida: «{accion}». Use {', '.join(case_actions.ACTIONS)}.")
    case_actions.act(ctx(), radicado, accion, body(), caller())
    return jsonify(pqrsd_views.case_detail(ctx(), radicado, caller()))


@bp.get("/pqrsd/<radicado>/acuse")
def pqrsd_acuse(radicado: str) -> Response:
    fmt = request.args.get("formato", "pdf")
    if fmt not in ("pdf", "html"):
        raise BadInput("'formato' admite 'pdf' o 'html'.", {"formato": "Use pdf o html."})
    case = pqrsd_views.case_for(ctx(), radicado, caller())
    if fmt == "html":
        return Response(notices.receipt_html(ctx(), case), mimetype="text/html")
    return _pdf(notices.receipt_pdf(ctx(), case), f"acuse-{radicado}.pdf")


def _pdf(content: bytes, name: str) -> Response:
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@bp.post("/messages")
def correlate() -> Response:
    payload = body()
    name = _text(payload, "name", required=True)
    assert name is not None
    instance_id = payload.get("instance_id")
    if instance_id is not None and (not isinstance(instance_id, int) or isinstance(instance_id, bool)):
        raise BadInput("'instance_id' debe ser un entero.", {"instance_id": "Debe ser un número entero."})
    target = instances.correlate_message(
        ctx(),
        name,
        business_key=_text(payload, "business_key"),
        instance_id=instance_id,
        payload=payload.get("payload"),
        actor=caller().username,
        user=caller(),
    )
    return jsonify(instance_id=target)


def openapi_document() -> dict[str, Any]:
    loaded = json.loads(OPENAPI.read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded
