"""Administration of the legal data (admin role): the calendar's closures and settings, and the PQRSD term
table — the services behind `phva calendar close|reopen|settings` and `phva pqrsd terms set`."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from engine.errors import BadInput, NotFound
from engine.legal.inputs import parse_days
from engine.legal.terms import UNIT_LABELS, TermUnit
from engine.legal.typed import parse_day, parse_unit
from engine.pqrsd import calendar as calendar_service
from engine.pqrsd import recalculation, term_table
from web import admin
from web.current import ctx, me

bp = Blueprint("admin_legal", __name__, url_prefix="/admin")
bp.before_request(admin.admins_only)
POLICIES = {"A": "A: lo recibido en día no hábil o desde la hora de cierre se radica el día hábil siguiente",
            "B": "B: se radica en la fecha calendario de recibo"}  # fmt: skip
SUSPENSION = {"resume": "Reanudar: cuentan los días ya usados", "restart": "Reiniciar el término"}


# ---- calendar ---------------------------------------------------------------------------------
@bp.get("/calendario")
def calendar() -> Any:
    return _calendar_page(typed={})


def _calendar_page(status: int = 200, **extra: Any) -> Any:
    year = ctx().clock.now().year
    holidays = [h for h in calendar_service.holidays(ctx(), year) if h["kind"] == "festivo"]
    page = render_template(
        "admin_calendar.html",
        closures=calendar_service.closures(ctx(), include_removed=True),
        settings=calendar_service.get_settings(ctx()),
        holidays=holidays,
        year=year,
        policies=POLICIES,
        suspension=SUSPENSION,
        **extra,
    )
    return page, status


@bp.post("/calendario/cierres")
def close_day() -> Any:
    typed = {k: request.form.get(k, "") for k in ("date", "reason", "act")}
    try:
        outcome = recalculation.close_day(ctx(), parse_day(typed["date"] or "?", "Fecha del cierre"),
                                          reason=typed["reason"], legal_act=typed["act"] or None,
                                          actor=me().username)  # fmt: skip
    except BadInput as error:
        flash(f"{error.message} No se registró el cierre.", "error")
        return _calendar_page(422, typed=typed)
    flash(f"Registró el cierre del {outcome.to_dict()['date']}. {_moved(outcome.to_dict())}", "success")
    return redirect(url_for("admin_legal.calendar"))


@bp.post("/calendario/cierres/<day>/anular")
def reopen_day(day: str) -> Any:
    try:
        outcome = recalculation.reopen_day(ctx(), parse_day(day), actor=me().username)
    except (BadInput, NotFound) as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _calendar_page(422, typed={})
    flash(f"Anuló el cierre del {day}: vuelve a ser día hábil. {_moved(outcome.to_dict())}", "success")
    return redirect(url_for("admin_legal.calendar"))


def _moved(record: dict[str, Any]) -> str:
    text = f"PQRSD con nuevo vencimiento: {record['changed']}."
    earlier = [c["radicado"] for c in record["cases"] if c["earlier"]]
    if earlier:
        text += f" Se adelanta el de {', '.join(earlier)}: avise a los responsables."
    return text


@bp.post("/calendario/configuracion")
def settings() -> Any:
    form = request.form
    changes = {
        "saturday_is_business_day": form.get("saturday") == "true",
        "closing_time": form.get("closing_time", ""),
        "saturday_closing_time": form.get("saturday_closing_time", ""),
        "radicacion_policy": form.get("policy", ""),
        "suspension_mode": form.get("suspension", ""),
        "timezone": form.get("timezone", ""),
    }
    try:
        calendar_service.update_settings(ctx(), changes, actor=me().username)
    except BadInput as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _calendar_page(422, typed={})
    flash("Guardó la configuración del calendario. Las PQRSD ya radicadas conservan sus fechas.", "success")
    return redirect(url_for("admin_legal.calendar"))


# ---- the term table ---------------------------------------------------------------------------
@bp.get("/terminos")
def terms() -> Any:
    return _terms_page(typed={})


def _terms_page(status: int = 200, **extra: Any) -> Any:
    table = term_table.terms(ctx())
    page = render_template(
        "admin_terms.html",
        table=table,
        current=[r for r in table["rows"] if r["valid_to"] is None],
        versions=term_table.term_versions(ctx()),
        units={u.value: UNIT_LABELS[u][1] for u in TermUnit},
        **extra,
    )
    return page, status


@bp.post("/terminos")
def set_term() -> Any:
    form = request.form
    typed = {
        k: form.get(k, "").strip()
        for k in ("kind", "days", "unit", "from", "basis", "label", "prorroga", "note")
    }
    try:
        table = term_table.set_term(
            ctx(), typed["kind"], parse_days(typed["days"] or "?"), unit=parse_unit(typed["unit"]) if typed["unit"] else None,
            valid_from=parse_day(typed["from"], "Vigente desde") if typed["from"] else None,
            legal_basis=typed["basis"] or None, label=typed["label"] or None,
            prorroga_max=parse_days(typed["prorroga"]) if typed["prorroga"] else None,
            note=typed["note"] or None, actor=me().username,
        )  # fmt: skip
    except BadInput as error:
        flash(f"{error.message} No se creó una versión nueva.", "error")
        return _terms_page(422, typed=typed)
    flash(f"Creó la versión {table['version']} de la tabla de términos: {table['note']}.", "success")
    return redirect(url_for("admin_legal.terms"))
