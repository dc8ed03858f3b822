"""Rows the citizens' portal reads and writes: its request log (rate limits, used human checks), surveys,
characterizations, and what of a case a citizen may see (their own files, the answer and its documents)."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from engine.store.legal_tables import CaseAttachment
from engine.store.portal_tables import PortalRequest, PqrsdCharacterization, PqrsdSurvey
from engine.store.tables import AuditEvent, Task


# ---- request log --------------------------------------------------------------------------------------
def requests_since(session: Session, source: str, kind: str, since: datetime) -> int:
    query = select(func.count()).where(
        PortalRequest.source == source, PortalRequest.kind == kind, PortalRequest.at >= since
    )
    return int(session.scalar(query) or 0)


def nonce_used(session: Session, nonce: str) -> bool:
    return session.scalar(select(PortalRequest.id).where(PortalRequest.nonce == nonce)) is not None


def record_request(
    session: Session, source: str, kind: str, at: datetime, *, nonce: str | None = None, expired: datetime
) -> None:
    """Count this request, and forget this address's requests older than `expired` (they count no more)."""
    session.execute(delete(PortalRequest).where(PortalRequest.source == source, PortalRequest.at < expired))
    session.add(PortalRequest(source=source, kind=kind, at=at, nonce=nonce))
    session.flush()


# ---- surveys and characterization ---------------------------------------------------------------------
def survey_of_case(session: Session, case_id: int) -> PqrsdSurvey | None:
    return session.scalar(select(PqrsdSurvey).where(PqrsdSurvey.case_id == case_id))


def add_survey(
    session: Session, *, case_id: int, at: datetime, source: str, rating: int, answers: Mapping[str, Any]
) -> PqrsdSurvey:
    """Flushed: a second survey of the case fails here on the unique case_id."""
    row = PqrsdSurvey(case_id=case_id, answered_at=at, source=source, rating=rating, answers=dict(answers))
    session.add(row)
    session.flush()
    return row


def add_characterization(session: Session, **columns: Any) -> None:
    session.add(PqrsdCharacterization(**columns))
    session.flush()


# ---- what the citizen sees of a case ------------------------------------------------------------------
def citizen_attachments(
    session: Session, case_id: int, *, uploader: str, answer_tasks: Collection[str]
) -> list[tuple[CaseAttachment, str | None]]:
    """The files the petitioner gave (at filing, or by the portal) and those of the answer tasks, with
    the BPMN id of the task each came on (None: not on a task)."""
    rows = session.execute(
        select(CaseAttachment, Task.bpmn_id)
        .outerjoin(Task, Task.id == CaseAttachment.task_id)
        .where(
            CaseAttachment.case_id == case_id,
            or_(
                CaseAttachment.purpose == "radicacion",
                CaseAttachment.uploaded_by == uploader,
                Task.bpmn_id.in_(list(answer_tasks)),
            ),
        )
        .order_by(CaseAttachment.id)
    )
    return [(row, bpmn_id) for row, bpmn_id in rows]


def latest_answer_text(session: Session, instance_id: int, answer_tasks: Collection[str]) -> str | None:
    """The `respuesta` last written in one of the answer tasks of the instance (the approved answer)."""
    rows = session.scalars(
        select(AuditEvent.data_after)
        .join(Task, Task.id == AuditEvent.task_id)
        .where(
            AuditEvent.instance_id == instance_id,
            AuditEvent.action == "task_completed",
            Task.bpmn_id.in_(list(answer_tasks)),
        )
        .order_by(AuditEvent.id.desc())
        .limit(20)
    )
    for data in rows:
        if isinstance(data, dict) and isinstance(data.get("respuesta"), str) and data["respuesta"].strip():
            return str(data["respuesta"])
    return None
