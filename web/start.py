"""Start page: the processes this user may start, each with its start form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.errors import ValidationFailed
from engine.pqrsd import radicacion
from engine.workflow import start_forms
from web.current import ctx, login_required, me
from web.formdata import field_errors, rendered_text, sections, shown_values, submission

bp = Blueprint("start", __name__)


@bp.get("/iniciar")
@login_required
def index() -> Any:
    return render_template("start_list.html", processes=start_forms.startable(ctx(), me()))


@bp.route("/iniciar/<key>", methods=["GET", "POST"])
@login_required
def form(key: str) -> Any:
    if key == radicacion.PROCESS_KEY:  # a PQRSD gets its radicado from the one radicación form
        return redirect(url_for("pqrsd.radicar"))
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    business_key = ""
    if request.method == "POST":
        business_key = request.form.get("clave_negocio", "").strip()[:200]
        try:
            started = start_forms.start_from_form(
                ctx(), key, me(), lambda schema: submission(schema, request.form), business_key or None,
                find_next=True,
            )  # fmt: skip
        except ValidationFailed as error:
            flash(error.message, "error")
            page = start_forms.start_form(ctx(), key, me())
            typed = submission(page["form"], request.form)
            errors = field_errors(error.details, page["form"])
        else:
            flash(f"Inició «{started.process_name}» (proceso {started.id}).", "success")
            if started.next_task_id is not None:
                return redirect(url_for("tasks.show", task_id=started.next_task_id))
            return redirect(url_for("instances.show", instance_id=started.id))
    else:
        page = start_forms.start_form(ctx(), key, me())
    values = shown_values(page["form"], typed, page["values"])
    return render_template(
        "start_form.html",
        page=page,
        values=values,
        sections=rendered_text(sections(page["form"])),
        errors=errors,
        business_key=business_key,
    ), 422 if errors else 200
