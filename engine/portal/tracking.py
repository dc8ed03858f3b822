"""Tracking a PQRSD by radicado and código de consulta, and the case as its petitioner sees it: the estado in
plain Spanish, the dates, the legal events and the answer with its documents. Nothing else of the case is
read out: not the petitioner's data (reserved or not), nor staff notes, tasks or history.

A wrong code and an unknown radicado take the same path (one lookup, one constant-time comparison, one
counted failure) and end in the same message, so the portal cannot tell anyone which radicados exist.
"""

from __future__ import annotations

import hmac
from datetime import datetime
from typing import Any, TypedDict
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import NotFound
from engine.legal.explanation import fecha_larga
from engine.legal.terms import TermUnit, amount_text
from engine.portal import limits
from engine.portal.files import PORTAL_ACTOR
from engine.pqrsd.acuse import CHANNEL_LABELS, fecha_hora
from engine.pqrsd.files import FileStore
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.pqrsd.surveys import ANSWERED_STATUSES
from engine.store import cases as case_store
from engine.store import portal as portal_store
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork

NOT_FOUND = (
    "No encontramos una PQRSD con ese radicado y ese código de consulta. Revise los dos datos en su acuse "
    "de recibo y vuelva a intentarlo."
)
_NO_CODE = "-" * 10  # compared against when there is no case, so both paths cost the same
# The tasks whose files are the answer; shown once the answer was sent.
ANSWER_TASKS = ("Task_ProyectarRespuesta", "Task_AprobarRespuesta", "Task_Autogestion", "Task_PuntoAtencion",
                "Task_Publicar")  # fmt: skip
ESTADOS = {  # estado → (title, what it means for the petitioner)
    "radicada": ("Recibida", "Su solicitud quedó radicada y la entidad la está revisando."),
    "en_tramite": ("En trámite", "La dependencia responsable está preparando la respuesta."),
    "en_requerimiento": ("Esperando información suya",
                         "La entidad le pidió completar su solicitud. Mientras usted responde, el plazo de "
                         "respuesta está suspendido."),
    "prorrogada": ("En trámite, con plazo ampliado",
                   "La entidad amplió el plazo para responder (prórroga) y le informó el motivo."),
    "respondida": ("Respondida", "La entidad ya envió la respuesta a su solicitud."),
    "cerrada": ("Cerrada", "Su solicitud fue respondida y el caso está cerrado."),
    "trasladada": ("Trasladada a otra entidad",
                   "La entidad no es la competente: envió su solicitud a la que sí lo es, que le responderá."),
    "desistida_expresa": ("Retirada", "Usted desistió de su solicitud y el caso se archivó."),
    "desistida_tacita": ("Archivada por falta de información",
                         "No se recibió a tiempo la información que la entidad le pidió (art. 17 de la "
                         "Ley 1755 de 2015). Puede presentar la solicitud de nuevo con la información completa."),
    "archivada_art19": ("Archivada",
                        "No fue posible entender la solicitud y no se aclaró a tiempo (art. 19 de la Ley 1755 "
                        "de 2015). Puede presentarla de nuevo."),
    "rechazada_irrespetuosa": ("Rechazada", "La solicitud se rechazó por irrespetuosa (art. 19)."),
    "anulada": ("Anulada", "La entidad anuló este radicado (por ejemplo, por estar duplicado)."),
}  # fmt: skip


class CitizenEvent(TypedDict):
    at: str  # ISO, for ordering
    fecha: str  # as people read it
    titulo: str
    detalle: list[str]


class CitizenFile(TypedDict):
    sha256: str
    name: str
    size: int
    origen: str  # usted | respuesta


class CitizenCase(TypedDict):
    radicado: str
    tipo: str
    asunto: str | None
    canal: str
    recibida: str
    estado: str
    estado_titulo: str
    estado_texto: str
    vence_el: str | None  # fecha larga; None while suspended or closed
    prorrogada: bool
    requerimiento: dict[str, str | None] | None  # faltantes, plazo: what the entity asked and until when
    eventos: list[CitizenEvent]
    respuesta: dict[str, Any] | None  # fecha, medio, radicado_salida, texto
    documentos: list[CitizenFile]
    anonima: bool
    identidad_reservada: bool
    puede_complementar: bool
    puede_desistir: bool
    puede_encuestar: bool
    encuesta: dict[str, Any] | None  # calificacion, fecha


def normalized_code(code: str) -> str:
    return "".join(c for c in code.upper() if c.isalnum())[:20]


def lookup(ctx: Context, radicado: str, code: str, *, source: str) -> str:
    """The radicado when the code is its código de consulta; NotFound(NOT_FOUND), counted, otherwise."""
    wanted = radicado.strip().upper()[:40]
    given = normalized_code(code)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        limits.refuse_if_over(ctx, session, source, limits.FAILED_LOOKUP)
        case = case_store.case_by_radicado(session, wanted) if wanted else None
        expected = case.codigo_consulta if case is not None and case.codigo_consulta else _NO_CODE
        same = hmac.compare_digest(given.encode(), expected.encode())
        if case is None or not same:
            limits.count(ctx, session, source, limits.FAILED_LOOKUP)
            uow.commit()
            raise NotFound(NOT_FOUND)
        return case.radicado


def citizen_case(ctx: Context, radicado: str) -> CitizenCase:
    """The case as its petitioner sees it (the caller proved the code: `lookup`, or the session that did)."""
    tz = ZoneInfo(ctx.settings.timezone)
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        case = _case(session, radicado)
        survey = portal_store.survey_of_case(session, case.id)
        answered = case.respuesta is not None
        files = _files(session, case, answered)
        text = (
            portal_store.latest_answer_text(session, case.instance_id, ANSWER_TASKS)
            if answered and case.instance_id is not None
            else None
        )
        title, meaning = ESTADOS.get(case.status, (case.status.replace("_", " ").capitalize(), ""))
        pending = next((s for s in case.suspensions if not s.get("compliance_at")), None)
        return CitizenCase(
            radicado=case.radicado, tipo=str(case.term.get("label") or case.kind), asunto=case.subject,
            canal=CHANNEL_LABELS.get(case.channel, case.channel), recibida=fecha_hora(case.received_at.isoformat(), tz),
            estado=case.status, estado_titulo=title, estado_texto=meaning,
            vence_el=_day(case.due_at, tz) if case.due_at and case.status not in CLOSED_STATUSES else None,
            prorrogada=case.prorroga is not None,
            requerimiento={"faltantes": str(pending.get("faltantes") or ""), "plazo": _day(pending.get("plazo_ciudadano"), tz)}
            if pending else None,
            eventos=_events(case, tz, survey.answered_at if survey else None),
            respuesta=_answer(case, tz, text) if answered else None,
            documentos=files, anonima=case.anonymous, identidad_reservada=case.identity_reserved,
            puede_complementar=case.status == "en_requerimiento" and pending is not None,
            puede_desistir=case.status not in CLOSED_STATUSES,
            puede_encuestar=answered and case.status in ANSWERED_STATUSES and survey is None,
            encuesta={"calificacion": survey.rating, "fecha": fecha_hora(survey.answered_at.isoformat(), tz)}
            if survey else None,
        )  # fmt: skip


def download(ctx: Context, radicado: str, sha256: str) -> tuple[str, str, bytes]:
    """(name, media type, bytes) of a file the petitioner may see on their case; NotFound for any other."""
    with UnitOfWork(ctx.db, write=False) as uow:
        case = _case(uow.session, radicado)
        rows = portal_store.citizen_attachments(
            uow.session, case.id, uploader=PORTAL_ACTOR, answer_tasks=ANSWER_TASKS
        )
        found = next(
            (row for row, task in rows if row.sha256 == sha256 and _shown(case, task)),
            None,
        )
        if found is None:
            raise NotFound("Su PQRSD no tiene ese documento.")
        name, media_type = found.name, found.media_type
    return name, media_type, FileStore.from_settings(ctx.settings).open(sha256)


def _case(session: Session, radicado: str) -> PqrsdCase:
    case = case_store.case_by_radicado(session, radicado)
    if case is None:
        raise NotFound(NOT_FOUND)
    return case


def _shown(case: PqrsdCase, task_bpmn_id: str | None) -> bool:
    """The petitioner's own files always; the answer's, once it was sent."""
    return task_bpmn_id not in ANSWER_TASKS or case.respuesta is not None


def _files(session: Session, case: PqrsdCase, answered: bool) -> list[CitizenFile]:
    rows = portal_store.citizen_attachments(
        session, case.id, uploader=PORTAL_ACTOR, answer_tasks=ANSWER_TASKS
    )
    return [
        CitizenFile(sha256=row.sha256, name=row.name, size=row.size,
                    origen="respuesta" if task in ANSWER_TASKS else "usted")
        for row, task in rows
        if _shown(case, task)
    ]  # fmt: skip


def _day(value: datetime | str | None, tz: ZoneInfo) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return fecha_larga(moment.astimezone(tz).date())


def _term_text(term: dict[str, Any]) -> str | None:
    try:
        amount, unit = int(term["amount"]), TermUnit(term["unit"])
    except (KeyError, TypeError, ValueError):
        return None
    return amount_text(amount, unit)


def _answer(case: PqrsdCase, tz: ZoneInfo, text: str | None) -> dict[str, Any]:
    sent = case.respuesta or {}
    return {
        "fecha": fecha_hora(str(sent.get("enviada_at")), tz) if sent.get("enviada_at") else None,
        "medio": sent.get("medio"),
        "radicado_salida": sent.get("radicado_salida"),
        "texto": text,
    }


def _events(case: PqrsdCase, tz: ZoneInfo, surveyed: datetime | None) -> list[CitizenEvent]:
    """The legal events of the case, from the case itself (never from the staff's history)."""
    out: list[CitizenEvent] = []

    def add(at: datetime | str | None, titulo: str, *detalle: str | None) -> None:
        if at is None:
            return
        moment = datetime.fromisoformat(at) if isinstance(at, str) else at
        lines = [d for d in detalle if d]
        out.append(CitizenEvent(at=moment.isoformat(), fecha=fecha_hora(moment.isoformat(), tz), titulo=titulo,
                                detalle=lines))  # fmt: skip

    original = fecha_larga(case.original_due_at.astimezone(tz).date())
    amount = _term_text(case.term)
    add(case.received_at, "Radicada", f"Radicado {case.radicado}.",
        f"Plazo para responder: {amount}, hasta el {original}." if amount else f"Vence el {original}.")  # fmt: skip
    for s in case.suspensions:
        add(s.get("requerimiento_at"), "La entidad le pidió completar su solicitud",
            f"Lo que falta: {s.get('faltantes')}" if s.get("faltantes") else None,
            f"Tiene plazo hasta el {_day(s.get('plazo_ciudadano'), tz)} para entregarlo." if s.get("plazo_ciudadano") else None,
            "Mientras tanto, el plazo de respuesta está suspendido.")  # fmt: skip
        add(s.get("compliance_at"), "Usted completó su solicitud",
            "El plazo de respuesta volvió a correr; los días en que estuvo suspendido no se cuentan.")  # fmt: skip
    if case.prorroga:
        p = case.prorroga
        add(p.get("notificada_at"), "La entidad amplió el plazo de respuesta (prórroga)",
            f"Motivo: {p.get('motivo')}" if p.get("motivo") else None,
            f"Nueva fecha de respuesta: {_day(p.get('nuevo_vencimiento'), tz)}.")  # fmt: skip
    if case.traslado:
        t = case.traslado
        add(t.get("fecha"), f"Trasladada a {t.get('entidad_destino')}",
            "Esa entidad es la competente y le responderá directamente (art. 21 de la Ley 1755 de 2015).",
            f"Oficio de traslado: {t.get('oficio_radicado')}." if t.get("oficio_radicado") else None)  # fmt: skip
    if case.respuesta:
        r = case.respuesta
        add(r.get("enviada_at"), "La entidad respondió", f"Enviada por {r.get('medio')}." if r.get("medio") else None,
            f"Radicado de la respuesta: {r.get('radicado_salida')}." if r.get("radicado_salida") else None)  # fmt: skip
    if surveyed is not None:
        add(surveyed, "Usted respondió la encuesta de satisfacción")
    if case.status in CLOSED_STATUSES and case.status not in {"respondida", "trasladada"}:
        title, meaning = ESTADOS.get(case.status, (case.status, ""))
        acto = (case.outcome or {}).get("acto")
        add(case.closed_at, title, meaning, f"Acto administrativo: {acto}." if acto else None)
    return sorted(out, key=lambda e: e["at"])
