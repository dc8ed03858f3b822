"""What a petitioner does on their case from the portal, each in one transaction: complete the petition after
a requerimiento (the waiting `pqrsd` process receives the message «pqrsd_completada» and its clock resumes),
withdraw it (desistimiento expreso, art. 18), and answer the satisfaction survey once the answer was sent."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, NoReturn

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Conflict, NotFound, ValidationFailed
from engine.portal.files import PORTAL_ACTOR, store_on_case
from engine.portal.tracking import NOT_FOUND
from engine.pqrsd import actions, attachments, surveys
from engine.pqrsd.case_actions import COMPLETED_MESSAGE
from engine.store import cases as case_store
from engine.store.audit import audit
from engine.store.instances import waiting_for_message
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import ProcessInstance
from engine.store.uow import UnitOfWork
from engine.workflow.instances import cancel_in, correlate_in

SURVEY_MESSAGE = "pqrsd_encuesta_respondida"  # Task_Encuesta's boundary event in bpmn/pqrsd.bpmn
MAX_TEXT = 5000
DESISTIMIENTO = "Desistimiento expreso del peticionario por el portal (art. 18 de la Ley 1755 de 2015)"
SOLUCION = {"si": "Sí", "parcial": "En parte", "no": "No"}


def complete_requerimiento(
    ctx: Context, radicado: str, text: str, files: Sequence[tuple[str, bytes]]
) -> list[str]:
    """Deliver what the entity asked for; the term runs again, the suspended business days discounted."""
    note = text.strip()
    if len(note) > MAX_TEXT:
        _refuse("complemento", f"Escriba hasta {MAX_TEXT} caracteres; tiene {len(note)}.")
    if not note and not files:
        _refuse("complemento", "Escriba la información que le pidieron o anexe los documentos.")
    uploads = attachments.check_files(ctx, files)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        case = _case(session, radicado)
        if case.status != "en_requerimiento" or all(s.get("compliance_at") for s in case.suspensions):
            raise Conflict("Su solicitud no está esperando información: no hay un requerimiento pendiente.")
        names = store_on_case(ctx, session, case, uploads, purpose="caso", why="para completar su solicitud")
        audit(session, ctx, instance_id=case.instance_id, action="pqrsd_complemento", actor=PORTAL_ACTOR,
              summary=f"El peticionario completó su solicitud por el portal: {note[:300] or '(solo anexos)'}",
              after={"radicado": case.radicado, "complemento": note, "anexos": names})  # fmt: skip
        if _waits_for(session, case, COMPLETED_MESSAGE):
            data = {"complemento": note, "anexos": ", ".join(names) or note}
            correlate_in(ctx, session, COMPLETED_MESSAGE, business_key=case.radicado, instance_id=None,
                         data=data, actor=PORTAL_ACTOR)  # fmt: skip
        elif _process_runs(session, case):
            raise Conflict(
                "No pudimos registrar su respuesta en este momento: el trámite de su solicitud no la está "
                "esperando. Comuníquese con la entidad e indique su radicado."
            )
        else:  # a case without a running process takes the act directly
            actions.reanudar(ctx, session, case, at=ctx.clock.now(), actor=PORTAL_ACTOR)
        uow.commit()
    return names


def desistir(ctx: Context, radicado: str, motivo: str) -> None:
    """Withdraw the petition: the case ends as desistida_expresa and its process stops."""
    reason = motivo.strip()
    if len(reason) > MAX_TEXT:
        _refuse("motivo", f"Escriba hasta {MAX_TEXT} caracteres; tiene {len(reason)}.")
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        case = _case(session, radicado)
        actions.desistir(ctx, session, case, tacito=False, acto=None, motivo=reason or None,
                         at=ctx.clock.now(), actor=PORTAL_ACTOR)  # fmt: skip
        if _process_runs(session, case):
            assert case.instance_id is not None
            cancel_in(ctx, session, case.instance_id, reason=DESISTIMIENTO, actor=PORTAL_ACTOR)
        uow.commit()


def answer_survey(ctx: Context, radicado: str, raw: Mapping[str, Any]) -> None:
    """The survey, once; if the process waits on it (Task_Encuesta), the process goes on to close the case."""
    rating = surveys.rating_of(raw.get("satisfaccion"))
    answers = _survey_answers(raw)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        case = _case(session, radicado)
        surveys.record_survey(ctx, session, case, source="portal", rating=rating, answers=answers,
                              actor=PORTAL_ACTOR)  # fmt: skip
        if _waits_for(session, case, SURVEY_MESSAGE):
            correlate_in(ctx, session, SURVEY_MESSAGE, business_key=case.radicado, instance_id=None,
                         data={"satisfaccion": str(rating)}, actor=PORTAL_ACTOR)  # fmt: skip
        uow.commit()


def _survey_answers(raw: Mapping[str, Any]) -> dict[str, Any]:
    answers: dict[str, Any] = {}
    for key in ("claridad", "tiempo"):
        value = str(raw.get(key) or "").strip()
        if value:
            if value not in {"1", "2", "3", "4", "5"}:
                _refuse(key, "Elija una calificación de 1 a 5.")
            answers[key] = int(value)
    solucion = str(raw.get("solucion") or "").strip()
    if solucion:
        if solucion not in SOLUCION:
            _refuse("solucion", "Elija sí, en parte o no.")
        answers["solucion"] = solucion
    comments = str(raw.get("comentarios") or "").strip()
    if len(comments) > MAX_TEXT:
        _refuse("comentarios", f"Escriba hasta {MAX_TEXT} caracteres; tiene {len(comments)}.")
    if comments:
        answers["comentarios"] = comments
    return answers


def _case(session: Session, radicado: str) -> PqrsdCase:
    case = case_store.case_for_update(session, radicado)
    if case is None:
        raise NotFound(NOT_FOUND)
    return case


def _waits_for(session: Session, case: PqrsdCase, message: str) -> bool:
    if case.instance_id is None:
        return False
    return bool(
        waiting_for_message(session, message, business_key=None, instance_id=case.instance_id, limit=1)
    )


def _process_runs(session: Session, case: PqrsdCase) -> bool:
    if case.instance_id is None:
        return False
    found = session.get(ProcessInstance, case.instance_id)
    return found is not None and found.status not in ("completed", "cancelled")


def _refuse(field: str, message: str) -> NoReturn:
    raise ValidationFailed(message, {field: message})
