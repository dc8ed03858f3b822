"""Which processes a user may start, their start forms, and starting one from a filled form."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.modeling.forms import FormSchema, defaults, schema_from_form_data, validate_submission
from engine.modeling.parser import CAMUNDA_NS, NS, form_ref_of, read_form_data
from engine.modeling.xml import parse_xml
from engine.services import instances
from engine.services.context import Context
from engine.services.instances import StartedInstance, latest_definition
from engine.services.users import UserView, get_user
from engine.store.queries import list_definitions
from engine.store.tables import FormDefinition, ProcessDefinition
from engine.store.uow import UnitOfWork

STARTER_ROLES = ("funcionario", "supervisor", "analista", "admin")
_CAMUNDA = f"{{{CAMUNDA_NS}}}"


@dataclass(frozen=True)
class StartInfo:
    """What the process element says about starting it, read once per definition version."""

    form_data: tuple[Mapping[str, Any], ...]
    form_ref: str | None
    starter_users: frozenset[str]
    starter_groups: frozenset[str]


_infos: dict[tuple[str, int], StartInfo] = {}
_lock = threading.Lock()


def _start_info(ctx: Context, definition: ProcessDefinition) -> StartInfo:
    cache_key = (ctx.db.url, definition.id)
    found = _infos.get(cache_key)
    if found is not None:
        return found
    source = next((s["content"] for s in definition.sources if s["name"] == definition.file), None)
    info = StartInfo((), None, frozenset(), frozenset())
    if source is not None:
        root = parse_xml(source.encode("utf-8"))
        process = next(iter(root.xpath("//bpmn:process[@id=$key]", key=definition.key, namespaces=NS)), None)
        if process is not None:
            # the plain start event (no message, timer or signal trigger) is the one a person uses
            plain = [
                e
                for e in process.xpath("./bpmn:startEvent", namespaces=NS)
                if not e.xpath("./*[contains(local-name(), 'EventDefinition')]")
            ]
            start = plain[0] if plain else None
            info = StartInfo(
                tuple(read_form_data(start)) if start is not None else (),
                form_ref_of(start) if start is not None else None,
                _names(process.get(f"{_CAMUNDA}candidateStarterUsers")),
                _names(process.get(f"{_CAMUNDA}candidateStarterGroups")),
            )
    with _lock:
        _infos[cache_key] = info
    return info


def _names(text: str | None) -> frozenset[str]:
    return frozenset(n.strip() for n in (text or "").split(",") if n.strip())


def may_start(user: UserView, info: StartInfo) -> bool:
    if user.is_admin:
        return True
    if info.starter_users or info.starter_groups:
        return user.username in info.starter_users or bool(info.starter_groups & set(user.groups))
    return user.has_role(*STARTER_ROLES)


def _schema(session: Session, info: StartInfo) -> FormSchema | None:
    if info.form_ref:
        schema = session.scalar(
            select(FormDefinition.schema)
            .where(FormDefinition.form_id == info.form_ref)
            .order_by(FormDefinition.version.desc())
            .limit(1)
        )
        if schema is None:
            raise NotFound(f"El formulario de inicio '{info.form_ref}' no está desplegado.")
        return FormSchema.from_dict(schema)
    return schema_from_form_data(list(info.form_data)) if info.form_data else None


def startable(ctx: Context, username: str) -> list[dict[str, Any]]:
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        listed = list_definitions(uow.session)
        rows = {
            r.id: r
            for r in uow.session.scalars(
                select(ProcessDefinition).where(ProcessDefinition.id.in_([d["id"] for d in listed]))
            )
        }
        out = []
        for item in listed:
            info = _start_info(ctx, rows[item["id"]])
            if may_start(user, info):
                out.append(
                    {
                        **item,
                        "documentation": rows[item["id"]].documentation,
                        "has_form": bool(info.form_data or info.form_ref),
                    }
                )
        return out


def _checked_definition(
    ctx: Context, session: Session, key: str, user: UserView
) -> tuple[ProcessDefinition, StartInfo]:
    definition = latest_definition(session, key)
    info = _start_info(ctx, definition)
    if not may_start(user, info):
        raise Forbidden(f"'{user.username}' no puede iniciar el proceso '{key}'.")
    return definition, info


def start_form(ctx: Context, key: str, username: str) -> dict[str, Any]:
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        definition, info = _checked_definition(ctx, uow.session, key, user)
        schema = _schema(uow.session, info)
        return {
            "key": definition.key,
            "name": definition.name,
            "version": definition.version,
            "documentation": definition.documentation,
            "form": schema.to_dict() if schema is not None else None,
            "values": defaults(schema) if schema is not None else {},
        }


def check_may_start(ctx: Context, key: str, username: str) -> None:
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        _checked_definition(ctx, uow.session, key, user)


def start_from_form(
    ctx: Context, key: str, username: str, submitted: Mapping[str, Any], business_key: str | None = None
) -> StartedInstance:
    """Validate the start form like a task form, then start; nothing is written when it fails."""
    user = get_user(ctx, username)
    with UnitOfWork(ctx.db, write=False) as uow:
        _, info = _checked_definition(ctx, uow.session, key, user)
        schema = _schema(uow.session, info)
    data: Mapping[str, Any] = submitted
    if schema is not None:
        data, errors = validate_submission(schema, submitted, {})
        if errors:
            raise ValidationFailed("Revise los datos del formulario.", errors)
    return instances.start_process(ctx, key, data=dict(data), business_key=business_key, actor=user.username)
