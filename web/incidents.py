"""Incidents page: what stopped, with its error, process and step, and the repairs (retry, correct, cancel)."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.errors import BadInput, IncidentRaised
from engine.supervision import incidents
from web.current import ctx, login_required, me

bp = Blueprint("incidents", __name__)

STATUS_TEXT = {
    "running": "en curso",
    "completed": "terminado",
    "incident": "con otro incidente",
    "programado": "programado de nuevo",
    "reenviando": "en cola para reenviarse",
}


@bp.get("/incidentes")
@login_required
def index() -> Any:
    kind = request.args.get("clase") or None
    kind = kind if kind in incidents.KINDS else None
    items = incidents.incidents_for(ctx(), me(), kind=kind)
    return render_template(
        "incidents.html", items=items, kind=kind, kinds=incidents.KINDS, limit=incidents.LIMIT
    )


@bp.get("/incidentes/<int:incident_id>")
@login_required
def show(incident_id: int) -> Any:
    detail = incidents.incident_detail(ctx(), me(), incident_id)
    shown = json.dumps(detail.data, ensure_ascii=False, indent=2, default=str)
    return render_template("incidents_detail.html", detail=detail, item=detail.item, variables=shown)


@bp.post("/incidentes/<int:incident_id>/reintentar")
@login_required
def retry(incident_id: int) -> Any:
    variables = request.form.get("variables")
    try:
        status, corrected = incidents.retry(ctx(), me(), incident_id, variables)
    except BadInput as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return render_template(
            "incidents_detail.html",
            detail=(detail := incidents.incident_detail(ctx(), me(), incident_id)),
            item=detail.item,
            variables=variables or "",
        ), 422
    except IncidentRaised as error:
        flash(error.message, "error")
        return redirect(url_for("incidents.index"))
    what = f" corrigiendo {', '.join(corrected)}" if corrected else ""
    flash(
        f"Reintentó el incidente {incident_id}{what}: el proceso quedó {STATUS_TEXT.get(status, status)}.",
        "success",
    )
    return redirect(url_for("incidents.index"))


@bp.post("/incidentes/<int:incident_id>/cancelar")
@login_required
def cancel(incident_id: int) -> Any:
    if request.form.get("confirmo") != "true":
        flash("Confirme que cancela el proceso: no se puede deshacer.", "error")
        return redirect(url_for("incidents.show", incident_id=incident_id))
    try:
        radicado = incidents.cancel(ctx(), me(), incident_id, request.form.get("motivo", ""))
    except BadInput as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return redirect(url_for("incidents.show", incident_id=incident_id))
    flash(
        f"Anuló la PQRSD {radicado} y canceló su proceso." if radicado else "Canceló el proceso.", "success"
    )
    return redirect(url_for("incidents.index"))
