"""Camunda Forms (`*.form`, the form-js JSON that Camunda Modeler 5 saves) read into a FormSchema."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from engine.modeling.form_schema import FieldType, FormDefinitionError, FormField, FormSchema, Option
from engine.modeling.formdata import build_schema, length_config, number_config

_INPUTS: dict[str, FieldType] = {
    "textfield": "string",
    "textarea": "textarea",
    "number": "number",
    "checkbox": "boolean",
    "checklist": "checklist",
    "taglist": "taglist",
    "radio": "radio",
    "select": "select",
}
_SUBTYPES: dict[str, FieldType] = {"date": "date", "time": "time", "datetime": "datetime"}
_DISPLAY: dict[str, FieldType] = {
    "text": "text",
    "html": "html",
    "image": "image",
    "spacer": "spacer",
    "separator": "separator",
}
# form-js knows these, but they need FEEL, uploads or paging this engine does not offer
_UNSUPPORTED = frozenset(
    {"multipage", "page", "table", "iframe", "expression", "filepicker", "documentPreview"}
)


def parse_formjs(text: str | bytes) -> FormSchema:
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise FormDefinitionError(f"El formulario no es un JSON válido: {exc}.") from None
    if not isinstance(document, dict):
        raise FormDefinitionError("El formulario debe ser un objeto JSON.")
    form_id = document.get("id")
    if not isinstance(form_id, str) or not form_id.strip():
        raise FormDefinitionError("El formulario no tiene 'id'; Camunda Modeler lo asigna al guardarlo.")
    return build_schema(form_id, "formjs", _components(document, prefix="", group=None))


def _components(container: Mapping[str, Any], prefix: str, group: str | None) -> list[FormField]:
    components = container.get("components")
    if not isinstance(components, list):
        is_component = container.get("type") in ("group", "dynamiclist")
        owner = f"El contenedor {_name(container)}" if is_component else "El formulario"
        raise FormDefinitionError(f"{owner} no tiene una lista 'components'.")
    out: list[FormField] = []
    for component in components:
        if not isinstance(component, dict):
            raise FormDefinitionError("Un componente del formulario no es un objeto JSON.")
        kind = component.get("type")
        label = component.get("label") or None
        if kind == "group":
            # a group with a `path` nests its fields' data under that path
            out += _components(component, _join(prefix, component.get("path")), label or group)
        elif kind == "dynamiclist":
            out.append(_dynamic_list(component, prefix, group))
        elif kind in _INPUTS or kind == "datetime":
            out.append(_input(component, prefix, group))
        elif kind in _DISPLAY:
            out.append(_display(component, group))
        elif kind in _UNSUPPORTED:
            raise FormDefinitionError(f"El componente {_name(component)} no está soportado por este motor.")
        elif kind != "button":  # the task page has its own submit button
            raise FormDefinitionError(f"El componente {_name(component)} es de un tipo desconocido.")
    return out


def _input(c: Mapping[str, Any], prefix: str, group: str | None) -> FormField:
    key = _key(c, "key")
    validate = c.get("validate") or {}
    kind = str(c["type"])
    field_type = (
        _SUBTYPES.get(str(c.get("subtype") or "date"), "date") if kind == "datetime" else _INPUTS[kind]
    )
    increment = c.get("increment")
    if increment not in (None, ""):
        number_config(key, "increment", increment)  # fails early on a step that is not a number
    validation_type = validate.get("validationType")
    return FormField(
        key=_join(prefix, key),
        label=str(c.get("label") or c.get("dateLabel") or c.get("timeLabel") or key),
        type=field_type,
        required=validate.get("required") is True,
        readonly=_flag(c.get("readonly")) or _flag(c.get("disabled")),
        default=c.get("defaultValue"),
        description=c.get("description") or None,
        options=tuple(
            Option(v["value"], str(v.get("label") or v["value"]))
            for v in c.get("values") or ()
            if isinstance(v, Mapping) and "value" in v
        ),
        options_key=c.get("valuesKey") or None,
        options_expression=c.get("valuesExpression") or None,
        min=_static_number(key, "min", validate.get("min")),
        max=_static_number(key, "max", validate.get("max")),
        min_length=length_config(key, "minLength", _static(validate.get("minLength"))),
        max_length=length_config(key, "maxLength", _static(validate.get("maxLength"))),
        pattern=validate.get("pattern") or None,
        validation_type=validation_type if validation_type in ("email", "phone") else None,
        decimal_digits=c.get("decimalDigits") if isinstance(c.get("decimalDigits"), int) else None,
        increment=None if increment in (None, "") else str(increment),
        serialize_to_string=c.get("serializeToString") is True,
        use_24h=c.get("use24h") is True,
        disallow_past_dates=c.get("disallowPassedDates") is True,
        searchable=c.get("searchable") is True,
        hide_if=_hide_if(c),
        group=group,
        properties=_properties(c),
    )


def _dynamic_list(c: Mapping[str, Any], prefix: str, group: str | None) -> FormField:
    path = _key(c, "path")
    # item fields are relative to each item, so their keys are checked in their own scope
    items = build_schema(None, "formjs", _components(c, prefix="", group=None))
    return FormField(
        key=_join(prefix, path),
        label=str(c.get("label") or path),
        type="list",
        readonly=_flag(c.get("readonly")) or _flag(c.get("disabled")),
        hide_if=_hide_if(c),
        group=group,
        properties=_properties(c),
        fields=items.fields,
    )


def _display(c: Mapping[str, Any], group: str | None) -> FormField:
    kind = _DISPLAY[str(c["type"])]
    text = {"text": c.get("text"), "html": c.get("content"), "image": c.get("source")}.get(kind)
    return FormField(
        key=str(c.get("id") or ""),
        label=str(c.get("label") or c.get("alt") or ""),
        type=kind,
        text=None if text is None else str(text),
        hide_if=_hide_if(c),
        group=group,
    )


def _key(c: Mapping[str, Any], name: str) -> str:
    value = c.get(name)
    if not isinstance(value, str) or not value.strip():
        raise FormDefinitionError(f"El campo {_name(c)} no tiene '{name}'.")
    return value.strip()


def _name(c: Mapping[str, Any]) -> str:
    return f"'{c.get('id') or c.get('key') or c.get('label') or '?'}' ({c.get('type')})"


def _join(prefix: str, part: Any) -> str:
    return ".".join(p for p in (prefix, str(part or "").strip()) if p)


def _static(value: Any) -> Any:
    # a leading "=" is a FEEL expression that only the browser evaluates
    return None if isinstance(value, str) and value.startswith("=") else value


def _static_number(key: str, name: str, value: Any) -> int | float | None:
    return number_config(key, name, _static(value))


def _flag(value: Any) -> bool:
    # a FEEL-driven readonly may be false at run time, so the submitted value is kept
    return value is True


def _hide_if(c: Mapping[str, Any]) -> str | None:
    conditional = c.get("conditional")
    hide = conditional.get("hide") if isinstance(conditional, Mapping) else None
    return str(hide) if hide else None


def _properties(c: Mapping[str, Any]) -> dict[str, str]:
    properties = c.get("properties")
    return {str(k): str(v) for k, v in properties.items()} if isinstance(properties, Mapping) else {}
