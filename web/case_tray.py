"""The bandeja de PQRSD: every case the user may see, filtered and searched, and its CSV."""

from __future__ import annotations

import csv
import io
from typing import Any

from flask import Blueprint, Response, render_template, request

from engine.pqrsd import tray
from engine.pqrsd.filing import CHANNELS
from web.current import ctx, login_required, me
from web.formatting import fecha

bp = Blueprint("pqrsd_tray", __name__)
CSV_COLUMNS = (
    ("radicado", "Radicado"), ("tipo", "Tipo"), ("canal", "Canal"), ("estado", "Estado"),
    ("peticionario", "Peticionario"), ("asunto", "Asunto"), ("dependencia", "Dependencia"),
    ("recibida", "Recibida"), ("vence", "Vence"), ("semaforo", "Semáforo"),
)  # fmt: skip


@bp.get("/pqrsd")
@login_required
def index() -> Any:
    args = request.args.to_dict()
    query = tray.parse_query(args)
    page = tray.cases(ctx(), me(), query)
    return render_template(
        "pqrsd_tray.html", page=page, query=query, args=args, estados=tray.ESTADOS, canales=CHANNELS,
        semaforos=tray.SEMAFOROS,
    )  # fmt: skip


@bp.get("/pqrsd.csv")
@login_required
def export() -> Response:
    rows = tray.export(ctx(), me(), tray.parse_query(request.args.to_dict()))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in rows:
        values = {**row, "recibida": fecha(row["recibida"]), "vence": fecha(row["vence"], with_time=False)}
        writer.writerow([_cell(values.get(key)) for key, _ in CSV_COLUMNS])
    response = Response("\ufeff" + out.getvalue(), mimetype="text/csv")  # BOM: Excel opens UTF-8 right
    response.headers["Content-Disposition"] = 'attachment; filename="pqrsd.csv"'
    return response


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text  # no formula runs when a sheet opens it
