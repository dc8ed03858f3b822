"""API route of signals, on the `/api/v1` blueprint: a broadcast by name, as Camunda's POST /signal."""

from __future__ import annotations

from flask import Response, jsonify

from engine.errors import BadInput
from engine.workflow import signals
from web.api import body, bp, caller
from web.current import ctx


@bp.post("/signals")
def send_signal() -> Response:
    payload = body()
    name = payload.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadInput("Falta 'name' o no es un texto.", {"name": "Debe ser un texto no vacío."})
    outcome = signals.send_signal(
        ctx(), name, payload=payload.get("data"), actor=caller().username, user=caller()
    )
    return jsonify(outcome.to_dict())
