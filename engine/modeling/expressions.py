"""What Camunda Modeler users write (JUEL `${…}`, raw ISO-8601 timers, FEEL) → Python for SpiffWorkflow.

Everything here runs at deploy time and raises ExpressionError (Spanish message) for text that cannot be
translated, so nothing untranslatable reaches run time. The emitted source calls the EXPRESSION_HELPERS,
which the script engine must put into its evaluation globals.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Literal

from engine.modeling.feel import (
    feel_expression_to_python,
    feel_input_entry_to_python,
    feel_output_entry_to_python,
)
from engine.modeling.juel import ExpressionError, ExprParser, check_python, fail, py_str, restricted, tokenize

__all__ = [
    "EXPRESSION_HELPERS",
    "ExpressionError",
    "TimerKind",
    "expression_to_python",
    "feel_expression_to_python",
    "feel_input_entry_to_python",
    "feel_output_entry_to_python",
    "juel_empty",
    "juel_prop",
    "juel_str",
    "timer_to_python",
    "value_to_python",
]

TimerKind = Literal["timeDate", "timeDuration", "timeCycle"]


# -- run-time helpers called by translated expressions (names without '_': RestrictedPython forbids those)
def juel_prop(obj: Any, key: Any) -> Any:
    if obj is None:
        return None
    if isinstance(obj, Mapping):
        return obj.get(key)
    if isinstance(obj, Sequence) and not isinstance(obj, str):
        if isinstance(key, str) and key.isdecimal():
            key = int(key)
        if isinstance(key, int) and not isinstance(key, bool):
            return obj[key] if 0 <= key < len(obj) else None  # JUEL: an index out of range is null
    if not isinstance(key, str) or key.startswith("_"):
        raise AttributeError(f"propiedad no permitida: {key!r}")
    value = getattr(obj, key, None)
    if callable(value):
        raise AttributeError(f"'{key}' es un método; en las expresiones solo se leen propiedades")
    return value


def juel_empty(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str | Sequence | Mapping | set | frozenset):
        return len(value) == 0
    return False


def juel_str(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


EXPRESSION_HELPERS: dict[str, Callable[..., Any]] = {
    "juel_prop": juel_prop,
    "juel_empty": juel_empty,
    "juel_str": juel_str,
}


# -- JUEL
def expression_to_python(text: str) -> str:
    """Python for a condition: `${…}`/`#{…}` is JUEL (composite text → string), anything else Python."""
    source = text.strip()
    if not source:
        raise ExpressionError("La expresión está vacía")
    if _has_juel(source):
        return restricted(source, _composite(source))
    check_python(source, source)
    return restricted(source, source)


def value_to_python(text: str) -> str:
    """Python for an attribute value (assignee, candidateGroups, dueDate…): plain text is a literal string."""
    source = text.strip()
    return restricted(source, _composite(source)) if _has_juel(source) else py_str(source)


def _has_juel(text: str) -> bool:
    return "${" in text or "#{" in text


def _composite(text: str) -> str:
    parts: list[str] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith(("\\${", "\\#{"), i):  # JUEL escape for a literal '${'
            literal.append(text[i + 1 : i + 3])
            i += 3
        elif text.startswith(("${", "#{"), i):
            if literal:
                parts.append(py_str("".join(literal)))
                literal = []
            tokens = tokenize(text, text, i + 2, "juel")
            if tokens[-1].value != "}":
                fail(text, f"falta la llave de cierre '}}' de '{text[i : i + 2]}'")
            parser = ExprParser(text, tokens, "juel")
            python = parser.expression()
            parser.finish()
            parts.append(f"juel_str({python})")
            i = tokens[-1].pos + 1
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append(py_str("".join(literal)))
    if len(parts) == 1 and parts[0].startswith("juel_str("):
        return parts[0][len("juel_str(") : -1]  # a lone ${…} keeps its value's type
    return " + ".join(parts) if parts else "''"


# -- timers
_DURATION = re.compile(
    r"P(?!$)(?:(?P<Y>[\d.,]+)Y)?(?:(?P<Mo>[\d.,]+)M)?(?:(?P<W>[\d.,]+)W)?(?:(?P<D>[\d.,]+)D)?"
    r"(?:T(?!$)(?:(?P<H>[\d.,]+)H)?(?:(?P<Mi>[\d.,]+)M)?(?:(?P<S>[\d.,]+)S)?)?",
    re.ASCII,
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?", re.ASCII)
_LOOKS_CYCLE = re.compile(r"R\d*/.*", re.IGNORECASE | re.DOTALL | re.ASCII)
_LOOKS_DURATION = re.compile(r"PT?(\d.*|[.,].*)?", re.IGNORECASE | re.DOTALL | re.ASCII)
_LOOKS_DATE = re.compile(r"\d{4}-\d{2}.*|\d{8}T.*", re.DOTALL | re.ASCII)
_CRON = re.compile(r"(\S+\s+){4,6}\S+")
_EXAMPLES = {
    "timeDate": "una fecha y hora ISO-8601, p. ej. 2026-03-02T08:00:00-05:00",
    "timeDuration": "una duración ISO-8601, p. ej. PT2H o P15D",
    "timeCycle": "un ciclo ISO-8601, p. ej. R3/PT1H o R/P1D",
}


def timer_to_python(text: str, kind: TimerKind) -> str:
    """Python for a timer text; a raw ISO-8601 value becomes a string literal after validation."""
    source = text.strip()
    if not source:
        raise ExpressionError(f"El temporizador no tiene expresión de tiempo ({kind})")
    if _has_juel(source):
        return restricted(source, _composite(source))
    if _iso_shape(source) is not None:
        value = source.upper()
        _check_timer_value(source, value, kind)
        return py_str(value)
    if kind == "timeCycle" and _CRON.fullmatch(source):
        fail(source, "las expresiones cron no están soportadas; use " + _EXAMPLES[kind])
    tree = check_python(source, source)
    if isinstance(tree.body, ast.Constant):
        if not isinstance(tree.body.value, str):
            fail(source, f"un temporizador {kind} debe dar {_EXAMPLES[kind]}")
        _check_timer_value(source, tree.body.value.strip().upper(), kind)
    return restricted(source, source)


def _iso_shape(value: str) -> str | None:
    for shape, pattern in (("ciclo", _LOOKS_CYCLE), ("duración", _LOOKS_DURATION), ("fecha", _LOOKS_DATE)):
        if pattern.fullmatch(value):
            return shape
    return None


def _check_timer_value(source: str, value: str, kind: TimerKind) -> None:
    shape = _iso_shape(value)
    wanted = {"timeDate": "fecha", "timeDuration": "duración", "timeCycle": "ciclo"}[kind]
    if shape is None:
        fail(source, f"no es {_EXAMPLES[kind]}")
    if shape != wanted:
        article = "un" if shape == "ciclo" else "una"
        fail(source, f"es {article} {shape} y {kind} requiere {_EXAMPLES[kind]}")
    if kind == "timeDate":
        _check_date(source, value)
    elif kind == "timeDuration":
        _check_duration(source, value)
    else:
        _check_cycle(source, value)


def _where(source: str, value: str) -> str:
    return "" if source.upper() == value else f"en '{value}': "


def _check_duration(source: str, value: str) -> None:
    match = _DURATION.fullmatch(value)
    present = [v for v in match.groupdict().values() if v is not None] if match else []
    if not match or not present or not all(_NUMBER.fullmatch(v) for v in present):
        fail(source, f"{_where(source, value)}no es una duración ISO-8601 válida (p. ej. PT2H, P15D, PT0.5S)")
    if any(not v.isdigit() for v in present[:-1]):
        fail(source, f"{_where(source, value)}solo el último componente de la duración puede tener decimales")
    if match["W"] is not None and any(match[g] is not None for g in ("Y", "Mo", "D")):
        fail(source, f"{_where(source, value)}las semanas (W) no se combinan con años, meses o días")


def _check_date(source: str, value: str) -> None:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        fail(
            source, f"{_where(source, value)}no es una fecha y hora ISO-8601 válida ({_EXAMPLES['timeDate']})"
        )
    if not re.match(r"\d{4}-\d{2}-\d{2}", value):
        fail(
            source,
            f"{_where(source, value)}escriba la fecha como AAAA-MM-DD, p. ej. 2026-03-02T08:00:00-05:00",
        )


def _check_cycle(source: str, value: str) -> None:
    head, _, rest = value.partition("/")
    parts = rest.split("/") if rest else []
    if not re.fullmatch(r"R\d*", head) or not 1 <= len(parts) <= 2:
        fail(source, f"{_where(source, value)}no es {_EXAMPLES['timeCycle']}")
    shapes = [_iso_shape(part) for part in parts]
    if shapes not in (["duración"], ["fecha", "duración"], ["duración", "fecha"]):
        fail(
            source,
            f"{_where(source, value)}un ciclo es R[n]/duración, R[n]/inicio/duración o R[n]/duración/fin",
        )
    for part, shape in zip(parts, shapes, strict=True):
        if shape == "duración":
            _check_duration(source, part)
        else:
            _check_date(source, part)
