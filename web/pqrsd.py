"""PQRSD pages for staff: radicar a petition (the one radicación service) and see a case."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from engine.errors import IncidentRaised, PayloadTooLarge, ValidationFailed
from engine.pqrsd import case_actions, notices, radicacion, views
from web.attachments import attach_filed, checked_at_filing
from web.current import ctx, login_required, me
from web.formatting import fecha
from web.formdata import field_errors, sections, shown_values, submission

bp = Blueprint("pqrsd", __name__)


@bp.route("/pqrsd/radicar", methods=["GET", "POST"])
@login_required
def radicar() -> Any:
    form = views.filing_page(ctx())
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    if request.method == "POST":
        typed = submission(form, request.form)
        try:
            uploads = checked_at_filing()  # every file checked first: a bad one leaves no radicado
            case = radicacion.file_pqrsd(ctx(), typed, actor=me().username)
        except (ValidationFailed, PayloadTooLarge) as error:
            flash(error.message, "error")
            errors = field_errors(error.details, form)
        else:
            due = fecha(case["due_at"], with_time=False) if case["due_at"] else "(término suspendido)"
            flash(f"Radicó la PQRSD {case['radicado']}; vence el {due}.", "success")
            if case.get("process_error"):
                flash(f"El proceso de la PQRSD quedó con un incidente: {case['process_error']}", "error")
            attach_filed(case["radicado"], uploads)
            return redirect(url_for("pqrsd.show", radicado=case["radicado"]))
    values = shown_values(form, typed, {"prioridad": "normal"})
    return render_template(
        "pqrsd_radicar.html", form=form, sections=sections(form), values=values, errors=errors
    ), 422 if errors else 200


@bp.get("/pqrsd/<radicado>")
@login_required
def show(radicado: str) -> Any:
    return render_template("pqrsd_case.html", case=views.case_detail(ctx(), radicado, me()))


@bp.get("/pqrsd/<radicado>/acuse")
@login_required
def acuse(radicado: str) -> Any:
    case = views.case_for(ctx(), radicado, me())
    return Response(notices.receipt_html(ctx(), case), mimetype="text/html")


@bp.get("/pqrsd/<radicado>/acuse.pdf")
@login_required
def acuse_pdf(radicado: str) -> Any:
    case = views.case_for(ctx(), radicado, me())
    response = Response(notices.receipt_pdf(ctx(), case), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'inline; filename="acuse-{case["radicado"]}.pdf"'
    return response


@bp.post("/pqrsd/<radicado>/incidentes/<int:incident_id>/reintentar")
@login_required
def retry(radicado: str, incident_id: int) -> Any:
    text = request.form.get("variables", "").strip() or "{}"
    try:
        corrections = json.loads(text)
    except json.JSONDecodeError as error:
        flash(f"Las variables deben ser un objeto JSON: {error.msg} (columna {error.colno}).", "error")
        return redirect(url_for("pqrsd.show", radicado=radicado))
    try:
        status = case_actions.corregir(ctx(), radicado, incident_id, corrections, me())
    except IncidentRaised as error:
        flash(error.message, "error")
    else:
        flash(f"Corrigió y reintentó el paso: el proceso quedó {STATUS_TEXT.get(status, status)}.", "success")
    return redirect(url_for("pqrsd.show", radicado=radicado))


@bp.post("/pqrsd/<radicado>/anular")
@login_required
def cancel(radicado: str) -> Any:
    if request.form.get("confirmo") != "true":
        flash("Confirme que anula la PQRSD: no se puede deshacer.", "error")
        return redirect(url_for("pqrsd.show", radicado=radicado))
    case_actions.anular(ctx(), radicado, request.form.get("motivo", ""), me())
    flash(f"Anuló la PQRSD {radicado} y su proceso.", "success")
    return redirect(url_for("pqrsd.show", radicado=radicado))


STATUS_TEXT = {"running": "en curso", "completed": "terminado", "incident": "con un incidente"}
