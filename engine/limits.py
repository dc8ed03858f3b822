"""Bounds on what any entry point accepts: integers that fit a bigint, text without NUL bytes or lone surrogates,
JSON data without NaN and not nested past a depth. Checked before anything is written, so a hostile value gets a
message and changes nothing, on SQLite as on PostgreSQL (which refuses NUL bytes and out-of-range integers)."""

from __future__ import annotations

import math
from typing import Any

from engine.errors import BadInput

BIGINT_MAX = 2**63 - 1
MAX_DEPTH = 32  # nesting of lists and objects in instance data, task variables and request bodies
MAX_PAGE = 1_000_000  # list pages: past this nobody is paging, and page × size stays far from a bigint
MAX_OFFSET = 1_000_000_000
KEY_LENGTH = 200  # process keys, business keys and message names (their columns hold 200 characters)


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
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, str):
            problem = text_problem(value)
            if problem:
                return f"un texto {problem}"
        elif isinstance(value, bool) or value is None:
            continue
        elif isinstance(value, float):
            if not math.isfinite(value):
                return "un número no finito (NaN o Infinity), que JSON no admite"
        elif isinstance(value, int):
            if abs(value) > BIGINT_MAX:
                return f"un entero fuera de rango (máximo ±{BIGINT_MAX})"
        elif isinstance(value, dict | list | tuple):
            if depth > max_depth:
                return f"datos anidados a más de {max_depth} niveles"
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for key, item in items:
                if isinstance(key, str):
                    problem = text_problem(key)
                    if problem:
                        return f"un nombre de campo que {problem}"
                stack.append((item, depth + 1))
    return None


def check_data(data: Any, field: str = "data") -> Any:
    problem = data_problem(data)
    if problem:
        raise BadInput(f"Los datos no se aceptan: contienen {problem}.", {field: f"Contiene {problem}."})
    return data


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
