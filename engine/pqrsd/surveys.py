"""The satisfaction survey of an answered PQRSD (table `pqrsd_surveys`): once per case, answered by the citizen
in the portal or registered by staff in the task «Registrar la encuesta de satisfacción»; the report reads it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Conflict, ValidationFailed
from engine.store import portal as portal_store
from engine.store.audit import audit
from engine.store.legal_tables import PqrsdCase

RATINGS = {
    5: "Muy satisfecho",
    4: "Satisfecho",
    3: "Ni satisfecho ni insatisfecho",
    2: "Insatisfecho",
    1: "Muy insatisfecho",
}
ANSWERED_STATUSES = frozenset({"respondida", "cerrada"})


def rating_of(value: Any) -> int:
    """1–5 from a form's text or number; ValidationFailed otherwise."""
    text = str(value).strip() if isinstance(value, str | int) and not isinstance(value, bool) else ""
    if text not in {str(r) for r in RATINGS}:
        message = "Elija qué tan satisfecho está, de 1 (muy insatisfecho) a 5 (muy satisfecho)."
        raise ValidationFailed(message, {"satisfaccion": message})
    return int(text)


def has_survey(session: Session, case: PqrsdCase) -> bool:
    return portal_store.survey_of_case(session, case.id) is not None


def record_survey(
    ctx: Context,
    session: Session,
    case: PqrsdCase,
    *,
    source: str,
    rating: int,
    answers: Mapping[str, Any],
    actor: str | None,
) -> None:
    """Write the case's survey in the caller's transaction; a second one is refused."""
    if case.respuesta is None or case.status not in ANSWERED_STATUSES:
        raise Conflict(f"La PQRSD {case.radicado} aún no tiene respuesta: la encuesta se responde después.")
    if has_survey(session, case):
        raise Conflict(f"La encuesta de la PQRSD {case.radicado} ya se respondió; se responde una sola vez.")
    portal_store.add_survey(
        session, case_id=case.id, at=ctx.clock.now(), source=source, rating=rating, answers=answers
    )
    where = "en el portal" if source == "portal" else "por un funcionario"
    audit(session, ctx, instance_id=case.instance_id, action="pqrsd_encuesta", actor=actor,
          summary=f"Encuesta de satisfacción registrada {where}: {RATINGS[rating].lower()} ({rating}/5)",
          after={"radicado": case.radicado, "calificacion": rating, "fuente": source})  # fmt: skip
