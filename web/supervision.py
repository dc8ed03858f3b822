"""The supervision dashboard: counts by semáforo, the lists behind them and their CSV, reassignment, heatmap."""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, flash, jsonify, redirect, render_template, request, url_for

from engine.errors import BadInput, PhvaError
from engine.identity.users import list_users
from engine.pqrsd.filing import CHANNELS
from engine.supervision import dashboard, heatmap, items
from engine.supervision.filters import KINDS, NONE, parse_filters
from engine.supervision.semaforo_sql import LABELS, RUNNING, STATES
from engine.workflow.reassign import reassign_tasks, reassignable
from web.case_tray import _cell as csv_cell
from web.current import ctx, login_required, me
from web.formatting import MONTHS, fecha

bp = Blueprint("supervision", __name__, url_prefix="/supervision")
CSV_COLUMNS = (
    ("radicado", "Radicado"), ("tarea", "Tarea"), ("asunto", "Asunto"), ("tipo", "Tipo"), ("canal", "Canal"),
    ("dependencia", "Dependencia"), ("responsable", "Responsable"), ("vence_el", "Vence el"),
    ("dias_habiles", "Días hábiles restantes"), ("semaforo", "Semáforo"), ("ultima_actividad", "Última actividad"),
)  # fmt: skip


@bp.app_template_filter("dia")
def day_text(value: str | None) -> str:
    """A local date (AAAA-MM-DD) as people write it here: 23 feb. 2026."""
    if not value:
        return "—"
    day = date.fromisoformat(value)
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def _common() -> dict[str, Any]:
    return {"labels": LABELS, "running": RUNNING, "states": STATES, "kinds": KINDS, "none_value": NONE,
            "channels": CHANNELS, "dimensions": dashboard.DIMENSIONS}  # fmt: skip


@bp.get("")
@login_required
def index() -> Any:
    query = parse_filters(request.args.to_dict())
    found = dashboard.summary(ctx(), me(), query)
    return render_template("supervision.html", summary=found, query=query, **_common())


@bp.get("/lista")
@login_required
def listing() -> Any:
    query = parse_filters(request.args.to_dict())
    page = items.items(ctx(), me(), query)
    people = [u for u in list_users(ctx()) if u.active] if query.ver == "tareas" else []
    groups = sorted({g for u in people for g in u.groups})
    return render_template(
        "supervision_lista.html", page=page, query=query, people=people, groups=groups, **_common()
    )


@bp.get("/lista.csv")
@login_required
def export() -> Response:
    query = parse_filters(request.args.to_dict())
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in items.export(ctx(), me(), query):
        values = {
            **row,
            "semaforo": LABELS[row["semaforo"]],
            "ultima_actividad": fecha(row["ultima_actividad"]),
        }
        writer.writerow([_value(values.get(key)) for key, _ in CSV_COLUMNS])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")  # BOM: Excel opens UTF-8 right
    response.headers["Content-Disposition"] = f'attachment; filename="supervision-{query.ver}.csv"'
    return response


@bp.get("/reasignar")
@login_required
def reassign_form() -> Any:
    ids = _task_ids(request.args.getlist("tarea"))[:50]
    if not ids:
        raise BadInput("Elija al menos una tarea para reasignar.")
    chosen = reassignable(ctx(), me(), ids)
    people = [u for u in list_users(ctx()) if u.active]
    return render_template(
        "supervision_reasignar.html", chosen=chosen, ids=ids, people=people,
        groups=sorted({g for u in people for g in u.groups}), back=_back(), **_common(),
    )  # fmt: skip


@bp.post("/reasignar")
@login_required
def reassign() -> Any:
    back = _back()
    try:
        ids = _task_ids(request.form.getlist("tarea"))
        done = reassign_tasks(
            ctx(), me(), ids, to_user=request.form.get("usuario"), to_group=request.form.get("dependencia"),
            reason=request.form.get("motivo", ""),
        )  # fmt: skip
    except PhvaError as error:
        flash(error.message, "error")
        return redirect(back)
    names = ", ".join(f"«{t['name']}»" for t in done)
    who = done[0]["assignee"] or ", ".join(done[0]["candidate_groups"])
    flash(f"Reasignó {len(done)} tarea(s) a {who}: {names}.", "success")
    return redirect(back)


@bp.get("/mapa")
@login_required
def heatmaps() -> Any:
    return render_template("supervision_mapa_lista.html", versions=heatmap.versions(ctx(), me()))


@bp.get("/mapa/<key>/<int:version>")
@login_required
def heatmap_page(key: str, version: int) -> Any:
    period = heatmap.parse_period(request.args.to_dict(), ctx())
    found = heatmap.heatmap(ctx(), me(), key, version, period)
    return render_template("supervision_mapa.html", map=found, period=period)


@bp.get("/mapa/<key>/<int:version>/diagrama")
@login_required
def heatmap_diagram(key: str, version: int) -> Response:
    period = heatmap.parse_period(request.args.to_dict(), ctx())
    return jsonify(heatmap.heatmap_diagram(ctx(), me(), key, version, period))


def _task_ids(raw: list[str]) -> list[int]:
    values = [v.strip() for part in raw for v in part.split(",") if v.strip()]
    if not all(v.isdecimal() and len(v) < 19 for v in values):
        raise BadInput("Las tareas se indican por su número.", {"tarea": "Número no válido."})
    return [int(v) for v in values]


def _back() -> str:
    # Only back into the dashboard: never an address given from outside.
    target = request.values.get("volver") or ""
    return (
        target if target.startswith("/supervision") and "//" not in target else url_for("supervision.index")
    )


def _value(value: Any) -> Any:
    return value if isinstance(value, int) else csv_cell(value)  # days left may be negative: still a number
