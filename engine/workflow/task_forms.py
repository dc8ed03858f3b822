"""The form of a user task: its Camunda extensions (cached per definition version) and its schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import NotFound
from engine.modeling.form_schema import FormSchema
from engine.modeling.formdata import schema_from_form_data
from engine.runtime.workflow import ProcessRun
from engine.store import definitions
from engine.store.instances import InstanceRef
from engine.store.tasks import TaskRow
from engine.workflow.runs import load_run


def extensions_of(
    ctx: Context, session: Session, ref: InstanceRef, task: TaskRow, run: ProcessRun | None = None
) -> dict[str, Any]:
    """A task's extensions; versions never change once deployed, so the instance is restored once per element."""
    key = (ref.definition_id, task.bpmn_id)
    found = ctx.task_extensions.get(key)
    if found is None:
        run = run or load_run(ctx, session, ref)
        human = next((h for h in run.human_tasks() if h.spiff_id == task.spiff_id), None)
        if human is None:
            return {}
        found = ctx.task_extensions[key] = dict(human.extensions)
    return found


def form_of(session: Session, task_name: str, extensions: Mapping[str, Any]) -> FormSchema | None:
    if extensions.get("formRef"):
        form_id = str(extensions["formRef"])
        pinned = extensions.get("formRefBinding") == "version" and extensions.get("formRefVersion")
        schema = definitions.form_schema(
            session, form_id, int(extensions["formRefVersion"]) if pinned else None
        )
        if schema is None:
            raise NotFound(f"El formulario '{form_id}' de la tarea '{task_name}' no está desplegado.")
        return FormSchema.from_dict(schema)
    if extensions.get("formData"):
        return schema_from_form_data(list(extensions["formData"]))
    return None
