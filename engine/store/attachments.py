"""Attachment rows of PQRSD cases: adding them and listing them with the task each came in on."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.store.legal_tables import CaseAttachment
from engine.store.tables import Task


def add_attachments(session: Session, rows: Iterable[Mapping[str, Any]]) -> list[CaseAttachment]:
    """The new rows, flushed: a content already on the case fails here on the unique (case_id, sha256)."""
    added = [CaseAttachment(**row) for row in rows]
    session.add_all(added)
    session.flush()
    return added


def attachments_of_case(session: Session, case_id: int) -> list[tuple[CaseAttachment, str | None]]:
    """The case's attachments in upload order, each with the name of its task (None: not on a task)."""
    rows = session.execute(
        select(CaseAttachment, Task.name)
        .outerjoin(Task, Task.id == CaseAttachment.task_id)
        .where(CaseAttachment.case_id == case_id)
        .order_by(CaseAttachment.id)
    )
    return [(attachment, task_name) for attachment, task_name in rows]


def attachment_of_case(session: Session, case_id: int, sha256: str) -> CaseAttachment | None:
    return session.scalar(
        select(CaseAttachment).where(CaseAttachment.case_id == case_id, CaseAttachment.sha256 == sha256)
    )


def names_on_case(session: Session, case_id: int, sha256s: Collection[str]) -> dict[str, str]:
    """Of these contents, those already on the case: sha256 → the name it was attached under."""
    rows = session.execute(
        select(CaseAttachment.sha256, CaseAttachment.name).where(
            CaseAttachment.case_id == case_id, CaseAttachment.sha256.in_(list(sha256s))
        )
    )
    return {sha256: name for sha256, name in rows}
