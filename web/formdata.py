"""Between HTML forms and form schemas: what a browser posts, and what a form shows again."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.datastructures import MultiDict

from web import markdown
from web.formatting import as_text

MULTI = {"checklist", "taglist"}
DISPLAY = {"text", "html", "image", "spacer", "separator"}
NOT_IN_HTML = {"list"}  # dynamic lists are filled through the API; the page shows them read-only


def inputs(schema: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    if not schema:
        return []
    return [f for f in schema["fields"] if f["type"] not in DISPLAY and f["type"] not in NOT_IN_HTML]


def submission(schema: Mapping[str, Any] | None, form: MultiDict[str, str]) -> dict[str, Any]:
    """Only the schema's fields; unticked checkboxes are absent from a post, so absence means False."""
    out: dict[str, Any] = {}
    for f in inputs(schema):
        key = f["key"]
        if f["readonly"]:
            continue
        if f["type"] == "boolean":
            out[key] = key in form
        elif f["type"] in MULTI:
            out[key] = form.getlist(key)
        elif key in form:
            out[key] = form[key]
    return out


def shown_values(
    schema: Mapping[str, Any] | None, values: Mapping[str, Any], typed: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Text (or list of texts, or a bool) per field: what the user typed wins over stored values."""
    out: dict[str, Any] = {}
    for f in inputs(schema):
        key = f["key"]
        value = values[key] if key in values else (typed or {}).get(key)
        if f["type"] == "boolean":
            out[key] = value is True or as_text(value) in {"true", "on", "1"}
        elif f["type"] in MULTI:
            out[key] = [as_text(v) for v in value] if isinstance(value, list) else []
        elif f["type"] == "datetime" and isinstance(value, str):
            out[key] = value[:16]  # datetime-local shows minutes, without a zone
        else:
            out[key] = as_text(value)
    return out


def sections(schema: Mapping[str, Any] | None) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Consecutive fields of one form-js group become one fieldset."""
    out: list[tuple[str | None, list[dict[str, Any]]]] = []
    for f in (schema or {}).get("fields", []):
        if out and out[-1][0] == f.get("group"):
            out[-1][1].append(f)
        else:
            out.append((f.get("group"), [f]))
    return out


def field_errors(details: Mapping[str, str], schema: Mapping[str, Any] | None) -> dict[str, str]:
    """Errors keyed by the field they belong to (list item errors go to their list)."""
    keys = {f["key"] for f in (schema or {}).get("fields", [])}
    out: dict[str, str] = {}
    for key, message in details.items():
        owner = key if key in keys else key.split("[", 1)[0]
        out.setdefault(owner, message)
    return out


def rendered_text(
    groups: list[tuple[str | None, list[dict[str, Any]]]],
) -> list[tuple[str | None, list[dict[str, Any]]]]:
    """Form-js text components hold Markdown: shown rendered (a safe subset), never as "##"."""
    return [
        (
            group,
            [{**f, "text": markdown.to_html(f.get("text"))} if f["type"] == "text" else f for f in fields],
        )
        for group, fields in groups
    ]
