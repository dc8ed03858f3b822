"""Report pages: the informe de PQRSD with its charts and downloads, the indicators' goals, the quality
evaluation of answers, and the counter's turn log."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from markupsafe import Markup

from engine.errors import BadInput, Conflict, PhvaError
from engine.reports import pqrsd, pqrsd_export, pqrsd_goals, pqrsd_quality, pqrsd_turnos
from engine.reports.pqrsd_measures import CRITERIA
from engine.reports.pqrsd_model import INDICATOR_KEYS
from web.current import ctx, login_required, me

bp = Blueprint("reports", __name__)
DOWNLOADS = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}


def today() -> date:
    return pqrsd.local_date(ctx(), ctx().clock.now())


def period_args(args: dict[str, str]) -> tuple[date, date, str | None]:
    """`from`/`to` (AAAA-MM-DD) and `dependencia`; with no dates, the month before today."""
    last_month_end = today().replace(day=1) - timedelta(days=1)
    start = _day(args.get("from"), "from", last_month_end.replace(day=1))
    end = _day(args.get("to"), "to", last_month_end)
    return start, end, (args.get("dependencia") or "").strip() or None


def _day(text: str | None, name: str, default: date) -> date:
    if not text or not text.strip():
        return default
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        what = "inicial" if name == "from" else "final"
        raise BadInput(
            f"La fecha {what} no es válida: «{text[:20]}». Use AAAA-MM-DD.", {name: "Fecha no válida."}
        ) from None


@bp.get("/reportes/pqrsd")
@login_required
def pqrsd_page() -> Any:
    pqrsd.check_reader(me())
    args = request.args.to_dict()
    try:
        start, end, dependencia = period_args(args)
        report = pqrsd.report_for(ctx(), start, end, dependencia, me())
    except BadInput as error:
        return render_template("report_pqrsd.html", report=None, error=error.message, args=args), 400
    return render_template(
        "report_pqrsd.html",
        report=report,
        body=Markup(pqrsd_export.body_html(report)),  # built escaped by the engine, as the PDF prints it
        args={"from": start.isoformat(), "to": end.isoformat(), "dependencia": dependencia or ""},
        error=None,
    )


@bp.get("/reportes/pqrsd.<fmt>")
@login_required
def pqrsd_download(fmt: str) -> Response:
    pqrsd.check_reader(me())  # who may read it first: a format is no business of those who may not
    if fmt not in DOWNLOADS:
        raise BadInput(f"Formato no válido: «{fmt}». Use {', '.join(DOWNLOADS)}.")
    start, end, dependencia = period_args(request.args.to_dict())
    report = pqrsd.report_for(ctx(), start, end, dependencia, me())
    exporters = {"xlsx": pqrsd_export.to_xlsx, "pdf": pqrsd_export.to_pdf}
    content: bytes | str = exporters[fmt](report) if fmt in exporters else pqrsd_export.to_csv(report)
    response = Response(content, mimetype=DOWNLOADS[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{pqrsd_export.file_name(report, fmt)}"'
    return response


# ---- goals -----------------------------------------------------------------------------------------------
@bp.route("/reportes/metas", methods=["GET", "POST"])
@login_required
def goals_page() -> Any:
    pqrsd.check_reader(me())
    raw = request.values.get("vigencia", "").strip()
    vigencia = int(raw) if raw.isdecimal() else today().year
    if request.method == "POST":
        current = {g.indicator: g for g in pqrsd_goals.goals(ctx(), vigencia)}
        try:
            for key in INDICATOR_KEYS:
                value = request.form.get(f"meta_{key}", "").strip()
                if value and (
                    current[key].source != "vigencia" or pqrsd_goals.parse_meta(value) != current[key].meta
                ):
                    pqrsd_goals.set_goal(ctx(), key, vigencia, value, me())
        except BadInput as error:
            flash(error.message, "error")
            return render_template("report_goals.html", goals=pqrsd_goals.goals(ctx(), vigencia),
                                   vigencia=vigencia, editable=me().is_admin, names=pqrsd_goals.NAMES), 400  # fmt: skip
        flash(f"Metas de {vigencia} guardadas.", "success")
        return redirect(url_for("reports.goals_page", vigencia=vigencia))
    return render_template("report_goals.html", goals=pqrsd_goals.goals(ctx(), vigencia), vigencia=vigencia,
                           editable=me().is_admin, names=pqrsd_goals.NAMES)  # fmt: skip


# ---- quality evaluation ----------------------------------------------------------------------------------
@bp.get("/reportes/calidad")
@login_required
def quality_page() -> Any:
    month = pqrsd_quality.parse_month(request.args.get("mes"), today())
    items = pqrsd_quality.sample(ctx(), month, me())
    return render_template("report_quality.html", items=items, month=month, criteria=CRITERIA,
                           size=ctx().settings.calidad_muestra)  # fmt: skip


@bp.post("/reportes/calidad/<radicado>")
@login_required
def quality_review(radicado: str) -> Any:
    month = request.form.get("mes", "")
    fields = {k: v for k, v in request.form.items() if k not in ("csrf_token", "mes")}
    try:
        saved = pqrsd_quality.review(ctx(), radicado, fields, me())
    except (BadInput, Conflict) as error:
        flash(error.message, "error")
    else:
        met = sum(saved[key] for key in CRITERIA)
        flash(f"Evaluación de {radicado} guardada: cumple {met} de {len(CRITERIA)} criterios.", "success")
    return redirect(url_for("reports.quality_page", mes=month[:7] or None) + f"#caso-{radicado}")


# ---- the counter's turns ---------------------------------------------------------------------------------
@bp.get("/turnos")
@login_required
def turnos_page() -> Any:
    day = _day(request.args.get("fecha"), "fecha", today())
    log = pqrsd_turnos.day_log(ctx(), day, request.args.get("punto"), me())
    return render_template("turnos.html", log=log, day=day, today=today())


@bp.post("/turnos")
@login_required
def turnos_issue() -> Any:
    punto = request.form.get("punto")
    try:
        issued = pqrsd_turnos.issue(ctx(), punto, me())
    except PhvaError as error:
        flash(error.message, "error")
        return redirect(url_for("reports.turnos_page"))
    flash(f"Turno {issued['turno']} entregado en {issued['punto']}.", "success")
    return redirect(url_for("reports.turnos_page", punto=issued["punto"]))


@bp.post("/turnos/<int:turno_id>/<accion>")
@login_required
def turnos_act(turno_id: int, accion: str) -> Any:
    punto = request.form.get("punto") or None
    try:
        done = pqrsd_turnos.act(ctx(), turno_id, accion, me())
    except (BadInput, Conflict) as error:
        flash(error.message, "error")
    else:
        said = {"llamar": "llamado", "finalizar": "atendido", "abandonar": "marcado como abandonado"}[accion]
        flash(f"Turno {done['turno']} {said}.", "success")
    return redirect(url_for("reports.turnos_page", punto=punto))
