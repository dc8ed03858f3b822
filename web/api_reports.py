"""API routes of the PQRSD report, its indicators and goals, and the counter's turns, on the `/api/v1` blueprint."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for

from engine.errors import BadInput
from engine.reports import pqrsd, pqrsd_goals, pqrsd_turnos
from web.api import body, bp, caller
from web.current import ctx
from web.reports import _day, period_args, today


@bp.get("/reports/pqrsd")
def report_pqrsd() -> Response:
    start, end, dependencia = period_args(request.args.to_dict())
    return jsonify(pqrsd.report_for(ctx(), start, end, dependencia, caller()).to_dict())


@bp.get("/reports/indicadores")
def report_indicators() -> Response:
    start, end, _ = period_args(request.args.to_dict())
    pqrsd.check_reader(caller())
    items = [i.to_dict() for i in pqrsd.indicators(ctx(), start, end)]
    return jsonify(items=items, total=len(items))


@bp.get("/reports/metas")
def report_goals() -> Response:
    pqrsd.check_reader(caller())
    raw = request.args.get("vigencia", "").strip()
    if raw and not raw.isdecimal():
        raise BadInput(f"Vigencia no válida: «{raw[:20]}». Escriba el año, por ejemplo 2026.")
    items = [g.to_dict() for g in pqrsd_goals.goals(ctx(), int(raw) if raw else today().year)]
    return jsonify(items=items, total=len(items))


@bp.put("/reports/metas/<indicador>/<int:vigencia>")
def set_report_goal(indicador: str, vigencia: int) -> Response:
    meta = body().get("meta")
    if not isinstance(meta, int | float | str) or isinstance(meta, bool):
        raise BadInput('Envíe la meta como un número: {"meta": 95}.', {"meta": "Porcentaje entre 0 y 100."})
    return jsonify(pqrsd_goals.set_goal(ctx(), indicador, vigencia, meta, caller()).to_dict())


@bp.get("/turnos")
def list_turnos() -> Response:
    day = _day(request.args.get("fecha"), "fecha", today())
    return jsonify(pqrsd_turnos.day_log(ctx(), day, request.args.get("punto"), caller()))


@bp.post("/turnos")
def issue_turno() -> Any:
    punto = body().get("punto")
    if punto is not None and not isinstance(punto, str):
        raise BadInput("«punto» debe ser un texto.", {"punto": "Debe ser un texto."})
    issued = pqrsd_turnos.issue(ctx(), punto, caller(), source="api")
    response = jsonify(issued)
    response.status_code = 201
    response.headers["Location"] = url_for("api.list_turnos", fecha=issued["emitido"][:10])
    return response


@bp.post("/turnos/<int:turno_id>/<accion>")
def act_on_turno(turno_id: int, accion: str) -> Response:
    return jsonify(pqrsd_turnos.act(ctx(), turno_id, accion, caller()))
