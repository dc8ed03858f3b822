"""The form schema both `camunda:formData` and Camunda Forms read into: fields, options, constraints."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from typing import Any, Literal

FieldType = Literal[
    "string", "textarea", "long", "number", "boolean", "date", "time", "datetime",
    "select", "radio", "checklist", "taglist", "list",
    "text", "html", "image", "spacer", "separator",
]  # fmt: skip
Source = Literal["formData", "formjs"]
Scalar = str | int | float | bool
DISPLAY_TYPES = frozenset({"text", "html", "image", "spacer", "separator"})
MULTI_TYPES = frozenset({"checklist", "taglist"})


class FormDefinitionError(ValueError):
    """A form (`.form` file or `camunda:formData`) that cannot be used; the message is Spanish."""


@dataclass(frozen=True)
class Option:
    value: Scalar
    label: str


@dataclass(frozen=True)
class FormField:
    key: str  # dotted data path for inputs; the component id for display items
    label: str
    type: FieldType
    required: bool = False
    readonly: bool = False
    default: Any = None
    default_expression: str | None = None  # formData `${…}` default, left to the runtime
    description: str | None = None
    options: tuple[Option, ...] = ()
    options_key: str | None = None  # form-js valuesKey: options read from task data
    options_expression: str | None = None
    min: int | float | str | None = None  # str only for dates (ISO)
    max: int | float | str | None = None
    min_length: int | None = None
    max_length: int | None = None
    pattern: str | None = None
    validation_type: Literal["email", "phone"] | None = None
    decimal_digits: int | None = None
    increment: str | None = None  # kept as text so decimal steps stay exact
    serialize_to_string: bool = False
    use_24h: bool = False
    disallow_past_dates: bool = False
    searchable: bool = False
    hide_if: str | None = None  # FEEL condition; cannot be evaluated here, so it relaxes `required`
    group: str | None = None
    text: str | None = None  # text/html content or image source of display items
    properties: Mapping[str, str] = field(default_factory=dict)
    fields: tuple[FormField, ...] = ()  # item fields of a dynamic list

    @property
    def is_input(self) -> bool:
        return self.type not in DISPLAY_TYPES

    def to_dict(self) -> dict[str, Any]:
        out = {f.name: copy.deepcopy(getattr(self, f.name)) for f in fields(self)}
        out["options"] = [{"value": o.value, "label": o.label} for o in self.options]
        out["properties"] = dict(self.properties)
        out["fields"] = [f.to_dict() for f in self.fields]
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormField:
        values = dict(data)
        values["options"] = tuple(Option(o["value"], o["label"]) for o in values.get("options", ()))
        values["fields"] = tuple(cls.from_dict(f) for f in values.get("fields", ()))
        return cls(**values)


@dataclass(frozen=True)
class FormSchema:
    form_id: str | None
    source: Source
    fields: tuple[FormField, ...]  # document order, display items included

    @property
    def inputs(self) -> tuple[FormField, ...]:
        return tuple(f for f in self.fields if f.is_input)

    def to_dict(self) -> dict[str, Any]:
        return {"form_id": self.form_id, "source": self.source, "fields": [f.to_dict() for f in self.fields]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FormSchema:
        fields_ = tuple(FormField.from_dict(f) for f in data["fields"])
        return cls(data.get("form_id"), data["source"], fields_)
