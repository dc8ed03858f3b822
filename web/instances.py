"""Instance page: the diagram with markers and due badges, the history and the current data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template

from engine.workflow import diagrams
from web.current import ctx, login_required, me
from web.formatting import fecha, plazo

bp = Blueprint("instances", __name__)


@bp.get("/procesos/<int:instance_id>")
@login_required
def show(instance_id: int) -> Any:
    detail = diagrams.instance_page(ctx(), instance_id, me())
    return render_template("instance.html", detail=detail)


@bp.get("/procesos/<int:instance_id>/diagrama.json")
@login_required
def diagram(instance_id: int) -> Any:
    found = diagrams.instance_diagram(ctx(), instance_id, me())
    for badge in found["badges"]:  # the viewer shows text as formatted here, in es-CO
        badge["label"] = f"{'Vencida' if badge['overdue'] else 'Vence'}: {fecha(badge['due_at'])}"
        badge["title"] = plazo(badge["due_at"])
    return jsonify(found)
