"""The analysts' model pages: deployed versions with their instance counts, a version's files and diagram,
the diff between two versions, and an upload checked (and deployed, or its model tests run) before anything
is written. Read models are SELECTs over indexed tables; nothing here deserializes a workflow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Forbidden, NotFound
from engine.identity.users import UserView
from engine.modeling.definitions import SourceFile
from engine.modeling.model_diff import diff_models
from engine.store import definitions as store
from engine.store.tables import Deployment, ProcessDefinition, ProcessInstance
from engine.store.uow import UnitOfWork
from engine.workflow import deployments
from engine.workflow.views import iso

ANALYSTS = ("analista", "admin")
MAX_FILES, MAX_FILE_BYTES = 20, 5 * 1024 * 1024


def check_analyst(user: UserView) -> None:
    if not user.has_role(*ANALYSTS):
        raise Forbidden("Solo un analista o un administrador trabaja con los modelos.")


def list_models(ctx: Context) -> list[dict[str, Any]]:
    """Every process key with its versions (newest first): who deployed each and when, instances by state."""
    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        versions = s.execute(
            select(ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.version,
                   ProcessDefinition.name, ProcessDefinition.file, ProcessDefinition.deployed_at,
                   Deployment.created_by)
            .join(Deployment, Deployment.id == ProcessDefinition.deployment_id)
            .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        ).all()  # fmt: skip
        counts = s.execute(
            select(ProcessInstance.definition_id, ProcessInstance.status, func.count()).group_by(
                ProcessInstance.definition_id, ProcessInstance.status
            )
        ).all()
    by_version: dict[int, dict[str, int]] = {}
    for definition_id, status, count in counts:
        by_version.setdefault(definition_id, {})[status] = count
    models: dict[str, dict[str, Any]] = {}
    for v in versions:
        model = models.setdefault(v.key, {"key": v.key, "name": v.name, "versions": []})
        states = by_version.get(v.id, {})
        model["versions"].append({
            "version": v.version, "name": v.name, "file": v.file, "deployed_at": iso(v.deployed_at),
            "deployed_by": v.created_by, "running": states.get("running", 0) + states.get("incident", 0),
            "finished": states.get("completed", 0) + states.get("cancelled", 0),
        })  # fmt: skip
    return list(models.values())


def _version_row(session: Session, key: str, version: int) -> ProcessDefinition:
    row = session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )
    if row is None:
        raise NotFound(f"No existe la versión {version} del proceso '{key}'.")
    return row


def model_version(ctx: Context, key: str, version: int) -> dict[str, Any]:
    """A version with its diagram's XML and the exact files it was deployed from."""
    with UnitOfWork(ctx.db, write=False) as uow:
        row = _version_row(uow.session, key, version)
        files = store.definition_sources(uow.session, row.id)
        others = list(uow.session.scalars(
            select(ProcessDefinition.version).where(ProcessDefinition.key == key).order_by(ProcessDefinition.version)
        ))  # fmt: skip
        xml = next((f["content"] for f in files if f["name"] == row.file), None)
        return {"key": key, "version": version, "name": row.name, "file": row.file,
                "deployed_at": iso(row.deployed_at), "files": [f["name"] for f in files], "xml": xml,
                "versions": others}  # fmt: skip


def version_file(ctx: Context, key: str, version: int, name: str) -> bytes:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = _version_row(uow.session, key, version)
        for found in store.definition_sources(uow.session, row.id):
            if found["name"] == name:
                return str(found["content"]).encode("utf-8")
    raise NotFound(f"La versión {version} de '{key}' no se desplegó con un archivo «{name}».")


def version_diff(ctx: Context, key: str, old: int, new: int) -> dict[str, Any]:
    """Elements added, removed and changed from version `old` to `new`, and both diagrams to mark them on."""
    before, after = model_version(ctx, key, old), model_version(ctx, key, new)
    if before["xml"] is None or after["xml"] is None:
        raise NotFound(f"No se guardó el BPMN de una de las versiones de '{key}'.")
    diff = diff_models(before["xml"].encode("utf-8"), after["xml"].encode("utf-8"))
    return {"key": key, "old": old, "new": new, "name": after["name"], **diff.to_dict(),
            "old_xml": before["xml"], "new_xml": after["xml"]}  # fmt: skip


@dataclass(frozen=True)
class Upload:
    report: dict[str, Any]  # DeployOutcome.to_dict()
    diagrams: list[dict[str, Any]]  # each BPMN file's XML with the ids of its elements that have problems


def check_upload(ctx: Context, user: UserView, files: Sequence[SourceFile], *, deploy: bool) -> Upload:
    """Check the files (and deploy them when asked and they pass): the report per element, and diagrams."""
    check_analyst(user)
    _check_sizes(files)
    outcome = deployments.deploy(ctx, files, check_only=not deploy, actor=user.username)
    report = outcome.to_dict()
    diagrams = []
    for f in files:
        if f.name.lower().endswith((".bpmn", ".bpmn20.xml")):
            problems = [p for p in report["problems"] if p.get("file") == f.name and p.get("element_id")]
            diagrams.append({"file": f.name, "xml": f.content.decode("utf-8", errors="replace"),
                             "problems": sorted({p["element_id"] for p in problems}),
                             "drawable": b"BPMNDiagram" in f.content})  # fmt: skip
    return Upload(report, diagrams)


def _check_sizes(files: Sequence[SourceFile]) -> None:
    if not files:
        raise BadInput("Elija al menos un archivo .bpmn, .dmn o .form.", {"archivos": "Vacío."})
    if len(files) > MAX_FILES:
        raise BadInput(f"Suba hasta {MAX_FILES} archivos a la vez.", {"archivos": f"{len(files)} archivos."})
    for f in files:
        if not f.name.lower().endswith(deployments.DEPLOYABLE):
            raise BadInput(f"«{f.name}» no es un archivo .bpmn, .dmn o .form.", {"archivos": f.name})
        if len(f.content) > MAX_FILE_BYTES:
            raise BadInput(f"«{f.name}» pasa de {MAX_FILE_BYTES // 1024 // 1024} MB.", {"archivos": f.name})
