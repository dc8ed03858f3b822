"""The service tasks through which the `pqrsd` process keeps its case in step: each calls a case service in the
instance's own transaction (no script edits the case's JSON), and hands the process back the dates it waits on.

Topics (camunda:type="external" camunda:topic="…"): pqrsd_registrar, pqrsd_en_tramite, pqrsd_requerimiento,
pqrsd_reanudar, pqrsd_validar_prorroga, pqrsd_prorrogar, pqrsd_trasladar, pqrsd_desistir, pqrsd_responder,
pqrsd_encuesta, pqrsd_cerrar.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from engine.context import Context
from engine.errors import PhvaError
from engine.legal.suspension import requerimiento_deadline
from engine.legal.traslado import traslado
from engine.pqrsd import actions, surveys
from engine.pqrsd import legal_data as legal
from engine.pqrsd.filing import VERBAL_CHANNELS
from engine.runtime.workflow import ServiceRegistry
from engine.store import cases as case_store
from engine.store.legal_tables import PqrsdCase
from engine.workflow.runs import ServiceCall

URGENT_PRIORITY = 75  # prioridad_num from the classification table: art. 20 cases
CaseHandler = Callable[[ServiceCall, PqrsdCase, Mapping[str, Any]], dict[str, Any]]


class CaseMissing(PhvaError):
    """The instance is keyed by no radicado: the `pqrsd` process runs only for a radicated case."""


def register(registry: ServiceRegistry) -> None:
    for topic, handler in HANDLERS.items():
        registry.register_with_call(topic, _bound(handler))


def _bound(handler: CaseHandler) -> Callable[[Mapping[str, Any], Any], dict[str, Any]]:
    def run(data: Mapping[str, Any], call: Any) -> dict[str, Any]:
        if not isinstance(call, ServiceCall):
            raise CaseMissing(
                "Esta tarea de servicio actúa sobre la PQRSD del proceso: no se puede ejecutar aquí."
            )
        case = case_store.case_by_radicado(call.session, call.instance.business_key or "")
        if case is None:
            raise CaseMissing(
                f"El proceso n.º {call.instance.id} no corresponde a una PQRSD radicada "
                f"(clave de negocio «{call.instance.business_key}»): radíquela con `phva pqrsd radicar`."
            )
        if case.instance_id not in (None, call.instance.id):
            raise CaseMissing(
                f"La PQRSD {case.radicado} la tramita el proceso n.º {case.instance_id}, no el n.º {call.instance.id}."
            )
        case.instance_id = call.instance.id  # radicación links the case only after the process started
        chosen = data.get("dependencia")  # Task_AsignarDependencia's choice: the case's answering dependencia
        if isinstance(chosen, str) and chosen.strip() and case.dependencia != chosen.strip():
            case.dependencia = chosen.strip()
        with call.session.begin_nested():  # a refusal leaves the case as it was; the task becomes an incident
            return handler(call, case, data)

    return run


def _now(call: ServiceCall) -> datetime:
    return call.ctx.clock.now()


def _actor(data: Mapping[str, Any]) -> str | None:
    return "proceso pqrsd" if not data.get("_actor") else str(data["_actor"])


def _clock_data(ctx: Context, case: PqrsdCase) -> dict[str, Any]:
    """The case's legal clock as the model's timers and due dates read it."""
    tz = ZoneInfo(ctx.settings.timezone)
    due = case.due_at.astimezone(tz).isoformat() if case.due_at else None
    alert = case.alerta_at.astimezone(tz).replace(hour=8).isoformat() if case.alerta_at else due
    return {"fecha_vencimiento": due, "alerta_en": alert, "estado": case.status}


def registrar(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    return {"fecha_radicado": case.radicacion_date.isoformat(), **_clock_data(call.ctx, case)}


def en_tramite(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    """Classified: its term runs, with its limits for a traslado (5 days) and a requerimiento (10 days)."""
    actions.tramitar(call.ctx, call.session, case, actor=_actor(data))
    snapshot = legal.snapshot(call.ctx, range(case.received_at.year - 1, case.received_at.year + 3))
    verbal = case.channel in VERBAL_CHANNELS
    out = _clock_data(call.ctx, case)
    if (
        _number(data.get("prioridad_num")) >= URGENT_PRIORITY and out["alerta_en"]
    ):  # art. 20: alert within 3 days
        early = snapshot.calendar.add_business_days(case.radicacion_date, 3).end
        soon = datetime.combine(early, time(8), tzinfo=snapshot.calendar.tz).isoformat()
        out["alerta_en"] = min(out["alerta_en"], soon, key=datetime.fromisoformat)
    return {
        **out,
        "vencimiento_original": out["fecha_vencimiento"],
        "limite_traslado": traslado(snapshot.calendar, snapshot.terms, case.received_at, verbal=verbal).iso(),
        "limite_requerimiento": requerimiento_deadline(
            snapshot.calendar, snapshot.terms, case.received_at
        ).iso(),
        "prorrogada": False,
        "prorroga_usada": False,
        "reingreso": False,
    }


def requerimiento(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    faltantes = str(data.get("informacion_faltante") or data.get("texto_requerimiento") or "")
    return actions.requerir(
        call.ctx, call.session, case, at=_now(call), faltantes=faltantes, actor=_actor(data)
    )


def reanudar(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    out = actions.reanudar(call.ctx, call.session, case, at=_now(call), actor=_actor(data))
    return {**out, **_clock_data(call.ctx, case)}


def validar_prorroga(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    """Whether the prórroga asked in the draft can be granted; it applies once the notice is sent."""
    wanted = _day(data.get("nueva_fecha_respuesta"))
    motivo = str(data.get("motivo_prorroga") or "")
    refusal = actions.prorroga_refusal(call.ctx, case, at=_now(call), nueva_fecha=wanted, motivo=motivo)
    if refusal is None:
        return {"prorroga_valida": True, "prorrogada": True, "observacion_prorroga": None}
    return {"prorroga_valida": False, "prorrogada": False, "solicitar_prorroga": False,
            "observacion_prorroga": refusal[:1].upper() + refusal[1:]}  # fmt: skip


def prorrogar(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    actions.prorrogar(call.ctx, call.session, case, notice_at=_now(call), motivo=str(data.get("motivo_prorroga") or ""),
                      nueva_fecha=_day(data.get("nueva_fecha_respuesta")), actor=_actor(data))  # fmt: skip
    return {**_clock_data(call.ctx, case), "prorroga_usada": True, "prorrogada": False, "reingreso": True}


def trasladar(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    entidad = str(data.get("entidad_destino") or data.get("entidad_competente") or "")
    oficio = data.get("radicado_oficio_traslado")
    return actions.trasladar(call.ctx, call.session, case, entidad=entidad, oficio=str(oficio) if oficio else None,
                             at=_now(call), actor=_actor(data))  # fmt: skip


def desistir(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    acto = data.get("acto_desistimiento")
    return actions.desistir(call.ctx, call.session, case, tacito=True, acto=str(acto) if acto else None, motivo=None,
                            at=_now(call), actor=_actor(data))  # fmt: skip


def responder(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    medio = "publicación web" if case.anonymous else ("correo electrónico" if case.email else "correo físico")
    salida = data.get("radicado_respuesta")
    return actions.responder(call.ctx, call.session, case, enviada_at=_now(call), medio=medio,
                             radicado_salida=str(salida) if salida else None, actor=_actor(data))  # fmt: skip


def encuesta(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    """The survey staff registered in Task_Encuesta; one the citizen answered in the portal is already there."""
    if data.get("satisfaccion") is not None and not surveys.has_survey(call.session, case):
        comments = str(data.get("comentarios_encuesta") or "").strip()
        surveys.record_survey(call.ctx, call.session, case, source="funcionario",
                              rating=surveys.rating_of(data.get("satisfaccion")),
                              answers={"comentarios": comments} if comments else {}, actor=_actor(data))  # fmt: skip
    return {"encuesta_registrada": True}


def cerrar(call: ServiceCall, case: PqrsdCase, data: Mapping[str, Any]) -> dict[str, Any]:
    return actions.cerrar(call.ctx, call.session, case, at=_now(call), actor=_actor(data))


def _number(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _day(value: Any) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


HANDLERS: dict[str, CaseHandler] = {
    "pqrsd_registrar": registrar,
    "pqrsd_en_tramite": en_tramite,
    "pqrsd_requerimiento": requerimiento,
    "pqrsd_reanudar": reanudar,
    "pqrsd_validar_prorroga": validar_prorroga,
    "pqrsd_prorrogar": prorrogar,
    "pqrsd_trasladar": trasladar,
    "pqrsd_desistir": desistir,
    "pqrsd_responder": responder,
    "pqrsd_encuesta": encuesta,
    "pqrsd_cerrar": cerrar,
}
