"""Which processes a user may start, their start forms, and starting one from a filled form."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Forbidden, NotFound, ValidationFailed
from engine.identity import access
from engine.identity.users import UserView, acting_user
from engine.modeling.form_schema import FormSchema
from engine.modeling.form_submission import defaults, validate_submission
from engine.modeling.formdata import schema_from_form_data
from engine.modeling.start_info import StartInfo, read_start_info
from engine.store import definitions
from engine.store.definitions import DefinitionHead, latest_definition
from engine.store.tables import ProcessDefinition
from engine.store.uow import UnitOfWork
from engine.workflow import views
from engine.workflow.instances import StartedInstance, check_data, check_start_allowed, start_in
from engine.workflow.tasks import FormReader
from engine.workflow.views import list_definitions


def _start_info(ctx: Context, session: Session, definition: DefinitionHead) -> StartInfo:
    found = ctx.start_infos.get(definition.id)
    if found is None:
        source = definitions.definition_xml(session, definition.id)
        found = ctx.start_infos[definition.id] = read_start_info(source, definition.key)
    return found


def _may_start(user: UserView, info: StartInfo) -> bool:
    return access.may_start(user, info.starter_users, info.starter_groups)


def _schema(session: Session, info: StartInfo) -> FormSchema | None:
    if info.form_ref:
        schema = definitions.form_schema(session, info.form_ref)
        if schema is None:
            raise NotFound(f"El formulario de inicio '{info.form_ref}' no está desplegado.")
        return FormSchema.from_dict(schema)
    return schema_from_form_data(list(info.form_data)) if info.form_data else None


def startable(ctx: Context, user: UserView | str) -> list[dict[str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        user = acting_user(uow.session, user)
        listed = list_definitions(uow.session)
        rows = {
            r.id: r
            for r in uow.session.scalars(
                select(ProcessDefinition).where(ProcessDefinition.id.in_([d["id"] for d in listed]))
            )
        }
        out = []
        for item in listed:
            info = _start_info(ctx, uow.session, rows[item["id"]])
            if _may_start(user, info):
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
) -> tuple[DefinitionHead, StartInfo]:
    definition = latest_definition(session, key)
    info = _start_info(ctx, session, definition)
    if not _may_start(user, info):
        raise Forbidden(f"'{user.username}' no puede iniciar el proceso '{key}'.")
    return definition, info


def start_form(ctx: Context, key: str, user: UserView | str) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        user = acting_user(uow.session, user)
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


def start_from_form(
    ctx: Context,
    key: str,
    user: UserView | str,
    submitted: Mapping[str, Any] | FormReader,
    business_key: str | None = None,
    *,
    find_next: bool = False,
) -> StartedInstance:
    """Validate the start form like a task form, then start — one transaction; nothing is written when it fails.
    With `find_next`, the user's first task of the new instance is looked up in it too (the web goes there)."""
    with UnitOfWork(ctx.db, pipelined=True) as uow:  # its one instance row is new: no one else sees it
        session = uow.session
        acting = acting_user(session, user)
        check_start_allowed(ctx, key, business_key)
        definition, info = _checked_definition(ctx, session, key, acting)
        schema = _schema(session, info)
        if callable(submitted):
            submitted = submitted(schema.to_dict() if schema is not None else None)
        data: Mapping[str, Any] = check_data(submitted, ctx.settings.data_limits)
        if schema is not None:
            data, errors = validate_submission(schema, data, {})
            if errors:
                raise ValidationFailed("Revise los datos del formulario.", errors)
        started = start_in(ctx, session, definition, dict(data), business_key, acting.username)
        following = views.next_task_id(session, acting, started.id) if find_next else None
        uow.commit()
    return replace(started, next_task_id=following)
