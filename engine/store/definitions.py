"""Deployed definitions as the use cases look them up (the latest version of a key, a spec, a form schema)
and as a deployment stores them (versions by content hash, deployment, process and form rows)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, NamedTuple, Protocol, cast

from sqlalchemy import JSON, Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.store.prepared import Prepared
from engine.store.tables import Deployment, DeploymentSource, FormDefinition, ProcessDefinition

_D = cast(Table, ProcessDefinition.__table__)
_SPEC_JSON = select(_D.c.spec_json).where(_D.c.id == bindparam("did"))


class DefinitionHead(Protocol):
    """A process version as a start needs it (a `ProcessDefinition` row is one)."""

    @property
    def id(self) -> int: ...

    @property
    def key(self) -> str: ...

    @property
    def version(self) -> int: ...

    @property
    def name(self) -> str: ...

    @property
    def documentation(self) -> str | None: ...


# Built once, as a plain row: the ORM's loading cost more than the query. Without the spec's JSON (the
# largest column, needed only when the spec cache misses: `spec_json`).
_LATEST = Prepared(
    select(*(c for c in _D.c if c.name != "spec_json"))
    .where(_D.c.key == bindparam("key"))
    .order_by(_D.c.version.desc())
    .limit(1)
)


def latest_definition(session: Session, key: str) -> DefinitionHead:
    """The latest version of `key`, every column but `spec_json`."""
    session.flush()  # as session.execute did: a definition added to this session is found
    row = _LATEST.one_or_none(session, {"key": key})
    if row is None:
        raise NotFound(f"No hay un proceso desplegado con la clave '{key}'.")
    return cast(DefinitionHead, row)


def spec_json(session: Session, definition_id: int) -> str:
    return session.connection().execute(_SPEC_JSON, {"did": definition_id}).scalar() or ""


_S = cast(Table, DeploymentSource.__table__)
_SOURCES_OF = (
    select(_D.c.file, _D.c.source_files, _S.c.name, _S.c.content)
    .join(_S, _S.c.deployment_id == _D.c.deployment_id)
    .where(_D.c.id == bindparam("did"))
)


def definition_sources(session: Session, definition_id: int) -> list[dict[str, str]]:
    """The files a process version was deployed from ({name, content}), its own file first."""
    rows = session.connection().execute(_SOURCES_OF, {"did": definition_id}).all()
    if not rows:
        return []
    names = list(rows[0].source_files or [])
    texts = {row.name: row.content for row in rows if row.name in names}
    return [{"name": name, "content": texts[name]} for name in names if name in texts]


def definition_xml(session: Session, definition_id: int) -> str | None:
    """The text of the file that holds the process itself."""
    row = (
        session.connection()
        .execute(
            select(_S.c.content)
            .join(_D, (_S.c.deployment_id == _D.c.deployment_id) & (_S.c.name == _D.c.file))
            .where(_D.c.id == bindparam("did")),
            {"did": definition_id},
        )
        .first()
    )
    return None if row is None else str(row.content)


def version_name_and_xml(session: Session, key: str, version: int) -> tuple[str | None, str] | None:
    """A version's name and the text of its own file, in one statement (None: no such version or file)."""
    row = (
        session.connection()
        .execute(
            select(_D.c.name, _S.c.content)
            .join(_S, (_S.c.deployment_id == _D.c.deployment_id) & (_S.c.name == _D.c.file))
            .where(_D.c.key == key, _D.c.version == version)
        )
        .first()
    )
    return None if row is None else (row.name, str(row.content))


def deployment_files(session: Session, deployment_id: int) -> list[dict[str, str]]:
    """Every file of a deployment exactly as it was stored, by name."""
    rows = session.connection().execute(
        select(_S.c.name, _S.c.content).where(_S.c.deployment_id == deployment_id).order_by(_S.c.name)
    )
    return [{"name": row.name, "content": row.content} for row in rows]


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


# What a deploy reads and writes: the latest version per key, then the new rows.
_F, _DEP = cast(Table, FormDefinition.__table__), cast(Table, Deployment.__table__)
_PROCESS_KEYS = select(_D.c.key).distinct()
_TOP_FORMS = select(_F.c.form_id, func.max(_F.c.version).label("v")).group_by(_F.c.form_id).subquery()
_LATEST_FORM_SCHEMAS = select(_F.c.form_id, _F.c.schema).join(
    _TOP_FORMS, (_TOP_FORMS.c.form_id == _F.c.form_id) & (_TOP_FORMS.c.v == _F.c.version)
)
_LATEST_PROCESS_VERSION = (
    select(_D.c.version, _D.c.content_hash)
    .where(_D.c.key == bindparam("key"))
    .order_by(_D.c.version.desc())
    .limit(1)
)
_LATEST_FORM_VERSION = (
    select(_F.c.version, _F.c.content_hash)
    .where(_F.c.form_id == bindparam("key"))
    .order_by(_F.c.version.desc())
    .limit(1)
)
_INSERT_DEPLOYMENT = insert(_DEP).returning(_DEP.c.id)
_SET_SUMMARY = (
    update(_DEP).where(_DEP.c.id == bindparam("did")).values(summary=bindparam("p_summary", type_=JSON))
)
_INSERT_PROCESS = insert(_D)
_INSERT_FORM = insert(_F)


class StoredVersion(NamedTuple):
    version: int
    content_hash: str


def process_keys(session: Session) -> set[str]:
    return set(session.connection().execute(_PROCESS_KEYS).scalars())


def latest_form_schemas(session: Session) -> dict[str, dict[str, Any]]:
    return {row.form_id: row.schema for row in session.connection().execute(_LATEST_FORM_SCHEMAS)}


def latest_process_version(session: Session, key: str) -> StoredVersion | None:
    row = session.connection().execute(_LATEST_PROCESS_VERSION, {"key": key}).one_or_none()
    return StoredVersion(row.version, row.content_hash) if row is not None else None


def latest_process_versions(session: Session, keys: Sequence[str]) -> dict[str, StoredVersion]:
    """The latest stored version of each key, in a few queries whatever the number of keys."""
    found: dict[str, StoredVersion] = {}
    keys = sorted(set(keys))
    for start in range(0, len(keys), 500):
        chunk = keys[start : start + 500]
        top = (
            select(_D.c.key, func.max(_D.c.version).label("v"))
            .where(_D.c.key.in_(chunk))
            .group_by(_D.c.key)
            .subquery()
        )
        query = select(_D.c.key, _D.c.version, _D.c.content_hash).join(
            top, (top.c.key == _D.c.key) & (top.c.v == _D.c.version)
        )
        for row in session.connection().execute(query):
            found[row.key] = StoredVersion(row.version, row.content_hash)
    return found


def latest_form_version(session: Session, form_id: str) -> StoredVersion | None:
    row = session.connection().execute(_LATEST_FORM_VERSION, {"key": form_id}).one_or_none()
    return StoredVersion(row.version, row.content_hash) if row is not None else None


def insert_deployment(session: Session, files: Sequence[str], actor: str | None, now: datetime) -> int:
    params: dict[str, Any] = {"created_at": now, "created_by": actor, "files": list(files), "summary": {}}
    return int(session.connection().execute(_INSERT_DEPLOYMENT, params).scalar_one())


def set_deployment_summary(session: Session, deployment_id: int, summary: Mapping[str, Any]) -> None:
    session.connection().execute(_SET_SUMMARY, {"did": deployment_id, "p_summary": dict(summary)})


def insert_sources(session: Session, deployment_id: int, files: Sequence[tuple[str, str]]) -> None:
    """Each (name, text) of the deployment once; the processes refer to them by name."""
    rows = [
        {
            "deployment_id": deployment_id,
            "name": name,
            "content": text,
            "content_hash": hashlib.sha256(text.encode()).hexdigest(),
        }
        for name, text in files
    ]
    if rows:
        session.connection().execute(insert(_S), rows)


def insert_process_definitions(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Many versions in one executemany (a file with thousands of processes)."""
    if rows:
        session.connection().execute(_INSERT_PROCESS, [dict(row) for row in rows])


def process_definition_row(
    deployment_id: int,
    *,
    key: str,
    version: int,
    name: str,
    file: str,
    content_hash: str,
    spec_json: str,
    source_files: Sequence[str],
    documentation: str | None,
    properties: Mapping[str, Any],
    form_refs: Sequence[str],
    now: datetime,
) -> dict[str, Any]:
    return {
        "deployment_id": deployment_id,
        "key": key,
        "version": version,
        "name": name,
        "file": file,
        "content_hash": content_hash,
        "spec_json": spec_json,
        "source_files": list(source_files),
        "documentation": documentation,
        "properties": dict(properties),
        "form_refs": list(form_refs),
        "deployed_at": now,
    }


def insert_process_definition(session: Session, deployment_id: int, **fields: Any) -> None:
    insert_process_definitions(session, [process_definition_row(deployment_id, **fields)])


def insert_form_definition(
    session: Session,
    deployment_id: int,
    *,
    form_id: str,
    version: int,
    file: str,
    content_hash: str,
    schema: Mapping[str, Any],
    now: datetime,
) -> None:
    params = {
        "deployment_id": deployment_id,
        "form_id": form_id,
        "version": version,
        "file": file,
        "content_hash": content_hash,
        "schema": dict(schema),
        "deployed_at": now,
    }
    session.connection().execute(_INSERT_FORM, params)
