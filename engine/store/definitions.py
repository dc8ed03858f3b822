"""Deployed definitions as the use cases look them up: the latest version of a key, a spec, a form schema."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import Table, bindparam, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.store.tables import FormDefinition, ProcessDefinition

_D = cast(Table, ProcessDefinition.__table__)
_SPEC_JSON = select(_D.c.spec_json).where(_D.c.id == bindparam("did"))


def latest_definition(session: Session, key: str) -> ProcessDefinition:
    row = session.scalar(
        select(ProcessDefinition)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )
    if row is None:
        raise NotFound(f"No hay un proceso desplegado con la clave '{key}'.")
    return row


def spec_json(session: Session, definition_id: int) -> str:
    return session.connection().execute(_SPEC_JSON, {"did": definition_id}).scalar() or ""


def latest_name(session: Session, key: str) -> str | None:
    return session.scalar(
        select(ProcessDefinition.name)
        .where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc())
        .limit(1)
    )


def form_schema(session: Session, form_id: str, version: int | None = None) -> dict[str, Any] | None:
    """The schema of a deployed Camunda Form: the given version, or the latest one."""
    query = select(FormDefinition.schema).where(FormDefinition.form_id == form_id)
    if version is not None:
        query = query.where(FormDefinition.version == version)
    return session.scalar(query.order_by(FormDefinition.version.desc()).limit(1))
