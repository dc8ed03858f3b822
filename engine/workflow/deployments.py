"""Deploying BPMN, DMN and form files: validated as a whole, versioned per key, stored once per version."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, DatabaseNotReady
from engine.modeling.definitions import FormBlueprint, ProcessBlueprint, SourceFile, analyze
from engine.modeling.form_schema import FormSchema
from engine.modeling.report import ValidationReport
from engine.runtime.scripting import check_script
from engine.store import bindings as bindings_store
from engine.store import definitions as store
from engine.store.uow import UnitOfWork
from engine.workflow.decision_versions import store_decisions
from engine.workflow.deploy_groups import check_groups
from engine.workflow.start_timers import sync_start_timers_in

DEPLOYABLE = (".bpmn", ".dmn", ".form", ".bpmn20.xml")


@dataclass
class DeployOutcome:
    report: ValidationReport
    checked_only: bool
    deployment_id: int | None = None
    new_versions: list[dict[str, Any]] = field(default_factory=list)
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    created_groups: list[str] = field(default_factory=list)  # dependencias created for the models (init)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.report.ok,
            "checked_only": self.checked_only,
            "deployment_id": self.deployment_id,
            "new_versions": self.new_versions,
            "unchanged": self.unchanged,
            "created_groups": self.created_groups,
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
    ctx: Context,
    files: Sequence[SourceFile],
    *,
    check_only: bool = False,
    actor: str | None = None,
    create_groups: bool = False,
    source: str = "CLI",
    name: str | None = None,
) -> DeployOutcome:
    """`create_groups` creates the dependencias the models name and lack (init); otherwise they are warned."""
    if not files:
        raise BadInput("No hay archivos para desplegar (.bpmn, .dmn o .form).")
    with UnitOfWork(ctx.db) as uow:
        session, database = uow.session, True
        known_decisions: set[str] = set()
        try:
            known_forms = {
                form_id: FormSchema.from_dict(schema)
                for form_id, schema in store.latest_form_schemas(session).items()
            }
            known_processes = store.process_keys(session)
            known_decisions = bindings_store.decision_keys(session)
        except DatabaseNotReady:
            if not check_only:
                raise
            known_forms, known_processes, database = {}, set(), False  # validating files needs no database
        analysis = analyze(
            files,
            known_forms=known_forms,
            known_processes=known_processes,
            known_decisions=known_decisions,
            check_script=check_script,
            handlers={*ctx.services.handlers, *ctx.services.call_handlers},
        )
        outcome = DeployOutcome(analysis.report, check_only)
        if database and analysis.report.ok:
            outcome.created_groups = check_groups(ctx, session, analysis.processes, analysis.report,
                                                  create=create_groups and not check_only, actor=actor)  # fmt: skip
        if check_only or not analysis.report.ok:
            return outcome
        now = ctx.clock.now()
        outcome.deployment_id = store.insert_deployment(session, [f.name for f in files], actor, now)
        store.insert_sources(session, outcome.deployment_id, [(f.name, _text(f)) for f in files])
        for form in analysis.forms:
            _store_form(session, outcome, outcome.deployment_id, form, now)
        _store_processes(session, outcome, outcome.deployment_id, analysis.processes, now)
        store_decisions(session, outcome, outcome.deployment_id, analysis.decisions, now)
        # Audited with where it came from (deployment-source: Camunda Modeler, web, CLI) and its name.
        summary = {
            "new": outcome.new_versions,
            "unchanged": outcome.unchanged,
            "source": source,
            "name": name,
        }
        store.set_deployment_summary(session, outcome.deployment_id, summary)
        sync_start_timers_in(ctx, session)  # timer start events of the new versions wait as rows at once
        uow.commit()
    return outcome


def _store_form(
    session: Session, outcome: DeployOutcome, deployment_id: int, form: FormBlueprint, now: datetime
) -> None:
    entry = {"kind": "form", "key": form.form_id, "file": form.file}
    latest = store.latest_form_version(session, form.form_id)
    version = _next_version(outcome, latest, form.content_hash, entry, form.legacy_hash)
    if version is None:
        return
    store.insert_form_definition(
        session,
        deployment_id,
        form_id=form.form_id,
        version=version,
        file=form.file,
        content_hash=form.content_hash,
        schema=json.loads(form.schema_json),
        now=now,
    )


def _text(source: SourceFile) -> str:
    return source.content.decode("utf-8", "replace")


def _store_processes(
    session: Session,
    outcome: DeployOutcome,
    deployment_id: int,
    processes: Sequence[ProcessBlueprint],
    now: datetime,
) -> None:
    latest = store.latest_process_versions(session, [p.key for p in processes])
    rows = []
    for process in processes:
        spec_json, digest, legacy = _link_called_processes(session, process)
        entry = {"kind": "process", "key": process.key, "file": process.file}
        version = _next_version(outcome, latest.get(process.key), digest, entry, legacy)
        if version is None:
            continue
        rows.append(
            store.process_definition_row(
                deployment_id,
                key=process.key,
                version=version,
                name=process.name or process.key,
                file=process.file,
                content_hash=digest,
                spec_json=spec_json,
                source_files=[
                    process.file,
                    *sorted(f.name for f in process.sources if f.name != process.file),
                ],
                documentation=process.documentation,
                properties=process.properties,
                form_refs=sorted(process.form_refs),
                now=now,
            )
        )
    store.insert_process_definitions(session, rows)


def _next_version(
    outcome: DeployOutcome,
    latest: store.StoredVersion | None,
    digest: str,
    entry: dict[str, Any],
    legacy: str | None = None,
) -> int | None:
    """The version to store, or None when the latest stored version has the same content (versions by
    content; a version stored before 0017 carries the byte hash, which still counts as the same)."""
    if latest is not None and latest.content_hash in (digest, legacy):
        outcome.unchanged.append({**entry, "version": latest.version})
        return None
    version = (latest.version if latest else 0) + 1
    outcome.new_versions.append({**entry, "version": version})
    return version


def _link_called_processes(session: Session, process: ProcessBlueprint) -> tuple[str, str, str | None]:
    """The spec as analysed: a called process outside this deployment is not copied into it any more.

    Camunda binds a call when it runs (calledElementBinding latest, version; deployment = this same
    deployment's copy): engine/runtime/call_activity.py looks the version up then.
    """
    return process.spec_json, process.content_hash, process.legacy_hash
