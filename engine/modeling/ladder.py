"""Escalation ladders drawn in Camunda Modeler: the `escalamiento` extension property, parsed and checked.

A user task (or the process, for each of its user tasks that declares none) may carry
`escalamiento = 50%:avisar_responsable; 2/3:avisar_supervisor; 100%:reasignar_supervisor; 100%+2d:avisar_jefe`.
Each step is `<cuándo>:<acción>`:

- cuándo: a share of the task's term counted in business days (`50%`, `2/3`, `100%` = the due moment),
  `100%+Nd` / `100%-Nd` (N business days after / before the due moment), or `Nd` (N business days after
  the task was created, which needs no due date);
- acción: `avisar_responsable`, `avisar_supervisor`, `avisar_jefe`, `reasignar_supervisor`,
  `avisar(grupo)` or `reasignar(grupo)`.

Pure text rules: the moments are computed on the calendar by `engine.workflow.ladders`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from engine.modeling.parser import read_properties

PROPERTY = "escalamiento"
PROPERTY_ALIAS = "phva:escalamiento"
MAX_STEPS = 12
MAX_DAYS = 365
# The action and whether it takes a group argument.
ACTIONS: dict[str, bool] = {
    "avisar_responsable": False,
    "avisar_supervisor": False,
    "avisar_jefe": False,
    "reasignar_supervisor": False,
    "avisar": True,
    "reasignar": True,
}
HOLDERS = frozenset({"userTask", "process"})  # where a ladder means something

_PERCENT = re.compile(r"^(\d{1,3}(?:[.,]\d{1,2})?)\s*%$")
_FRACTION = re.compile(r"^(\d{1,3})\s*/\s*(\d{1,3})$")
_DAYS = re.compile(r"^(\d{1,3})\s*d$", re.IGNORECASE)
_OFFSET = re.compile(r"^(.*?)\s*([+-])\s*(\d{1,3})\s*d$", re.IGNORECASE)
_ACTION = re.compile(r"^([a-z_]+)\s*(?:\(\s*([^()]*?)\s*\))?$")
_GROUP = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,119}$")


class LadderError(ValueError):
    """A ladder that cannot run; the message is Spanish and names the step."""


@dataclass(frozen=True)
class When:
    """A step's moment: `share` of the term (1 = due), moved `days` business days; share None: from creation."""

    share: Fraction | None
    days: int = 0

    @property
    def needs_due(self) -> bool:
        return self.share is not None

    @property
    def text(self) -> str:
        if self.share is None:
            return f"{self.days}d"
        base = (
            f"{self.share.numerator}/{self.share.denominator}" if _odd(self.share) else _percent(self.share)
        )
        return base + (f"{self.days:+d}d" if self.days else "")


@dataclass(frozen=True)
class Step:
    when: When
    action: str
    argument: str | None = None

    @property
    def text(self) -> str:
        action = f"{self.action}({self.argument})" if self.argument else self.action
        return f"{self.when.text}:{action}"


@dataclass(frozen=True)
class Ladder:
    steps: tuple[Step, ...]

    @property
    def text(self) -> str:
        return "; ".join(step.text for step in self.steps)


def _odd(share: Fraction) -> bool:
    # 2/3 stays a fraction; 1/2 or 3/4 read better as 50% and 75%.
    return (share * 100).denominator != 1 and (share * 10000).denominator != 1


def _percent(share: Fraction) -> str:
    value = share * 100
    return f"{value.numerator}%" if value.denominator == 1 else f"{float(value):g}%"


def parse_when(text: str) -> When:
    source = text.strip()
    if not source:
        raise LadderError("falta el momento antes de «:» (p. ej. 50%, 2/3, 100%+2d o 3d)")
    days = _DAYS.match(source)
    if days:
        return When(None, _day_count(days.group(1), source))
    offset = _OFFSET.match(source)
    if offset:
        share = _share(offset.group(1), source)
        if share != 1:
            raise LadderError(
                f"«{source}»: los días antes o después solo se cuentan desde el vencimiento (100%±Nd)"
            )
        amount = _day_count(offset.group(3), source)
        return When(share, amount if offset.group(2) == "+" else -amount)
    return When(_share(source, source))


def _share(text: str, source: str) -> Fraction:
    text = text.strip()
    percent, fraction = _PERCENT.match(text), _FRACTION.match(text)
    if percent:
        share = Fraction(percent.group(1).replace(",", ".")) / 100
    elif fraction:
        if int(fraction.group(2)) == 0:
            raise LadderError(f"«{source}»: el denominador de la fracción no puede ser cero")
        share = Fraction(int(fraction.group(1)), int(fraction.group(2)))
    else:
        raise LadderError(
            f"«{source}» no es un momento válido: use un porcentaje (50%), una fracción (2/3), "
            "100%+Nd o 100%-Nd (días hábiles desde el vencimiento) o Nd (días hábiles desde que se creó la tarea)"
        )
    if not 0 < share <= 1:
        raise LadderError(
            f"«{source}»: la parte del término debe estar entre 0 y 100% (después del vencimiento, use 100%+Nd)"
        )
    return share


def _day_count(digits: str, source: str) -> int:
    value = int(digits)
    if not 1 <= value <= MAX_DAYS:
        raise LadderError(f"«{source}»: los días hábiles deben estar entre 1 y {MAX_DAYS}")
    return value


def parse_step(text: str) -> Step:
    when_text, colon, action_text = text.partition(":")
    if not colon:
        raise LadderError(
            f"el paso «{text.strip()}» no tiene la forma momento:acción (p. ej. 50%:avisar_responsable)"
        )
    when = parse_when(when_text)
    found = _ACTION.match(action_text.strip())
    name = found.group(1) if found else action_text.strip()
    if found is None or name not in ACTIONS:
        raise LadderError(f"acción desconocida «{action_text.strip()}»: use {', '.join(_action_help())}")
    argument = found.group(2)
    if ACTIONS[name]:
        if not argument:
            raise LadderError(f"«{name}» necesita el grupo entre paréntesis, p. ej. {name}(juridica)")
        if not _GROUP.match(argument):
            raise LadderError(f"«{argument}» no es un nombre de grupo válido (letras, números, punto, guion)")
    elif found.group(2) is not None:
        raise LadderError(f"«{name}» no lleva paréntesis")
    return Step(when, name, argument if ACTIONS[name] else None)


def _action_help() -> list[str]:
    return [f"{name}(grupo)" if takes_group else name for name, takes_group in ACTIONS.items()]


def parse_ladder(text: str) -> Ladder:
    """The ladder in `text`, or LadderError saying which step is wrong and why."""
    parts = [part.strip() for part in re.split(r"[;\n]", text) if part.strip()]
    if not parts:
        raise LadderError("está vacío: escriba al menos un paso momento:acción")
    if len(parts) > MAX_STEPS:
        raise LadderError(f"tiene {len(parts)} pasos; el máximo es {MAX_STEPS}")
    steps: list[Step] = []
    for part in parts:
        step = parse_step(part)
        if step in steps:
            raise LadderError(f"el paso «{step.text}» está repetido")
        steps.append(step)
    return Ladder(tuple(steps))


def ladder_source(properties: Mapping[str, Any]) -> str | None:
    """The ladder text among an element's `camunda:properties`, if it has one."""
    for name in (PROPERTY, PROPERTY_ALIAS):
        value = properties.get(name)
        if value is not None:
            return str(value)
    return None


def check_ladder(
    element: Any, kind: str, error: Callable[[str | None, str], None], warn: Callable[[str | None, str], None]
) -> None:
    """Deploy check of one BPMN element (`kind` its local name): a ladder that cannot run is refused."""
    properties = read_properties(element)
    if PROPERTY not in properties and PROPERTY_ALIAS not in properties:
        return
    element_id = element.get("id")
    if PROPERTY in properties and PROPERTY_ALIAS in properties:
        error(element_id, f"escalamiento no válido: use «{PROPERTY}» o «{PROPERTY_ALIAS}», no las dos")
        return
    if kind not in HOLDERS:
        warn(
            element_id,
            f"la propiedad «{PROPERTY}» solo se tiene en cuenta en tareas de usuario y en el proceso",
        )
        return
    try:
        parse_ladder(ladder_source(properties) or "")
    except LadderError as problem:
        error(element_id, f"escalamiento no válido: {problem}")


def task_ladder_sources(specs: Iterable[Any]) -> dict[str, str]:
    """User task id → ladder text, across SpiffWorkflow process specs (the extensions the parser kept)."""
    found: dict[str, str] = {}
    for spec in specs:
        for task_spec in spec.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            extensions = getattr(task_spec, "extensions", None) or {}
            text = ladder_source(extensions.get("properties") or {})
            if text is not None:
                found[str(task_spec.bpmn_id or task_spec.name)] = text
    return found
