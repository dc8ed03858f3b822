"""Example answers for a task's form, so a model test names only the fields that decide the path."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.modeling.form_schema import FormField

EXAMPLE_DATE = "2026-03-10"


def example_answers(
    fields: list[dict[str, Any]], values: Mapping[str, Any], options: Mapping[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """The form's current values (defaults over the task's data), and an example for every input still empty."""
    answers: dict[str, Any] = {}
    for raw in fields:
        f = FormField.from_dict(raw)
        if not f.is_input or f.readonly:
            continue
        current = values.get(f.key)
        if current not in (None, "", []):
            answers[f.key] = current
        elif (example := _example(f, options.get(f.key))) is not None:
            answers[f.key] = example
    return answers


def _example(f: FormField, choices: list[dict[str, Any]] | None) -> Any:
    listed = [o["value"] for o in choices] if choices else [o.value for o in f.options]
    if f.type in ("select", "radio"):
        return listed[0] if listed else None
    if f.type in ("checklist", "taglist"):
        return listed[:1] if listed else None
    if f.type == "boolean":
        return bool(f.default) if f.default is not None else False
    if f.type in ("number", "long"):
        low = f.min if isinstance(f.min, int | float) else None
        return low if low is not None and low > 0 else 1
    if f.type in ("date", "datetime"):
        return str(f.min) if isinstance(f.min, str) and f.min > EXAMPLE_DATE else EXAMPLE_DATE
    if f.type == "time":
        return "09:00"
    if f.type in ("string", "textarea"):
        return _text(f)
    return None  # dynamic lists: only what the test gives


def _text(f: FormField) -> str | None:
    if f.validation_type == "email":
        return "ejemplo@example.co"
    if f.validation_type == "phone":
        return "3001234567"
    if f.pattern:
        return None  # no general example for a pattern: the test gives it
    text = f"Ejemplo: {f.label}"
    if f.min_length and len(text) < f.min_length:
        text = text.ljust(f.min_length, ".")
    return text[: f.max_length] if f.max_length else text
