"""Decision versions and process versions looked up by key and Camunda binding (latest, version, versionTag),
and the decision rows a deployment writes."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Table, bindparam, insert, select
from sqlalchemy.orm import Session

from engine.store.decision_tables import DecisionDefinition
from engine.store.tables import ProcessDefinition

_DD = cast(Table, DecisionDefinition.__table__)
_PD = cast(Table, ProcessDefinition.__table__)
_DECISION_KEYS = select(_DD.c.key).distinct()
_LATEST_DECISION = (
    select(_DD.c.version, _DD.c.content_hash)
    .where(_DD.c.key == bindparam("key"))
    .order_by(_DD.c.version.desc())
    .limit(1)
)
_INSERT_DECISION = insert(_DD)


class Found(NamedTuple):
    id: int
    version: int


def decision_keys(session: Session) -> set[str]:
    return set(session.connection().execute(_DECISION_KEYS).scalars())


def latest_decision_version(session: Session, key: str) -> tuple[int, str] | None:
    row = session.connection().execute(_LATEST_DECISION, {"key": key}).one_or_none()
    return (row.version, row.content_hash) if row is not None else None


def insert_decision(
    session: Session,
    deployment_id: int,
    *,
    key: str,
    version: int,
    name: str | None,
    file: str,
    version_tag: str | None,
    content_hash: str,
    models: Mapping[str, Any],
    now: datetime,
) -> None:
    params = {
        "deployment_id": deployment_id,
        "key": key,
        "version": version,
        "name": name,
        "file": file,
        "version_tag": version_tag,
        "content_hash": content_hash,
        "models": dict(models),
        "deployed_at": now,
    }
    session.connection().execute(_INSERT_DECISION, params)


def find_decision(
    session: Session, key: str, binding: str, version: int | None, version_tag: str | None
) -> dict[str, Any] | None:
    """The models of the decision version the binding names (latest when binding is latest)."""
    query = select(_DD.c.models).where(_DD.c.key == key)
    if binding == "version":
        query = query.where(_DD.c.version == version)
    elif binding == "versionTag":
        query = query.where(_DD.c.version_tag == version_tag)
    models = session.connection().execute(query.order_by(_DD.c.version.desc()).limit(1)).scalar()
    return dict(models) if models is not None else None


def find_process(session: Session, key: str, binding: str, version: int | None) -> Found | None:
    """The process definition the binding names: latest, or a numbered version."""
    query = select(_PD.c.id, _PD.c.version).where(_PD.c.key == key)
    if binding == "version":
        query = query.where(_PD.c.version == version)
    row = session.connection().execute(query.order_by(_PD.c.version.desc()).limit(1)).one_or_none()
    return Found(row.id, row.version) if row is not None else None
