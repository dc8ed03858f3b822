"""PQRSD pages for staff: radicar a petition (the one radicación service) and see a case."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for

from engine.errors import PayloadTooLarge, ValidationFailed
from engine.pqrsd import notices, radicacion, views
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
