"""API routes of the supervision dashboard, on the `/api/v1` blueprint: counts, the lists behind them, reassignment."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from engine.errors import BadInput
from engine.supervision import dashboard, items
from engine.supervision.filters import parse_filters
from engine.workflow.reassign import reassign_tasks
from web.api import body, bp, caller
from web.current import ctx


@bp.get("/supervision/summary")
def supervision_summary() -> Response:
    return jsonify(dashboard.summary(ctx(), caller(), parse_filters(request.args.to_dict())))


@bp.get("/supervision/items")
def supervision_items() -> Response:
    page = items.items(ctx(), caller(), parse_filters(request.args.to_dict()))
    following = None
    if (
        page["next"] is not None
    ):  # the same criteria, after the page's last row (the page number no longer applies)
        args: dict[str, Any] = {
            k: v for k, v in request.args.items() if k not in ("cursor", "desde", "pagina")
        }
        following = url_for("api.supervision_items", **{**args, "cursor": page["next"]})
    return jsonify({**page, "next": following})


@bp.post("/supervision/reassign")
def supervision_reassign() -> Any:
    """One task or many, all or none: {"task_ids": [..], "to_user"?, "to_group"?, "reason"}."""
    payload = body()
    ids = payload.get("task_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in ids):
        raise BadInput(
            "'task_ids' debe ser una lista de números de tarea.", {"task_ids": "Lista de números."}
        )
    texts = {name: payload.get(name) for name in ("to_user", "to_group", "reason")}
    for name, value in texts.items():
        if value is not None and not isinstance(value, str):
            raise BadInput(f"'{name}' debe ser un texto.", {name: "Debe ser un texto."})
    done = reassign_tasks(
        ctx(),
        caller(),
        ids,
        to_user=texts["to_user"],
        to_group=texts["to_group"],
        reason=texts["reason"] or "",
    )
    return jsonify(items=done, total=len(done))
