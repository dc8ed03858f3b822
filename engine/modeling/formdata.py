"""`camunda:formData` read into a FormSchema, and the key, pattern and default checks every form passes."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from engine.modeling.form_schema import FieldType, FormDefinitionError, FormField, FormSchema, Option, Source
from engine.modeling.form_submission import (
    InvalidValue,
    clean_value,
    field_options,
    is_empty,
    to_date,
    to_decimal,
    to_int,
)

_KEY = re.compile(r"\w+(\.\w+)*")

_FORM_DATA_TYPES: dict[str, FieldType] = {
    "string": "string", "long": "long", "boolean": "boolean", "date": "date", "enum": "select",
}  # fmt: skip


def schema_from_form_data(form_data: Sequence[Mapping[str, Any]]) -> FormSchema:
    out: list[FormField] = []
    for raw in form_data:
        key = raw.get("id")
        if not isinstance(key, str) or not key:
            raise FormDefinitionError("Un campo de camunda:formData no tiene 'id'.")
        # custom types (e.g. a Java FormType) are entered as plain text
        ftype = _FORM_DATA_TYPES.get(str(raw.get("type") or "string"), "string")
        rules = {str(v.get("name")): v.get("config") for v in raw.get("validation") or ()}
        default = raw.get("defaultValue")
        expression = (
            default if isinstance(default, str) and default.lstrip().startswith(("${", "#{")) else None
        )
        out.append(
            FormField(
                key=key,
                label=str(raw.get("label") or key),
                type=ftype,
                required="required" in rules,
                readonly="readonly" in rules or "disabled" in rules,
                default=None if expression else default,
                default_expression=expression,
                options=tuple(
                    Option(str(v["id"]), str(v.get("name") or v["id"])) for v in raw.get("values") or ()
                ),
                min=_form_data_bound(key, ftype, "min", rules.get("min")),
                max=_form_data_bound(key, ftype, "max", rules.get("max")),
                min_length=length_config(key, "minlength", rules.get("minlength")),
                max_length=length_config(key, "maxlength", rules.get("maxlength")),
                properties={str(k): str(v) for k, v in (raw.get("properties") or {}).items()},
            )
        )
    return build_schema(None, "formData", out)


def _form_data_bound(key: str, ftype: FieldType, name: str, value: Any) -> int | float | str | None:
    if ftype != "date" or value is None:
        return number_config(key, name, value)
    try:
        return str(to_date(value).isoformat())
    except InvalidValue:
        raise FormDefinitionError(
            f"La restricción '{name}' del campo '{key}' no es una fecha: {value!r}."
        ) from None


def number_config(key: str, name: str, value: Any) -> int | float | None:
    if value is None or value == "":
        return None
    try:
        number = to_decimal(value)
    except InvalidValue:
        raise FormDefinitionError(
            f"La restricción '{name}' del campo '{key}' no es un número: {value!r}."
        ) from None
    return int(number) if number == number.to_integral_value() else float(number)


def length_config(key: str, name: str, value: Any) -> int | None:
    if value is None or value == "":
        return None
    try:
        return to_int(value)
    except InvalidValue:
        raise FormDefinitionError(
            f"La restricción '{name}' del campo '{key}' no es un entero: {value!r}."
        ) from None


def build_schema(form_id: str | None, source: Source, items: Sequence[FormField]) -> FormSchema:
    """Check keys, patterns and defaults shared by both form sources; defaults come out coerced."""
    keys = [f.key for f in items if f.is_input]
    for key in keys:
        if not _KEY.fullmatch(key):
            raise FormDefinitionError(
                f"La clave '{key}' no es válida: use letras, números y _ separados por puntos."
            )
        if keys.count(key) > 1:
            raise FormDefinitionError(f"La clave '{key}' está repetida en el formulario.")
        if inner := next((k for k in keys if k.startswith(key + ".")), None):
            raise FormDefinitionError(
                f"La clave '{key}' choca con '{inner}': un valor no puede contener campos."
            )
    return FormSchema(form_id, source, tuple(_checked(f) if f.is_input else f for f in items))


def _checked(f: FormField) -> FormField:
    if f.pattern is not None:
        try:
            re.compile(f.pattern)
        except re.error as exc:
            raise FormDefinitionError(f"El patrón del campo '{f.key}' no es válido: {exc}.") from None
    if is_empty(f.default) or f.type == "list":
        return replace(f, default=None)
    try:
        return replace(f, default=clean_value(f, f.default, field_options(f, {}), None))
    except InvalidValue as exc:
        raise FormDefinitionError(f"El valor por defecto del campo '{f.key}' no es válido: {exc}") from None
