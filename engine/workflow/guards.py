"""What a model asks of a user task through `camunda:properties`: four eyes, confirmation, a callout.

- `phva:cuatroOjos` = "Task_A[,Task_B]": whoever completed one of those elements in this instance may not
  complete this task (the approver of an answer is not the official who drafted it).
- `phva:confirmar` = "variable=valor[,valor]: pregunta" (or just "pregunta", asked on every completion):
  completing with one of those values needs an explicit confirmation.
- `phva:mostrar` = "variable[,variable]": those variables, with their form labels, at the top of the task.
- `phva:variables` = "variable[,variable]": what a task with no form accepts on completion; without it, nothing
  (otherwise any caller could set any variable, for example the one that routes the next task).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.identity import access
from engine.identity.users import UserView
from engine.store.tables import Task

FOUR_EYES = "phva:cuatroOjos"
CONFIRM = "phva:confirmar"
SHOW = "phva:mostrar"
ACCEPTS = "phva:variables"
CONFIRM_FIELD = (
    "confirmado"  # the explicit confirmation a post carries (web checkbox, API `"confirmado": true`)
)
_RULE = re.compile(r"^\s*([A-Za-z_][\w.]*)\s*=\s*([^:]+?)\s*:\s*(\S.*)$", re.DOTALL)


@dataclass(frozen=True)
class Confirmation:
    question: str
    variable: str | None = None  # None: every completion asks
    values: tuple[str, ...] = ()  # as text: true, false, 3, traslado

    def applies(self, data: Mapping[str, Any]) -> bool:
        return self.variable is None or as_text(data.get(self.variable)) in self.values

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "variable": self.variable, "values": list(self.values)}


def as_text(value: Any) -> str:
    """How a rule's value compares with data: booleans as true/false, None as empty."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value).strip()


def _properties(extensions: Mapping[str, Any]) -> Mapping[str, Any]:
    found = extensions.get("properties")
    return found if isinstance(found, Mapping) else {}


def _names(text: Any) -> tuple[str, ...]:
    return tuple(part.strip() for part in str(text or "").split(",") if part.strip())


def four_eyes_elements(extensions: Mapping[str, Any]) -> tuple[str, ...]:
    return _names(_properties(extensions).get(FOUR_EYES))


def shown_variables(extensions: Mapping[str, Any]) -> tuple[str, ...]:
    return _names(_properties(extensions).get(SHOW))


def confirmation(extensions: Mapping[str, Any]) -> Confirmation | None:
    text = str(_properties(extensions).get(CONFIRM) or "").strip()
    if not text:
        return None
    rule = _RULE.match(text)
    if rule is None:
        return Confirmation(text)
    values = tuple(v.strip().lower() if v.strip().lower() in ("true", "false") else v.strip()
                   for v in rule.group(2).split(","))  # fmt: skip
    return Confirmation(rule.group(3).strip(), rule.group(1), tuple(v for v in values if v))


def question_for(extensions: Mapping[str, Any], data: Mapping[str, Any]) -> str | None:
    """The question to confirm before completing with `data`, if the task's rule asks for one."""
    rule = confirmation(extensions)
    return rule.question if rule is not None and rule.applies(data) else None


def four_eyes_refusal(
    session: Session, user: UserView, instance_id: int, extensions: Mapping[str, Any]
) -> str | None:
    """Why the user may not complete the task under its four-eyes property (None: they may)."""
    elements = four_eyes_elements(extensions)
    if not elements:
        return None
    return access.four_eyes_refusal(user, completed_earlier(session, instance_id, elements))


def completed_earlier(session: Session, instance_id: int, elements: tuple[str, ...]) -> dict[str, set[str]]:
    """Who completed each of `elements` in the instance, by element name (empty without elements)."""
    if not elements:
        return {}
    rows = session.execute(
        select(Task.name, Task.completed_by).where(
            Task.instance_id == instance_id,
            Task.bpmn_id.in_(elements),
            Task.state == "completed",
        )
    )
    found: dict[str, set[str]] = {}
    for name, who in rows:
        if who:
            found.setdefault(name, set()).add(who)
    return found


EMBEDDED_FORMS = ("embedded:", "app:")


def unlisted_variables(extensions: Mapping[str, Any], submitted: Mapping[str, Any]) -> dict[str, str]:
    """For a task with no form: one message per submitted variable the model does not list in `phva:variables`."""
    if str(extensions.get("formKey") or "").startswith(EMBEDDED_FORMS):
        return {}  # Camunda: an embedded HTML form (not shown here) submits whatever variables it has
    accepted = set(_names(_properties(extensions).get(ACCEPTS)))
    return {
        name: "Esta tarea no tiene formulario y el modelo no declara este dato (phva:variables)."
        for name in submitted
        if name not in accepted
    }
