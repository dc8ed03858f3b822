"""The service tasks that close the PHVA loop on the PQRSD report's figures.

Topics (camunda:type="external" camunda:topic="…"):
- `informe_pqrsd_cifras`: the monthly report's period (the one chosen at a manual start, else the month before
  the clock's) and a small summary of its figures, with the link to the full report.
- `seguimiento_indicadores`: the period's four indicators against their goals; each one below its goal opens one
  `accion_mejora` (business key `mejora-<indicador>-<periodo>`, once per indicator and period) in the same
  transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select

from engine.errors import BadInput
from engine.pqrsd import legal_data as legal
from engine.reports import pqrsd as report
from engine.reports.pqrsd_model import Indicator, Period
from engine.runtime.workflow import ServiceRegistry
from engine.store.definitions import latest_definition, latest_name
from engine.store.tables import ProcessInstance
from engine.workflow.instances import start_in
from engine.workflow.runs import ServiceCall

MEJORA_KEY = "accion_mejora"
REPORT_PATH = "/reportes/pqrsd"
LoopHandler = Callable[[ServiceCall, Mapping[str, Any]], dict[str, Any]]


def register(registry: ServiceRegistry) -> None:
    for topic, handler in HANDLERS.items():
        registry.register_with_call(topic, _bound(handler))


def _bound(handler: LoopHandler) -> Callable[[Mapping[str, Any], Any], dict[str, Any]]:
    def run(data: Mapping[str, Any], call: Any) -> dict[str, Any]:
        if not isinstance(call, ServiceCall):
            raise BadInput("Esta tarea de servicio lee el reporte de PQRSD: no se puede ejecutar aquí.")
        # the calendar's first use writes its rows: here, in the instance's transaction (SQLite has one writer)
        legal.ensure_legal_data_in(call.ctx, call.session, actor="proceso")
        return handler(call, data)

    return run


# ---- the period ----------------------------------------------------------------------------------
def period_of(data: Mapping[str, Any], today: date) -> Period:
    """`periodo_desde`/`periodo_hasta` (inclusive); a missing end closes the start's month, a missing start
    opens the end's month, and with neither it is the month before `today`."""
    start, end = _day(data, "periodo_desde"), _day(data, "periodo_hasta")
    if start is None and end is None:
        end = today.replace(day=1) - timedelta(days=1)
    if start is None:
        assert end is not None
        start = end.replace(day=1)
    if end is None:
        end = _month_end(start)
    return Period.checked(start, end)


def _month_end(day: date) -> date:
    following = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


def _day(data: Mapping[str, Any], key: str) -> date | None:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError as error:
        raise BadInput(f"«{key}» debe ser una fecha AAAA-MM-DD, no «{str(value)[:40]}».") from error


def period_label(period: Period) -> str:
    """2026-03 for a calendar month, 2026 for a year, else 20260101-20260331."""
    if period.start.day == 1 and period.end == _month_end(period.start):
        return period.start.strftime("%Y-%m")
    if (period.start.month, period.start.day, period.end.month, period.end.day) == (1, 1, 12, 31) and (
        period.start.year == period.end.year
    ):
        return str(period.start.year)
    return f"{period.start:%Y%m%d}-{period.end:%Y%m%d}"


def report_link(period: Period) -> str:
    return f"{REPORT_PATH}?{urlencode({'from': period.start.isoformat(), 'to': period.end.isoformat()})}"


def _today(call: ServiceCall) -> date:
    return report.local_date(call.ctx, call.ctx.clock.now())


def _period_data(period: Period) -> dict[str, Any]:
    return {
        "periodo_desde": period.start.isoformat(),
        "periodo_hasta": period.end.isoformat(),
        "enlace_reporte": report_link(period),
    }


# ---- informe_pqrsd --------------------------------------------------------------------------------
def informe_cifras(call: ServiceCall, data: Mapping[str, Any]) -> dict[str, Any]:
    period = period_of(data, _today(call))
    summary = report.build_report(call.ctx, period.start, period.end).summary()
    indicators = report.indicators(call.ctx, period.start, period.end)
    return {
        **_period_data(period),
        "cifras": {**summary, "indicadores": {i.key: _figure(i) for i in indicators}},
    }


def _figure(indicator: Indicator) -> dict[str, Any]:
    return {
        "nombre": indicator.name,
        "valor": indicator.value,
        "meta": indicator.meta,
        "numerador": indicator.numerator,
        "denominador": indicator.denominator,
        "cumple_meta": indicator.meets_goal,
    }


# ---- seguimiento_relacionamiento ------------------------------------------------------------------
def seguimiento_indicadores(call: ServiceCall, data: Mapping[str, Any]) -> dict[str, Any]:
    """The indicators against their goals; one improvement action per indicator below its goal."""
    period = period_of(data, _today(call))
    indicators = report.indicators(call.ctx, period.start, period.end)
    below = [i for i in indicators if i.meets_goal is False]
    opened = [_open_improvement(call, i, period) for i in below]
    return {
        **_period_data(period),
        "indicadores": {i.key: _figure(i) for i in indicators},
        "brechas": [_gap(i) for i in below],
        "indicadores_bajo_meta": bool(below),
        "acciones_mejora": [a for a in opened if a is not None],
    }


def _gap(indicator: Indicator) -> str:
    return f"{indicator.name}: {_percent(indicator.value)} (meta {_percent(indicator.meta)})"


def _percent(value: float | None) -> str:
    return "sin dato" if value is None else f"{value:g} %".replace(".", ",")


def improvement_key(indicator: str, period: Period) -> str:
    return f"mejora-{indicator}-{period_label(period)}"


def _open_improvement(call: ServiceCall, indicator: Indicator, period: Period) -> dict[str, Any] | None:
    """Start `accion_mejora` for the indicator and period unless one was opened already (None when the
    process is not deployed)."""
    session = call.session
    key = improvement_key(indicator.key, period)
    existing = session.scalar(
        select(ProcessInstance.id).where(
            ProcessInstance.process_key == MEJORA_KEY, ProcessInstance.business_key == key
        )
    )
    if existing is None:
        if latest_name(session, MEJORA_KEY) is None:
            return None
        initial = {
            "indicador": indicator.key,
            "indicador_nombre": indicator.name,
            "valor": indicator.value,
            "meta": indicator.meta,
            "formula": indicator.formula,
            "numerador": indicator.numerator,
            "denominador": indicator.denominator,
            "brechas": [_gap(indicator)],
            "origen_seguimiento": call.instance.id,
            **_period_data(period),
        }
        started = start_in(call.ctx, session, latest_definition(session, MEJORA_KEY), initial, key,
                           "proceso seguimiento_relacionamiento")  # fmt: skip
        existing = started.id
    return {
        "indicador": indicator.key,
        "clave": key,
        "proceso": existing,
        "enlace": f"/procesos/{existing}",
    }


HANDLERS: dict[str, LoopHandler] = {
    "informe_pqrsd_cifras": informe_cifras,
    "seguimiento_indicadores": seguimiento_indicadores,
}
