"""What Camunda Modeler 5's Deploy and Start instance buttons ask of a Camunda 7 engine, in Camunda's shapes.

The Modeler (client/src/plugins/camunda-plugin/shared/CamundaAPI.js) checks the connection with
GET /deployment?maxResults=0, reads GET /version, deploys with POST /deployment/create and starts with
POST /process-definition/{id}/start. Definition ids are Camunda-like, `key:version:row`, so a Modeler that
saved one after a deploy starts exactly that version.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from engine.context import Context
from engine.errors import BadInput, NotFound
from engine.identity.users import UserView
from engine.modeling.definitions import SourceFile
from engine.modeling.report import ValidationReport
from engine.store.tables import Deployment, ProcessDefinition
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, start_forms

CAMUNDA_VERSION = "7.20.0"  # the Camunda 7 REST API this subset follows
DEPLOYERS = ("analista", "admin")
PARSE_ERROR = "ENGINE-09005 Could not parse BPMN process."  # the prefix the Modeler recognises


@dataclass(frozen=True)
class Limits:
    file_bytes: int = 5 * 1024 * 1024
    files: int = 20


class DeployRefused(BadInput):
    """The files did not pass the deploy check; `report` says what, where."""

    def __init__(self, report: ValidationReport) -> None:
        super().__init__("El despliegue no pasó la validación.")
        self.report = report


def definition_id(row: ProcessDefinition) -> str:
    return f"{row.key}:{row.version}:{row.id}"


def _row_id(camunda_id: str) -> int:
    last = camunda_id.rsplit(":", 1)[-1]
    if not last.isdigit() or len(last) > 18:
        raise NotFound(f"No existe la definición de proceso '{camunda_id[:200]}'.")
    return int(last)


def _time(moment: datetime | None) -> str | None:
    # Camunda's date format: 2026-03-02T08:00:00.000+0000
    return (
        None
        if moment is None
        else moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"
    )


def _definition(row: ProcessDefinition, start: bool = True) -> dict[str, Any]:
    return {
        "id": definition_id(row),
        "key": row.key,
        "category": "http://bpmn.io/schema/bpmn",
        "description": row.documentation,
        "name": row.name,
        "version": row.version,
        "resource": row.file,
        "deploymentId": str(row.deployment_id),
        "diagram": None,
        "suspended": False,
        "tenantId": None,
        "versionTag": (row.properties or {}).get("versionTag"),
        "historyTimeToLive": None,
        "startableInTasklist": start,
    }


def _deployment(row: Deployment) -> dict[str, Any]:
    summary = row.summary or {}
    return {
        "id": str(row.id),
        "name": summary.get("name"),
        "source": summary.get("source"),
        "deploymentTime": _time(row.created_at),
        "tenantId": None,
        "links": [],
    }


def list_deployments(ctx: Context, first: int = 0, maximum: int | None = None) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(Deployment).order_by(Deployment.id.desc()).offset(first)
        if maximum is not None:
            query = query.limit(maximum)
        return [_deployment(row) for row in uow.session.scalars(query)] if maximum != 0 else []


def list_definitions(
    ctx: Context, *, key: str | None = None, latest: bool = False, first: int = 0, maximum: int | None = None
) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(ProcessDefinition)
        if key is not None:
            query = query.where(ProcessDefinition.key == key)
        if latest:
            top = (
                select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v"))
                .group_by(ProcessDefinition.key)
                .subquery()
            )
            query = query.join(
                top, (top.c.key == ProcessDefinition.key) & (top.c.v == ProcessDefinition.version)
            )
        query = query.order_by(ProcessDefinition.key, ProcessDefinition.version).offset(first)
        if maximum is not None:
            query = query.limit(maximum)
        return [_definition(row) for row in uow.session.scalars(query)]


def definition_by_key(ctx: Context, key: str) -> dict[str, Any]:
    found = list_definitions(ctx, key=key, latest=True)
    if not found:
        raise NotFound(f"No hay un proceso desplegado con la clave '{key[:200]}'.")
    return found[0]


def definition(ctx: Context, camunda_id: str) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.get(ProcessDefinition, _row_id(camunda_id))
        if row is None or definition_id(row) != camunda_id:
            raise NotFound(f"No existe la definición de proceso '{camunda_id[:200]}'.")
        return _definition(row)


def deploy(
    ctx: Context,
    files: Sequence[SourceFile],
    fields: Mapping[str, str],
    user: UserView,
    limits: Limits = Limits(),
) -> dict[str, Any]:
    """POST /deployment/create. Versions follow content (engine/modeling/canonical.py): an identical redeploy
    makes no version whatever enable-duplicate-filtering says, and deploy-changed-only is what always happens."""
    if fields.get("tenant-id"):
        raise BadInput("Este motor no tiene inquilinos (tenant-id): deje vacío «Tenant ID» en el Modeler.")
    if not files:
        raise BadInput("El despliegue no trae archivos (.bpmn, .dmn o .form).")
    if len(files) > limits.files:
        raise BadInput(f"El despliegue trae {len(files)} archivos; el máximo es {limits.files}.")
    for file in files:
        if len(file.content) > limits.file_bytes:
            size = math.ceil(limits.file_bytes / 1024 / 1024)
            raise BadInput(f"El archivo '{file.name[:200]}' pasa de {size} MB.")
    name = (fields.get("deployment-name") or "").strip()[:200] or None
    source = (fields.get("deployment-source") or "").strip()[:100] or "REST"
    outcome = deployments.deploy(ctx, files, actor=user.username, source=source, name=name)
    if not outcome.report.ok:
        raise DeployRefused(outcome.report)
    keys = {
        (v["key"], v["version"])
        for v in [*outcome.new_versions, *outcome.unchanged]
        if v["kind"] == "process"
    }
    with UnitOfWork(ctx.db, write=False) as uow:
        deployment = uow.session.get(Deployment, outcome.deployment_id)
        assert deployment is not None
        rows = [
            row
            for key, version in sorted(keys)
            if (row := uow.session.scalar(
                select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
            )) is not None
        ]  # fmt: skip
        body = _deployment(deployment)
        # Unchanged versions are listed too: the Modeler starts the first definition it is given.
        body["deployedProcessDefinitions"] = {definition_id(row): _definition(row) for row in rows} or None
    body["deployedCaseDefinitions"] = None
    body["deployedDecisionDefinitions"] = None
    body["deployedDecisionRequirementsDefinitions"] = None
    return body


def parse_error(report: ValidationReport) -> dict[str, Any]:
    """Camunda's ParseException body: the Modeler shows `message`; `details` lists problems per file."""
    lines = [f"* {p.file}{f' | {p.element_id}' if p.element_id else ''} | {p.message}" for p in report.errors]
    details: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for problem in report.problems:
        entry = details.setdefault(problem.file, {"errors": [], "warnings": []})
        entry["errors" if problem.severity == "error" else "warnings"].append(
            {
                "message": problem.message,
                "line": 0,
                "column": 0,
                "mainElementId": problem.element_id,
                "elementIds": [problem.element_id] if problem.element_id else [],
            }
        )
    return {
        "type": "ParseException",
        "message": f"{PARSE_ERROR} Errores:\n" + "\n".join(lines),
        "details": details,
    }


def typed_variables(variables: Any) -> dict[str, Any]:
    """Camunda's {"name": {"value": …, "type": "String"}} into plain values."""
    if variables is None:
        return {}
    if not isinstance(variables, dict):
        raise BadInput("'variables' debe ser un objeto {nombre: {value, type}}.")
    plain: dict[str, Any] = {}
    for name, typed in variables.items():
        if not isinstance(typed, dict):
            raise BadInput(f"La variable '{name}' debe ser un objeto con 'value' y 'type'.")
        plain[name] = _typed_value(str(name), typed.get("value"), str(typed.get("type") or "").lower())
    return plain


def _typed_value(name: str, value: Any, kind: str) -> Any:
    try:
        if value is None or kind == "null":
            return None
        if kind in ("integer", "long", "short"):
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            return int(value)
        if kind == "double":
            return float(value)
        if kind == "boolean":
            if isinstance(value, str) and value.lower() in ("true", "false"):
                return value.lower() == "true"
            if not isinstance(value, bool):
                raise ValueError
            return value
        if kind == "json":
            return json.loads(value) if isinstance(value, str) else value
        if kind in ("string", "date", ""):
            return value if isinstance(value, str) or kind == "" else str(value)
    except (TypeError, ValueError):
        raise BadInput(f"La variable '{name}' no es de tipo {kind.capitalize()}.") from None
    raise BadInput(f"La variable '{name}' tiene un tipo que este motor no admite: '{kind}'.")


def start(
    ctx: Context, user: UserView, payload: Any, *, camunda_id: str | None = None, key: str | None = None
) -> dict[str, Any]:
    """POST /process-definition/{id}/start and /process-definition/key/{key}/start."""
    if payload is not None and not isinstance(payload, dict):
        raise BadInput("El cuerpo debe ser un objeto JSON.")
    payload = payload or {}
    data = typed_variables(payload.get("variables"))
    business_key = payload.get("businessKey")
    if business_key is not None and not isinstance(business_key, str):
        raise BadInput("'businessKey' debe ser un texto.")
    wanted = definition(ctx, camunda_id) if camunda_id is not None else definition_by_key(ctx, key or "")
    latest = definition_by_key(ctx, wanted["key"])
    if latest["id"] == wanted["id"]:  # through the start form, like every start by hand
        started = start_forms.start_from_form(ctx, wanted["key"], user, data, business_key or None)
    else:
        started = _start_version(ctx, _row_id(wanted["id"]), data, business_key or None, user.username)
    return {
        "links": [],
        "id": str(started.id),
        "definitionId": wanted["id"],
        "businessKey": started.business_key,
        "caseInstanceId": None,
        "ended": started.status == "completed",
        "suspended": False,
        "tenantId": None,
    }


def _start_version(
    ctx: Context, row_id: int, data: dict[str, Any], business_key: str | None, actor: str
) -> instances.StartedInstance:
    # An older version, named by its id: Camunda starts exactly that one.
    with UnitOfWork(ctx.db, write=False) as uow:
        row = uow.session.get(ProcessDefinition, row_id)
        key = row.key if row is not None else ""
    instances.check_start_allowed(ctx, key, business_key)
    initial = instances.check_data(data, ctx.settings.data_limits)
    with UnitOfWork(ctx.db) as uow:
        row = uow.session.get(ProcessDefinition, row_id)
        if row is None:
            raise NotFound("La definición de proceso ya no existe.")
        started = instances.start_in(ctx, uow.session, row, initial, business_key, actor)
        uow.commit()
    return started
