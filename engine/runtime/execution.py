"""Camunda's `execution` (DelegateExecution) and `task` (DelegateTask) as JUEL sees them, over a Spiff task.

Every expression the script engine evaluates gets `execution` (and the clock-aware `juel_now` /
`juel_datetime`) when its text names them; listeners of a user task also get `task`. setVariable writes
the task's data, so what an expression sets flows on like any other variable.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from datetime import UTC, date, datetime
from datetime import time as dt_time
from typing import Any

from engine.modeling.expressions import JodaDateTime, JuelObject
from engine.runtime.spiff_patches import ClockedDatetime

BUSINESS_KEY = "_phva_business_key"  # in the top workflow's data: '_' keeps it out of scripts and views
_NAMES = ("execution", "juel_now", "juel_datetime", "juel_var")


class UnknownVariable(NameError):
    """Camunda: "Cannot resolve identifier" for a variable that does not exist."""


def set_business_key(workflow: Any, business_key: str | None) -> None:
    if business_key:
        workflow.data[BUSINESS_KEY] = business_key


def business_key(task: Any) -> str | None:
    top = getattr(task.workflow, "top_workflow", None) or task.workflow
    value = top.data.get(BUSINESS_KEY)
    return str(value) if value is not None else None


def juel_now() -> datetime:
    now: datetime = ClockedDatetime.now(UTC)
    return now


def juel_datetime() -> JodaDateTime:
    return JodaDateTime(juel_now())


def json_native(value: Any) -> Any:
    """What an expression leaves in the data: dates as ISO text, tuples as lists (data stays JSON)."""
    if isinstance(value, JodaDateTime):
        return value.moment.isoformat()
    if isinstance(value, datetime | date | dt_time):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): json_native(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [json_native(v) for v in value]
    if value is None or isinstance(value, str | bool | int | float):
        return value
    raise TypeError(f"el valor {type(value).__name__} no se puede guardar como variable; use texto o números")


class Execution(JuelObject):
    """DelegateExecution: variables of the task's data, the business key, the current activity."""

    def __init__(self, task: Any, event: str | None = None) -> None:
        self.task = task
        self.event = event

    def juel_method(self, name: str, args: tuple[Any, ...], strict: bool = False) -> Any:
        data = self.task.data
        spec = self.task.task_spec
        if name in ("getVariable", "getVariableLocal"):
            (variable,) = args
            _check_name(variable)
            if strict and variable not in data:
                raise UnknownVariable(f"La variable '{variable}' no existe")
            return copy.deepcopy(data.get(variable))
        if name in ("hasVariable", "hasVariableLocal"):
            (variable,) = args
            return variable in data
        if name == "getVariables":
            return {k: copy.deepcopy(v) for k, v in data.items() if not str(k).startswith("_")}
        if name in ("setVariable", "setVariableLocal"):
            variable, value = args
            _check_name(variable)
            data[variable] = json_native(value)
            return None
        if name == "removeVariable":
            (variable,) = args
            data.pop(variable, None)
            return None
        if name in ("getProcessBusinessKey", "getBusinessKey"):
            return business_key(self.task)
        if name in ("getCurrentActivityId", "getActivityId", "getTaskDefinitionKey"):
            return spec.bpmn_id
        if name in ("getCurrentActivityName", "getName"):
            return spec.bpmn_name
        if name in ("getProcessInstanceId", "getId", "getActivityInstanceId"):
            return (
                str(self.task.workflow.task_tree.id) if name == "getProcessInstanceId" else str(self.task.id)
            )
        if name == "getProcessDefinitionId":
            return str(self.task.workflow.spec.name)
        if name == "getEventName":
            return self.event
        if name == "getExecution":
            return self
        raise AttributeError(f"execution no tiene el método '{name}()'")


class DelegateTask(Execution):
    """A user task's listener sees `task`: the execution's variables plus the task's own attributes."""

    def __init__(self, task: Any, event: str | None, assignee: str | None = None) -> None:
        super().__init__(task, event)
        self.assignee = assignee

    def juel_method(self, name: str, args: tuple[Any, ...], strict: bool = False) -> Any:
        if name == "getAssignee":
            return self.assignee
        if name == "getExecution":
            return Execution(self.task, self.event)
        return super().juel_method(name, args, strict)


def _check_name(variable: Any) -> None:
    if not isinstance(variable, str) or not variable or variable.startswith("_"):
        raise ValueError(f"nombre de variable no válido: {variable!r}")


def expression_context(
    task: Any, expression: str, external: Mapping[str, Any] | None
) -> Mapping[str, Any] | None:
    """The names a translated JUEL expression needs from its task, added only when its text uses them."""
    if task is None or not any(name in expression for name in _NAMES):
        return external
    context = dict(external or {})
    context.setdefault("execution", Execution(task))
    context["juel_now"], context["juel_datetime"] = juel_now, juel_datetime
    return context
