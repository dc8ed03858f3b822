"""Legal actions on a PQRSD case (Ley 1755 de 2015): requerimiento, reanudación, prórroga, traslado, desistimiento,
archivo, respuesta and cierre. Each checks the law's conditions, then changes the case, its legal clock and its
audit in the caller's transaction; a refusal says why and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import PhvaError
from engine.legal.calendar import LegalInputError
from engine.legal.deadlines import Suspension, due_date
from engine.legal.explanation import DueDate, fecha_larga
from engine.legal.prorroga import prorroga
from engine.legal.suspension import citizen_deadline, requerimiento_deadline
from engine.legal.traslado import traslado
from engine.pqrsd import clock
from engine.pqrsd import legal_data as legal
from engine.pqrsd.filing import VERBAL_CHANNELS
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store import cases as case_store
from engine.store.audit import audit
from engine.store.legal_tables import PqrsdCase
from engine.workflow import ladder_arming


class ActionRefused(PhvaError):
    """The law (or the case's state) does not allow this action now; `message` says why."""

    exit_code = 1
    http_status = 409


def _refuse(case: PqrsdCase, why: str) -> ActionRefused:
    return ActionRefused(f"PQRSD {case.radicado}: {why}")


def _snapshot(ctx: Context, case: PqrsdCase, at: datetime) -> legal.LegalSnapshot:
    years = range(min(case.received_at.year, at.year) - 1, max(case.received_at.year, at.year) + 3)
    return legal.snapshot(ctx, years)


def _suspensions(case: PqrsdCase) -> list[Suspension]:
    return [
        Suspension(
            datetime.fromisoformat(s["requerimiento_at"]),
            datetime.fromisoformat(s["compliance_at"]) if s.get("compliance_at") else None,
        )
        for s in case.suspensions
    ]


def _open(case: PqrsdCase) -> None:
    if case.status in CLOSED_STATUSES:
        raise _refuse(case, f"está cerrada ({case.status.replace('_', ' ')}); ya no admite acciones.")


def _set_due(ctx: Context, snapshot: legal.LegalSnapshot, case: PqrsdCase, due: DueDate, status: str) -> None:
    case.due_at, case.explanation, case.status = due.utc, due.to_dict(), status
    clock.set_thresholds(ctx, snapshot.calendar, case)


def _record(ctx: Context, session: Session, case: PqrsdCase, action: str, summary: str, actor: str | None,
            after: Mapping[str, Any]) -> None:  # fmt: skip
    case.updated_at = ctx.clock.now()
    audit(session, ctx, instance_id=case.instance_id, action=action, actor=actor, summary=summary,
          after={"radicado": case.radicado, "estado": case.status, **after})  # fmt: skip


# ---- the clock: trámite, requerimiento (art. 17), reanudación, prórroga (art. 14 par.) -------------------
def tramitar(ctx: Context, session: Session, case: PqrsdCase, *, actor: str | None) -> dict[str, Any]:
    """Classified and in the hands of the entity: its term runs (radicada → en trámite)."""
    _open(case)
    if case.status == "radicada":
        case.status = "en_tramite"
        _record(ctx, session, case, "pqrsd_en_tramite", "La PQRSD quedó clasificada y en trámite", actor, {})
    return {"estado": case.status}


def requerir(
    ctx: Context, session: Session, case: PqrsdCase, *, at: datetime, faltantes: str, actor: str | None
) -> dict[str, Any]:
    """Ask the petitioner to complete the petition: the clock stops until they answer (or their month ends)."""
    _open(case)
    if any(not s.get("compliance_at") for s in case.suspensions):
        raise _refuse(case, "ya tiene un requerimiento sin respuesta del peticionario.")
    if not faltantes.strip():
        raise _refuse(case, "el requerimiento debe decir qué información o documentos faltan (art. 17).")
    snapshot = _snapshot(ctx, case, at)
    limit = requerimiento_deadline(snapshot.calendar, snapshot.terms, case.received_at)
    day = at.astimezone(snapshot.calendar.tz).date()
    if day > limit.day:
        raise _refuse(
            case,
            f"el requerimiento debía hacerse a más tardar el {fecha_larga(limit.day)} (10 días, art. 17).",
        )
    citizen = citizen_deadline(snapshot.calendar, snapshot.terms, at)
    entry = {
        "requerimiento_at": at.isoformat(),
        "faltantes": faltantes.strip(),
        "plazo_ciudadano": citizen.iso(),
    }
    case.suspensions = [*case.suspensions, entry]
    case.due_at, case.status = None, "en_requerimiento"
    clock.set_thresholds(ctx, snapshot.calendar, case)
    _record(ctx, session, case, "pqrsd_requerimiento",
            f"Requirió al peticionario (art. 17): el término se suspende; su plazo vence el {fecha_larga(citizen.day)}",
            actor, {"plazo_ciudadano": citizen.iso(), "faltantes": faltantes.strip()})  # fmt: skip
    return {"estado": case.status, "fecha_requerimiento": at.isoformat(), "plazo_ciudadano": citizen.iso()}


def reanudar(
    ctx: Context, session: Session, case: PqrsdCase, *, at: datetime, actor: str | None
) -> dict[str, Any]:
    """The petitioner completed the petition: the clock runs again, counting the days already used."""
    _open(case)
    pending = [s for s in case.suspensions if not s.get("compliance_at")]
    if not pending:
        raise _refuse(case, "no tiene un requerimiento pendiente: su término no está suspendido.")
    case.suspensions = [
        {**s, "compliance_at": at.isoformat()} if s is pending[-1] else s for s in case.suspensions
    ]
    snapshot = _snapshot(ctx, case, at)
    due = due_date(
        snapshot.calendar, snapshot.terms, case.kind, case.received_at, suspensions=_suspensions(case)
    )
    _set_due(ctx, snapshot, case, due, "en_tramite")
    _record(ctx, session, case, "pqrsd_reanudada",
            f"El peticionario completó la petición: el término se reanuda y vence el {fecha_larga(due.day)}",
            actor, {"due_at": due.iso()})  # fmt: skip
    return {"estado": case.status, "fecha_complemento": at.isoformat(), "fecha_vencimiento": due.iso()}


def prorrogar(
    ctx: Context,
    session: Session,
    case: PqrsdCase,
    *,
    notice_at: datetime,
    motivo: str,
    nueva_fecha: date | None,
    actor: str | None,
) -> dict[str, Any]:
    """Extend the term once, notified before it runs out, to at most twice the term (art. 14 par.)."""
    snapshot, due = _extended(ctx, case, notice_at=notice_at, motivo=motivo, nueva_fecha=nueva_fecha)
    old_due = case.due_at
    case.prorroga = {"notificada_at": notice_at.isoformat(), "motivo": motivo.strip(), "nuevo_vencimiento": due.iso(),
                     "vencimiento_original": due.facts["original_due"], "maximo": due.facts["max_due"]}  # fmt: skip
    _set_due(ctx, snapshot, case, due, "prorrogada")
    _record(ctx, session, case, "pqrsd_prorrogada",
            f"Prorrogó el término hasta el {fecha_larga(due.day)} (art. 14 par.): {motivo.strip()}", actor,
            {"due_at": due.iso()})  # fmt: skip
    if case.instance_id is not None and old_due is not None:
        _follow_the_term(session, case.instance_id, old_due, due.utc)
    return {"estado": case.status, "fecha_vencimiento": due.iso(), "prorroga_usada": True}


def _follow_the_term(session: Session, instance_id: int, old_due: datetime, new_due: datetime) -> None:
    """The case's open tasks due with its term move to the new date, and their ladder steps are measured again."""
    if case_store.move_ready_tasks_due(session, instance_id, old_due, new_due):
        ladder_arming.reschedule(session, instance_id)


def prorroga_refusal(
    ctx: Context, case: PqrsdCase, *, at: datetime, nueva_fecha: date | None, motivo: str = "(validación)"
) -> str | None:
    """Why a prórroga asked now would be refused (None: it is granted once the notice goes out)."""
    try:
        _extended(ctx, case, notice_at=at, motivo=motivo, nueva_fecha=nueva_fecha)
    except ActionRefused as error:
        return error.message.split(": ", 1)[-1]
    return None


def _extended(
    ctx: Context, case: PqrsdCase, *, notice_at: datetime, motivo: str, nueva_fecha: date | None
) -> tuple[legal.LegalSnapshot, DueDate]:
    """The extended due date, or why the law refuses it; changes nothing."""
    _open(case)
    if case.prorroga is not None:
        raise _refuse(
            case,
            "la prórroga procede una sola vez (art. 14 par.); ya se prorrogó hasta el "
            f"{fecha_larga(date.fromisoformat(str(case.prorroga['nuevo_vencimiento'])[:10]))}.",
        )
    if case.due_at is None:
        raise _refuse(
            case, "su término está suspendido por un requerimiento (art. 17); no se puede prorrogar."
        )
    snapshot = _snapshot(ctx, case, notice_at)
    try:
        due = prorroga(snapshot.calendar, snapshot.terms, case.kind, case.received_at, notice_sent_at=notice_at,
                       reason=motivo, new_due=nueva_fecha, suspensions=_suspensions(case))  # fmt: skip
    except LegalInputError as error:
        raise _refuse(case, error.message[:1].lower() + error.message[1:]) from error
    return snapshot, due


# ---- how a case ends ------------------------------------------------------------------------------------
def trasladar(
    ctx: Context, session: Session, case: PqrsdCase, *, entidad: str, oficio: str | None, at: datetime,
    actor: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Remit to the competent authority with a copy to the petitioner (art. 21): the case ends as trasladada."""
    _open(case)
    if not entidad.strip():
        raise _refuse(case, "indique la entidad competente a la que se traslada (art. 21).")
    snapshot = _snapshot(ctx, case, at)
    limit = traslado(
        snapshot.calendar, snapshot.terms, case.received_at, verbal=case.channel in VERBAL_CHANNELS
    )
    on_time = at.astimezone(snapshot.calendar.tz).date() <= limit.day
    case.traslado = {"entidad_destino": entidad.strip(), "oficio_radicado": (oficio or "").strip() or None,
                     "fecha": at.isoformat(), "limite": limit.iso(), "dentro_de_termino": on_time}  # fmt: skip
    _close(case, "trasladada", at)
    late = "" if on_time else f" — fuera del término de traslado, que vencía el {fecha_larga(limit.day)}"
    _record(ctx, session, case, "pqrsd_trasladada", f"Trasladó la PQRSD a {entidad.strip()} (art. 21){late}",
            actor, {"traslado": case.traslado})  # fmt: skip
    return {"estado": case.status, "traslado_dentro_de_termino": on_time}


def desistir(
    ctx: Context, session: Session, case: PqrsdCase, *, tacito: bool, acto: str | None, motivo: str | None,
    at: datetime, actor: str | None,
) -> dict[str, Any]:  # fmt: skip
    """Desistimiento: tácito (art. 17, the petitioner's month ran out) or expreso (art. 18, they withdrew)."""
    _open(case)
    if tacito and not any(not s.get("compliance_at") for s in case.suspensions):
        raise _refuse(
            case, "el desistimiento tácito solo procede tras un requerimiento sin respuesta (art. 17)."
        )
    status = "desistida_tacita" if tacito else "desistida_expresa"
    case.outcome = {
        "acto": (acto or "").strip() or None,
        "motivo": (motivo or "").strip() or None,
        "por": actor,
    }
    _close(case, status, at)
    basis = "tácito (art. 17)" if tacito else "expreso (art. 18)"
    _record(ctx, session, case, f"pqrsd_{status}", f"Desistimiento {basis}", actor, {"outcome": case.outcome})
    return {"estado": case.status}


def archivar(
    ctx: Context, session: Session, case: PqrsdCase, *, motivo: str, at: datetime, actor: str | None
) -> dict[str, Any]:
    """Archive an unclear petition not clarified in time (art. 19); the reason is recorded."""
    _open(case)
    if not motivo.strip():
        raise _refuse(case, "el archivo debe ser motivado (art. 19).")
    case.outcome = {"motivo": motivo.strip(), "por": actor}
    _close(case, "archivada_art19", at)
    _record(ctx, session, case, "pqrsd_archivada", f"Archivó la PQRSD (art. 19): {motivo.strip()}", actor,
            {"outcome": case.outcome})  # fmt: skip
    return {"estado": case.status}


def responder(
    ctx: Context, session: Session, case: PqrsdCase, *, enviada_at: datetime, medio: str,
    radicado_salida: str | None, actor: str | None,
) -> dict[str, Any]:  # fmt: skip
    """The answer was sent: when, by what medium and under which outgoing radicado."""
    _open(case)
    if not medio.strip():
        raise _refuse(case, "indique el medio por el que se envió la respuesta.")
    on_time = case.due_at is not None and enviada_at <= case.due_at
    case.respuesta = {"enviada_at": enviada_at.isoformat(), "medio": medio.strip(),
                      "radicado_salida": (radicado_salida or "").strip() or None, "oportuna": on_time}  # fmt: skip
    _close(case, "respondida", enviada_at, final=False)
    _record(ctx, session, case, "pqrsd_respondida",
            f"Respondió por {medio.strip()}{'' if on_time else ' (fuera de término)'}", actor,
            {"respuesta": case.respuesta})  # fmt: skip
    return {"estado": case.status, "respuesta_oportuna": on_time}


def cerrar(
    ctx: Context, session: Session, case: PqrsdCase, *, at: datetime, actor: str | None
) -> dict[str, Any]:
    """Close an answered case (after the satisfaction survey, or its time ran out)."""
    if case.status != "respondida":
        raise _refuse(case, f"solo se cierra una PQRSD respondida; está {case.status.replace('_', ' ')}.")
    _close(case, "cerrada", at)
    _record(ctx, session, case, "pqrsd_cerrada", "Cerró la PQRSD", actor, {})
    return {"estado": case.status}


def anular(
    ctx: Context, session: Session, case: PqrsdCase, *, motivo: str, at: datetime, actor: str | None
) -> None:
    """Cancel a case by an administrator's decision (a filing in error, a duplicate), with the reason."""
    _open(case)
    case.outcome = {"motivo": motivo.strip(), "por": actor, "anulada": True}
    _close(case, "anulada", at)
    _record(
        ctx,
        session,
        case,
        "pqrsd_anulada",
        f"Anuló la PQRSD: {motivo.strip()}",
        actor,
        {"outcome": case.outcome},
    )


def _close(case: PqrsdCase, status: str, at: datetime, *, final: bool = True) -> None:
    case.status = status
    case.amarillo_at = case.alerta_at = None  # no clock runs on a case that ended
    if final:
        case.closed_at = at


def local_date(ctx: Context, value: datetime) -> date:
    return value.astimezone(ZoneInfo(ctx.settings.timezone)).date()
