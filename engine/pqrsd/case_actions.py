"""The legal actions as a person asks for them (CLI `phva pqrsd <acción>`, API `POST /api/v1/pqrsd/{radicado}/<acción>`).

While the case's process runs, the process records its legal acts in its own tasks: asking for one here says
which task does it, except the citizen's answer to a requerimiento, which is delivered to the waiting process.
A case without a running process takes the action directly. One transaction either way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Forbidden, NotFound, ValidationFailed
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.pqrsd import actions
from engine.pqrsd.filing import parse_received
from engine.pqrsd.radicacion import case_dict
from engine.pqrsd.records import CaseRecord
from engine.store import cases as case_store
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from engine.workflow import views
from engine.workflow.incidents import retry_incident
from engine.workflow.instances import cancel_in, correlate_in
from engine.workflow.records import IncidentRecord

COMPLETED_MESSAGE = "pqrsd_completada"  # what the `pqrsd` process waits for after a requerimiento
WHERE = {  # where the running process records each act
    "requerimiento": "la tarea «Verificar competencia, completitud y nivel» (petición incompleta)",
    "prorrogar": "la tarea «Proyectar la respuesta» (solicitar prórroga)",
    "trasladar": "la tarea «Verificar competencia, completitud y nivel» (la entidad no es competente)",
    "desistir": "la tarea «Decretar el desistimiento tácito»",
    "archivar": "la tarea «Verificar competencia, completitud y nivel»",
    "responder": "la tarea «Revisar y aprobar la respuesta»",
}
Handler = Callable[[Context, Session, PqrsdCase, "_Params", str], dict[str, Any]]


class _Params:
    """The action's parameters, each read with a Spanish message when it is wrong."""

    def __init__(self, raw: Mapping[str, Any], ctx: Context) -> None:
        self.raw, self.ctx = raw, ctx
        self.errors: dict[str, str] = {}

    def text(self, name: str, *, required: bool = False) -> str:
        value = self.raw.get(name)
        text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
        if required and not text:
            self.errors[name] = "Es obligatorio."
        return text[:2000]

    def moment(self, name: str) -> datetime:
        value = self.text(name)
        if not value:
            return self.ctx.clock.now()
        found = parse_received(value, ZoneInfo(self.ctx.settings.timezone))
        if found is None:
            self.errors[name] = "Fecha no válida: use dd/mm/aaaa [hh:mm] o AAAA-MM-DD[THH:MM]."
            return self.ctx.clock.now()
        return found

    def day(self, name: str) -> date | None:
        value = self.text(name)
        if not value:
            return None
        found = parse_received(value, ZoneInfo(self.ctx.settings.timezone))
        if found is None:
            self.errors[name] = "Fecha no válida: use dd/mm/aaaa o AAAA-MM-DD."
        return found.date() if found is not None else None

    def flag(self, name: str) -> bool:
        value = self.raw.get(name)
        return value is True or (
            isinstance(value, str) and value.strip().lower() in {"true", "1", "si", "sí", "on"}
        )


def _requerimiento(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    faltantes, at = p.text("faltantes", required=True), p.moment("fecha")
    return _checked(p, lambda: actions.requerir(ctx, s, c, at=at, faltantes=faltantes, actor=actor))


def _reanudar(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    at = p.moment("fecha")
    return _checked(p, lambda: actions.reanudar(ctx, s, c, at=at, actor=actor))


def _prorrogar(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    motivo, nueva, at = p.text("motivo", required=True), p.day("nueva_fecha"), p.moment("fecha_aviso")
    return _checked(p, lambda: actions.prorrogar(ctx, s, c, notice_at=at, motivo=motivo, nueva_fecha=nueva,
                                                 actor=actor))  # fmt: skip


def _trasladar(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    entidad, oficio, at = p.text("entidad", required=True), p.text("oficio"), p.moment("fecha")
    return _checked(p, lambda: actions.trasladar(ctx, s, c, entidad=entidad, oficio=oficio or None, at=at,
                                                 actor=actor))  # fmt: skip


def _desistir(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    tacito, acto, motivo, at = p.flag("tacito"), p.text("acto"), p.text("motivo"), p.moment("fecha")
    return _checked(p, lambda: actions.desistir(ctx, s, c, tacito=tacito, acto=acto or None, motivo=motivo or None,
                                                at=at, actor=actor))  # fmt: skip


def _archivar(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    motivo, at = p.text("motivo", required=True), p.moment("fecha")
    return _checked(p, lambda: actions.archivar(ctx, s, c, motivo=motivo, at=at, actor=actor))


def _responder(ctx: Context, s: Session, c: PqrsdCase, p: _Params, actor: str) -> dict[str, Any]:
    medio, salida, at = p.text("medio", required=True), p.text("radicado_salida"), p.moment("fecha")
    return _checked(p, lambda: actions.responder(ctx, s, c, enviada_at=at, medio=medio, radicado_salida=salida or None,
                                                 actor=actor))  # fmt: skip


ACTIONS: dict[str, Handler] = {
    "requerimiento": _requerimiento,
    "reanudar": _reanudar,
    "prorrogar": _prorrogar,
    "trasladar": _trasladar,
    "desistir": _desistir,
    "archivar": _archivar,
    "responder": _responder,
}


def _checked(params: _Params, run: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    if params.errors:
        raise ValidationFailed("Revise los datos de la acción: no se registró nada.", params.errors)
    return run()


def act(ctx: Context, radicado: str, action: str, raw: Mapping[str, Any], user: UserView | str) -> CaseRecord:
    """Take one legal action on a case, by hand; returns the case as it now is."""
    if action not in ACTIONS:
        raise BadInput(f"Acción desconocida: «{action}». Use {', '.join(ACTIONS)}.")
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        acting = acting_user(session, user)
        case = case_store.case_for_update(session, radicado.strip())
        if case is None:
            raise NotFound(f"No existe el radicado «{radicado}».")
        detail = views.instance_detail(session, case.instance_id) if case.instance_id else None
        started_by = detail["started_by"] if detail else None
        if not access.may_view_case(acting, case.created_by, started_by, detail["tasks"] if detail else []):
            raise Forbidden(f"No tiene acceso a la PQRSD {radicado}.")
        if detail is not None and detail["status"] != "completed":
            if action != "reanudar":
                raise actions.ActionRefused(
                    f"PQRSD {case.radicado}: sigue su trámite en el proceso n.º {detail['id']}; "
                    f"regístrelo en {WHERE[action]}."
                )
            params = _Params(raw, ctx)
            note = params.text("nota")
            correlate_in(ctx, session, COMPLETED_MESSAGE, business_key=case.radicado, instance_id=None,
                         data={"complemento": note} if note else {}, actor=acting.username)  # fmt: skip
        else:
            ACTIONS[action](ctx, session, case, _Params(raw, ctx), acting.username)
        record = case_dict(case, ZoneInfo(ctx.settings.timezone))
        uow.commit()
    return record


# ---- repairs, for administrators: a case whose process stopped on an incident ---------------------------------
def corregir(
    ctx: Context, radicado: str, incident_id: int, corrections: Mapping[str, Any], user: UserView | str
) -> str:
    """Correct the variables behind an incident of the case's process and run the failed step again."""
    instance_id = _admin_case(ctx, radicado, user)
    if not isinstance(corrections, Mapping) or not corrections:
        raise BadInput('Escriba las variables que corrige, como un objeto JSON: {"variable": valor}.')
    incident = next((i for i in _incidents(ctx, instance_id) if i["id"] == incident_id), None)
    if incident is None:
        raise NotFound(f"El incidente {incident_id} no es de la PQRSD {radicado}.")
    return retry_incident(ctx, incident_id, actor=_name(user), corrections=corrections)


def anular(ctx: Context, radicado: str, motivo: str, user: UserView | str) -> CaseRecord:
    """Cancel the case and its process, with the reason (an administrator's decision, audited)."""
    _admin_case(ctx, radicado, user)
    if not motivo.strip():
        raise ValidationFailed("Indique el motivo de la anulación.", {"motivo": "Es obligatorio."})
    with UnitOfWork(ctx.db) as uow:
        case = case_store.case_for_update(uow.session, radicado.strip())
        assert case is not None
        actions.anular(ctx, uow.session, case, motivo=motivo, at=ctx.clock.now(), actor=_name(user))
        if case.instance_id is not None:
            detail = views.instance_detail(uow.session, case.instance_id)
            if detail is not None and detail["status"] not in ("completed", "cancelled"):
                cancel_in(ctx, uow.session, case.instance_id, reason=motivo, actor=_name(user))
        record = case_dict(case, ZoneInfo(ctx.settings.timezone))
        uow.commit()
    return record


def _admin_case(ctx: Context, radicado: str, user: UserView | str) -> int | None:
    """The case's instance id, for an administrator."""
    with UnitOfWork(ctx.db, write=False) as uow:
        acting = acting_user(uow.session, user)
        if not acting.is_admin:
            raise Forbidden("Solo un administrador corrige incidentes o anula una PQRSD.")
        case = case_store.case_by_radicado(uow.session, radicado.strip())
        if case is None:
            raise NotFound(f"No existe el radicado «{radicado}».")
        return case.instance_id


def _incidents(ctx: Context, instance_id: int | None) -> list[IncidentRecord]:
    if instance_id is None:
        return []
    detail = views.instance(ctx, instance_id)
    return [i for i in detail["incidents"] if i["resolved_at"] is None]


def _name(user: UserView | str) -> str:
    return user.username if isinstance(user, UserView) else user
