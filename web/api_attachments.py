"""API routes of PQRSD attachments, on the `/api/v1` blueprint: upload (multipart), list and download."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from engine.errors import BadInput
from engine.pqrsd import attachments
from engine.pqrsd.attachments import FIELD
from web.api import bp, caller
from web.attachments import file_response, received, task_id_of
from web.current import ctx


@bp.post("/pqrsd/<radicado>/anexos")
def upload_attachments(radicado: str) -> Any:
    """All the files of the `anexos` field, or none: 201 with what was stored, 413/422 and nothing stored."""
    if request.mimetype != "multipart/form-data":
        message = f"Envíe los anexos como multipart/form-data, en el campo «{FIELD}»."
        raise BadInput(message, {FIELD: message})
    stored = attachments.attach(
        ctx(),
        radicado,
        caller(),
        received(),
        task_id=task_id_of(request.form.get("tarea")),
        note=request.form.get("descripcion"),
    )
    response = jsonify(items=stored, total=len(stored))
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_attachments", radicado=radicado)
    return response


@bp.get("/pqrsd/<radicado>/anexos")
def list_attachments(radicado: str) -> Response:
    items = attachments.attachments_of(ctx(), radicado, caller())
    return jsonify(items=items, total=len(items))


@bp.get("/pqrsd/<radicado>/anexos/<sha256>")
def download_attachment(radicado: str, sha256: str) -> Response:
    return file_response(*attachments.download(ctx(), radicado, sha256, caller()))
