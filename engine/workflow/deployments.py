"""Deploying BPMN, DMN and form files: validated as a whole, versioned per key, stored once per version."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, DatabaseNotReady
from engine.modeling.definitions import ProcessBlueprint, SourceFile, analyze
from engine.modeling.forms import FormSchema
from engine.modeling.report import ValidationReport
from engine.runtime.scripting import check_script
from engine.store.tables import Deployment, FormDefinition, ProcessDefinition
from engine.store.uow import UnitOfWork
from engine.workflow.start_timers import sync_start_timers_in

DEPLOYABLE = (".bpmn", ".dmn", ".form", ".bpmn20.xml")


@dataclass
class DeployOutcome:
    report: ValidationReport
    checked_only: bool
    deployment_id: int | None = None
    new_versions: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.report.ok,
            "checked_only": self.checked_only,
            "deployment_id": self.deployment_id,
            "new_versions": self.new_versions,
            "unchanged": self.unchanged,
            "problems": [p.to_dict() for p in self.report.problems],
        }


def read_sources(paths: Sequence[str | Path]) -> list[SourceFile]:
    """Files named on the command line; a directory stands for its deployable files."""
    files: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            files.extend(read_sources(sorted(p for p in path.iterdir() if p.name.endswith(DEPLOYABLE))))
        elif path.is_file():
            files.append(SourceFile(path.name, path.read_bytes()))
        else:
            raise BadInput(f"No existe el archivo '{raw}'.")
    return files


def deploy(
    ctx: Context, files: Sequence[SourceFile], *, check_only: bool = False, actor: str | None = None
) -> DeployOutcome:
    if not files:
        raise BadInput("No hay archivos para desplegar (.bpmn, .dmn o .form).")
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        try:
            known_forms = {
                form_id: FormSchema.from_dict(schema)
                for form_id, schema in session.execute(
                    _latest(FormDefinition, FormDefinition.form_id, FormDefinition.schema)
                )
            }
            known_processes = set(session.scalars(select(ProcessDefinition.key).distinct()))
        except DatabaseNotReady:
            if not check_only:
                raise
            known_forms, known_processes = {}, set()  # validating files needs no database
        analysis = analyze(
            files, known_forms=known_forms, known_processes=known_processes, check_script=check_script
        )
        outcome = DeployOutcome(analysis.report, check_only)
        if check_only or not analysis.report.ok:
            return outcome
        now = ctx.clock.now()
        deployment = Deployment(created_at=now, created_by=actor, files=[f.name for f in files], summary={})
        session.add(deployment)
        session.flush()
        outcome.deployment_id = deployment.id
        for form in analysis.forms:
            version = _next_version(
                session,
                outcome,
                FormDefinition,
                FormDefinition.form_id,
                form.form_id,
                form.content_hash,
                {"kind": "form", "key": form.form_id, "file": form.file},
            )
            if version is not None:
                session.add(
                    FormDefinition(
                        deployment_id=deployment.id,
                        form_id=form.form_id,
                        version=version,
                        file=form.file,
                        content_hash=form.content_hash,
                        schema=json.loads(form.schema_json),
                        deployed_at=now,
                    )
                )
        for process in analysis.processes:
            spec_json, digest = _link_called_processes(session, process)
            version = _next_version(
                session,
                outcome,
                ProcessDefinition,
                ProcessDefinition.key,
                process.key,
                digest,
                {"kind": "process", "key": process.key, "file": process.file},
            )
            if version is not None:
                session.add(
                    ProcessDefinition(
                        deployment_id=deployment.id,
                        key=process.key,
                        version=version,
                        name=process.name or process.key,
                        file=process.file,
                        content_hash=digest,
                        spec_json=spec_json,
                        sources=[
                            {"name": f.name, "content": f.content.decode("utf-8", "replace")}
                            for f in process.sources
                        ],
                        documentation=process.documentation,
                        properties=dict(process.properties),
                        form_refs=sorted(process.form_refs),
                        deployed_at=now,
                    )
                )
        deployment.summary = {"new": outcome.new_versions, "unchanged": outcome.unchanged}
        session.flush()
        sync_start_timers_in(ctx, session)  # timer start events of the new versions wait as rows at once
        uow.commit()
    return outcome


def _next_version(
    session: Session,
    outcome: DeployOutcome,
    table: Any,
    key_column: Any,
    key: str,
    digest: str,
    entry: dict[str, Any],
) -> int | None:
    """The version to store, or None when the latest stored version has the same content."""
    latest = session.execute(
        select(table.version, table.content_hash)
        .where(key_column == key)
        .order_by(table.version.desc())
        .limit(1)
    ).one_or_none()
    if latest is not None and latest.content_hash == digest:
        outcome.unchanged.append({**entry, "version": latest.version})
        return None
    version = (latest.version if latest else 0) + 1
    outcome.new_versions.append({**entry, "version": version})
    return int(version)


def _link_called_processes(session: Session, process: ProcessBlueprint) -> tuple[str, str]:
    """Add the latest deployed version of every called process that was not in this deployment.

    The call is bound at deploy time (Camunda's calledElementBinding="deployment"): redeploying the
    called process does not change running callers; redeploying the caller picks the new version.
    """
    spec = json.loads(process.spec_json)
    missing = sorted(k for k in process.called_processes if k not in spec["subprocess_specs"])
    if not missing:
        return process.spec_json, process.content_hash
    digests = [process.content_hash]
    for key in missing:
        row = session.execute(
            select(ProcessDefinition.spec_json, ProcessDefinition.content_hash)
            .where(ProcessDefinition.key == key)
            .order_by(ProcessDefinition.version.desc())
            .limit(1)
        ).one()
        called = json.loads(row.spec_json)
        spec["subprocess_specs"][key] = called["spec"]
        for name, sub in called["subprocess_specs"].items():
            spec["subprocess_specs"].setdefault(name, sub)
        digests.append(row.content_hash)
    return json.dumps(spec), hashlib.sha256("|".join(digests).encode()).hexdigest()


def _latest(table: Any, key_col: Any, value_col: Any) -> Any:
    top = select(key_col.label("k"), func.max(table.version).label("v")).group_by(key_col).subquery()
    return select(key_col, value_col).join(top, (top.c.k == key_col) & (top.c.v == table.version))
