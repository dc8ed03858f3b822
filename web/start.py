"""Start page: the processes this user may start, each with its start form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.errors import ValidationFailed
from engine.services import start_forms, task_views
from web.formdata import field_errors, sections, shown_values, submission
from web.pages import ctx, me

bp = Blueprint("start", __name__)


@bp.get("/iniciar")
@login_required
def index() -> Any:
    return render_template("start_list.html", processes=start_forms.startable(ctx(), me().username))


@bp.route("/iniciar/<key>", methods=["GET", "POST"])
@login_required
def form(key: str) -> Any:
    page = start_forms.start_form(ctx(), key, me().username)
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    business_key = ""
    if request.method == "POST":
        typed = submission(page["form"], request.form)
        business_key = request.form.get("clave_negocio", "").strip()[:200]
        try:
            started = start_forms.start_from_form(ctx(), key, me().username, typed, business_key or None)
        except ValidationFailed as error:
            flash(error.message, "error")
            errors = field_errors(error.details, page["form"])
        else:
            flash(f"Inició «{page['name']}» (proceso {started.id}).", "success")
            following = task_views.next_task_for(ctx(), started.id, me().username)
            if following is not None:
                return redirect(url_for("tasks.show", task_id=following))
            return redirect(url_for("instances.show", instance_id=started.id))
    values = shown_values(page["form"], typed, page["values"])
    return render_template(
        "start_form.html",
        page=page,
        values=values,
        sections=sections(page["form"]),
        errors=errors,
        business_key=business_key,
    ), 422 if errors else 200
