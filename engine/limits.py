"""Bounds on what any entry point accepts: integers that fit a bigint, text without NUL bytes or lone surrogates,
JSON data without NaN, not nested past a depth, with no text past a length and not larger than a total size.
Checked before anything is written, so a hostile value gets a message and changes nothing, on SQLite as on
PostgreSQL (which refuses NUL bytes and out-of-range integers). A value over a size limit is a 422 (exit 2)
naming the field; a malformed one (NUL, NaN, surrogate) a 400."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

from engine.errors import BadInput, ValidationFailed

BIGINT_MAX = 2**63 - 1
MAX_DEPTH = 32  # nesting of lists and objects in instance data, task variables and request bodies
MAX_PAGE = 1_000_000  # list pages: past this nobody is paging, and page × size stays far from a bigint
MAX_OFFSET = 1_000_000_000
KEY_LENGTH = 200  # process keys, business keys and message names (their columns hold 200 characters)
MAX_STRING = (
    100_000  # characters in one text of instance data (about 50 pages; a PQRSD's text is far shorter)
)
MAX_DATA_KB = 1024  # an instance's data as JSON (UTF-8)


@dataclass(frozen=True)
class DataLimits:
    """What one instance's data may hold (PHVA_MAX_INSTANCE_DATA_KB, PHVA_MAX_DATA_DEPTH, PHVA_MAX_STRING_LENGTH)."""

    max_kb: int = MAX_DATA_KB
    max_depth: int = MAX_DEPTH
    max_string: int = MAX_STRING


@dataclass(frozen=True)
class DataIssue:
    """Why data is refused: `path` names the field (a.b[2]); `over_limit` marks size limits (422, not 400)."""

    text: str
    path: str
    over_limit: bool

    @property
    def field(self) -> str:
        """The top-level field the problem is in (the key of a form's or body's details)."""
        return self.path.split(".")[0].split("[")[0]

    def where(self) -> str:
        path = self.path if len(self.path) <= 80 else self.path[:80] + "…"
        return f" en '{path}'" if path else ""


def text_problem(value: str) -> str | None:
    """Why a text can't be stored, or None: PostgreSQL refuses NUL, and UTF-8 can't encode a lone surrogate."""
    if "\x00" in value:
        return "contiene un carácter nulo (\\0)"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "contiene un carácter Unicode inválido (sustituto suelto)"
    return None


def check_text(value: str, field: str) -> str:
    problem = text_problem(value)
    if problem:
        raise BadInput(f"'{field}' {problem}.", {field: f"El texto {problem}."})
    return value


def check_key(value: str | None, field: str, label: str) -> str | None:
    """A key-like text (business key, message name): storable and at most KEY_LENGTH characters."""
    if value is None:
        return None
    check_text(value, field)
    if len(value) > KEY_LENGTH:
        raise BadInput(
            f"{label} admite hasta {KEY_LENGTH} caracteres (tiene {len(value)}).",
            {field: f"Máximo {KEY_LENGTH} caracteres."},
        )
    return value


def data_problem(data: Any, max_depth: int = MAX_DEPTH) -> str | None:
    """Why JSON-like data can't be accepted, or None. Iterative, so depth itself can't exhaust the stack."""
    issue = data_issue(data, DataLimits(max_depth=max_depth, max_string=_NO_LIMIT, max_kb=_NO_LIMIT))
    return None if issue is None else issue.text


_NO_LIMIT = 2**62


def data_issue(data: Any, limits: DataLimits | None = None) -> DataIssue | None:
    """The first reason `data` can't be stored, naming its field; size last (one json.dumps, in C)."""
    limits = limits or DataLimits()
    issue = _first_issue(data, limits, False)  # fields are named only once there is something to name
    if issue is not None:
        return _first_issue(data, limits, True) or issue
    if limits.max_kb < _NO_LIMIT:
        size = json_size(data)
        if size > limits.max_kb * 1024:
            text = f"{_kb(size)} KB de datos (el máximo es {limits.max_kb} KB)"
            return DataIssue(text, "", True)
    return None


def _first_issue(data: Any, limits: DataLimits, paths: bool) -> DataIssue | None:
    stack: list[tuple[Any, int, str]] = [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return DataIssue(f"un texto {problem}", path, False)
            if len(value) > limits.max_string:
                text = f"un texto de {len(value)} caracteres (el máximo es {limits.max_string})"
                return DataIssue(text, path, True)
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, float):
            if not math.isfinite(value):
                return DataIssue("un número no finito (NaN o Infinity), que JSON no admite", path, False)
        elif isinstance(value, int):
            if abs(value) > BIGINT_MAX:
                return DataIssue(f"un entero fuera de rango (máximo ±{BIGINT_MAX})", path, False)
        elif isinstance(value, dict | list | tuple):
            if depth > limits.max_depth:
                return DataIssue(f"datos anidados a más de {limits.max_depth} niveles", path, True)
            if isinstance(value, dict):
                for key, item in value.items():
                    if isinstance(key, str):
                        problem = text_problem(key)
                        if problem:
                            return DataIssue(f"un nombre de campo que {problem}", path, False)
                    stack.append((item, depth + 1, (f"{path}.{key}" if path else str(key)) if paths else ""))
            elif paths:
                stack.extend((item, depth + 1, f"{path}[{i}]") for i, item in enumerate(value))
            else:
                stack.extend((item, depth + 1, "") for item in value)
    return None


def json_size(data: Any) -> int:
    """Bytes of `data` as stored (JSON, UTF-8, no spaces)."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str)
    return len(text.encode("utf-8", "surrogatepass"))


def _kb(size: int) -> str:
    return f"{size / 1024:.0f}" if size >= 10 * 1024 else f"{size / 1024:.1f}"


def check_data(data: Any, field: str = "data", limits: DataLimits | None = None) -> Any:
    issue = data_issue(data, limits)
    if issue is None:
        return data
    name = issue.field or field
    message = f"Los datos no se aceptan: contienen {issue.text}{issue.where()}."
    error = ValidationFailed if issue.over_limit else BadInput
    raise error(message, {name: f"Contiene {issue.text}."})


def bounded_int(
    raw: str | None, field: str, default: int, *, minimum: int = 0, maximum: int = BIGINT_MAX
) -> int:
    """An integer from query-string text within [minimum, maximum]; anything else is a clear BadInput."""
    text = (raw or "").strip()
    if not text:
        return default
    if not (text.isdecimal() or (text[0] == "-" and text[1:].isdecimal())) or len(text) > 20:
        raise BadInput(f"'{field}' debe ser un número entero.", {field: "Debe ser un número entero."})
    value = int(text)
    if not minimum <= value <= maximum:
        raise BadInput(
            f"'{field}' está fuera de rango (entre {minimum} y {maximum}).",
            {field: f"Debe estar entre {minimum} y {maximum}."},
        )
    return value
