"""Validating a submitted form: each value coerced to its field's type and checked against its constraints."""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import ROUND_FLOOR, Decimal
from typing import Any, cast

from engine.modeling.form_schema import MULTI_TYPES, FormField, FormSchema, Option, Scalar

REQUIRED = "Este campo es obligatorio."
MUST_CHECK = "Debe marcar esta casilla."
UNKNOWN = "Campo desconocido: no hace parte de este formulario."
NOT_TEXT = "Debe ser un texto."
NOT_INTEGER = "Debe ser un número entero."
NOT_NUMBER = "Debe ser un número (use punto para los decimales)."
NOT_BOOLEAN = "Debe ser sí o no."
NOT_DATE = "Escriba una fecha válida (AAAA-MM-DD)."
NOT_TIME = "Escriba una hora válida (HH:MM)."
NOT_DATETIME = "Escriba una fecha y hora válidas (AAAA-MM-DD HH:MM)."
NOT_OPTION = "Seleccione una de las opciones permitidas."
NOT_OPTIONS = "Debe ser una lista de opciones."
NOT_ITEMS = "Debe ser una lista de elementos."
NOT_EMAIL = "Escriba un correo electrónico válido."
NOT_PHONE = "Escriba un número de teléfono válido."
NOT_PATTERN = "No tiene el formato requerido."
PAST_DATE = "La fecha no puede ser anterior a hoy."

_INT = re.compile(r"[+-]?\d+")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DMY_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
_TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?(Z|[+-]\d{2}:\d{2})?")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s.]+")
_PHONE = re.compile(r"(\+|00)?\d{7,15}")
_TRUE = frozenset({"true", "on", "1", "yes", "si", "sí"})
_FALSE = frozenset({"false", "off", "0", "no"})
_LONG_RANGE = (-(2**63), 2**63 - 1)


class InvalidValue(Exception):
    pass


def defaults(schema: FormSchema, current: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Values to render, by field key: the current task value if any, else the form default."""
    out: dict[str, Any] = {}
    for f in schema.inputs:
        found, value = _lookup(current or {}, f.key)
        if found:
            out[f.key] = copy.deepcopy(value)
        elif f.default is not None:
            out[f.key] = copy.deepcopy(f.default)
    return out


def options_for(f: FormField, data: Mapping[str, Any]) -> tuple[Option, ...] | None:
    """The options a choice field offers given the task data; None when they are not known here."""
    return field_options(f, data)


def validate_submission(
    schema: FormSchema,
    submitted: Mapping[str, Any],
    current: Mapping[str, Any] | None = None,
    *,
    today: date | None = None,
) -> tuple[dict[str, Any], dict[str, str]]:
    """Clean data to merge (shallow update is safe) and one Spanish message per failing field key."""
    current = current or {}
    inputs = schema.inputs
    flat, unknown = _flatten(submitted, {f.key for f in inputs})
    errors = dict.fromkeys(unknown, UNKNOWN)
    clean: dict[str, Any] = {}
    value: Any
    for f in inputs:
        has_current, current_value = _lookup(current, f.key)
        if f.readonly or f.key not in flat:
            if not has_current or is_empty(current_value):
                if f.default is not None:
                    _put(clean, current, f.key, copy.deepcopy(f.default))
                elif f.required and not f.readonly and not f.hide_if:
                    errors[f.key] = REQUIRED
            continue
        raw = flat[f.key]
        if is_empty(raw):
            if f.required and not f.hide_if:
                errors[f.key] = MUST_CHECK if _is_checkbox(schema, f) else REQUIRED
            else:
                _put(clean, current, f.key, _empty(f))
            continue
        if f.type == "list":
            items, item_errors = _clean_list(schema, f, raw, current_value, today)
            if item_errors:
                errors.update(item_errors)
                continue
            value = items
        else:
            try:
                value = clean_value(f, raw, field_options(f, current), today)
            except InvalidValue as exc:
                errors[f.key] = str(exc)
                continue
        if f.required and value is False and _is_checkbox(schema, f):
            errors[f.key] = MUST_CHECK
        else:
            _put(clean, current, f.key, value)
    return clean, errors


def _is_checkbox(schema: FormSchema, f: FormField) -> bool:
    # form-js reads `required` on a checkbox as "must be checked"; Camunda formData only as "answered"
    return schema.source == "formjs" and f.type == "boolean"


def _clean_list(
    schema: FormSchema, f: FormField, raw: Any, current: Any, today: date | None
) -> tuple[list[dict[str, Any]], dict[str, str]]:
    if not isinstance(raw, list | tuple) or not all(isinstance(item, Mapping) for item in raw):
        return [], {f.key: NOT_ITEMS}
    previous = current if isinstance(current, list) else []
    item_schema = FormSchema(None, schema.source, f.fields)
    items: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for i, item in enumerate(raw):
        before = previous[i] if i < len(previous) and isinstance(previous[i], Mapping) else {}
        clean, item_errors = validate_submission(item_schema, item, before, today=today)
        items.append({**copy.deepcopy(dict(before)), **clean})
        errors.update({f"{f.key}[{i}].{key}": message for key, message in item_errors.items()})
    return items, errors


def clean_value(f: FormField, raw: Any, options: tuple[Option, ...] | None, today: date | None) -> Any:
    if f.type in ("select", "radio"):
        return _pick(options, raw)
    if f.type in MULTI_TYPES:
        chosen = [raw] if isinstance(raw, str) else raw
        if not isinstance(chosen, list | tuple):
            raise InvalidValue(NOT_OPTIONS)
        return [_pick(options, item) for item in chosen]
    if f.type == "boolean":
        return _to_bool(raw)
    if f.type == "long":
        value = to_int(raw)
        if not _LONG_RANGE[0] <= value <= _LONG_RANGE[1]:
            raise InvalidValue(NOT_INTEGER)
        _check_range(f, Decimal(value))
        return value
    if f.type == "number":
        return _clean_number(f, to_decimal(raw))
    if f.type in _TEMPORAL:
        parse, render = _TEMPORAL[f.type]
        moment = parse(raw)
        day = moment.date() if isinstance(moment, datetime) else moment
        if isinstance(day, date):
            _check_range(f, day)
            if f.disallow_past_dates and today is not None and day < today:
                raise InvalidValue(PAST_DATE)
        return render(moment)
    return _clean_text(f, raw)


def _clean_text(f: FormField, raw: Any) -> str:
    if not isinstance(raw, str):
        raise InvalidValue(NOT_TEXT)
    value = raw if f.type == "textarea" else raw.strip()
    if f.min_length is not None and len(value) < f.min_length:
        raise InvalidValue(f"Debe tener como mínimo {f.min_length} caracteres.")
    if f.max_length is not None and len(value) > f.max_length:
        raise InvalidValue(f"Debe tener como máximo {f.max_length} caracteres.")
    if f.validation_type == "email" and not _EMAIL.fullmatch(value):
        raise InvalidValue(NOT_EMAIL)
    if f.validation_type == "phone" and not _PHONE.fullmatch(re.sub(r"[\s().-]", "", value)):
        raise InvalidValue(NOT_PHONE)
    # form-js tests the pattern with RegExp.test, which searches rather than matching the whole value
    if f.pattern is not None and not re.search(f.pattern, value):
        raise InvalidValue(NOT_PATTERN)
    return value


def _clean_number(f: FormField, value: Decimal) -> int | float | str:
    _check_range(f, value)
    if f.decimal_digits is not None and -min(0, _exponent(value)) > f.decimal_digits:
        digits = f.decimal_digits
        raise InvalidValue(NOT_INTEGER if digits == 0 else f"Debe tener como máximo {digits} decimales.")
    if f.increment is not None and (step := Decimal(f.increment)) > 0 and value % step != 0:
        lower = (value / step).to_integral_value(rounding=ROUND_FLOOR) * step
        raise InvalidValue(
            f"Debe ser múltiplo de {_show(step)}; los valores válidos más cercanos son "
            f"{_show(lower)} y {_show(lower + step)}."
        )
    if f.serialize_to_string:
        return format(value, "f")
    return int(value) if value == value.to_integral_value() else float(value)


def _exponent(value: Decimal) -> int:
    return cast(int, value.normalize().as_tuple().exponent)


def _check_range(f: FormField, value: Decimal | date) -> None:
    # dates compare as day numbers so one comparison serves numbers and dates
    def number(limit: int | float | str | Decimal | date) -> Decimal:
        if isinstance(value, date):
            return Decimal((limit if isinstance(limit, date) else date.fromisoformat(str(limit))).toordinal())
        return Decimal(str(limit))

    if f.min is not None and number(value) < number(f.min):
        raise InvalidValue(f"Debe ser como mínimo {_show(f.min)}.")
    if f.max is not None and number(value) > number(f.max):
        raise InvalidValue(f"Debe ser como máximo {_show(f.max)}.")


def _show(value: int | float | str | Decimal) -> str:
    if isinstance(value, str):
        return value
    return format(Decimal(str(value)).normalize(), "f")


def _pick(options: tuple[Option, ...] | None, raw: Any) -> Scalar:
    if not isinstance(raw, Scalar):
        raise InvalidValue(NOT_OPTION)
    if options is None:
        return raw
    for option in options:
        if type(option.value) is type(raw) and option.value == raw:
            return option.value
    # HTML forms send every option value back as text
    for option in options:
        if isinstance(raw, str) and _as_text(option.value) == raw.strip():
            return option.value
    raise InvalidValue(NOT_OPTION)


def _as_text(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def field_options(f: FormField, data: Mapping[str, Any]) -> tuple[Option, ...] | None:
    if f.options_expression:
        return None
    if not f.options_key:
        return f.options
    found, listed = _lookup(data, f.options_key)
    if not found or not isinstance(listed, list):
        return None
    return tuple(
        Option(item["value"], str(item.get("label", item["value"])))
        if isinstance(item, Mapping) and "value" in item
        else Option(item, str(item))
        for item in listed
    )


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, str | int) else ""
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise InvalidValue(NOT_BOOLEAN)


def to_int(raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str) and _INT.fullmatch(raw.strip()):
        return int(raw.strip())
    raise InvalidValue(NOT_INTEGER)


def to_decimal(raw: Any) -> Decimal:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return Decimal(raw)
    if isinstance(raw, float) and raw == raw and abs(raw) != float("inf"):
        return Decimal(repr(raw))
    if isinstance(raw, str) and _NUMBER.fullmatch(raw.strip()):
        return Decimal(raw.strip())
    raise InvalidValue(NOT_NUMBER)


def _parser(pattern: re.Pattern[str], parse: Callable[[str], Any], message: str) -> Callable[[Any], Any]:
    def run(raw: Any) -> Any:
        text = raw.strip() if isinstance(raw, str) else ""
        if pattern.fullmatch(text):
            try:
                return parse(text.replace("Z", "+00:00"))
            except ValueError:
                pass
        raise InvalidValue(message)

    return run


def _dmy_or_iso(text: str) -> date:
    found = _DMY_DATE.fullmatch(text)
    return date(int(found[3]), int(found[2]), int(found[1])) if found else date.fromisoformat(text)


def _minutes(moment: time | datetime) -> str:
    return moment.isoformat(timespec="minutes" if not (moment.second or moment.microsecond) else "seconds")


# Camunda's own date format is dd/MM/yyyy; everything is stored as ISO 8601
to_date = _parser(re.compile(f"{_ISO_DATE.pattern}|{_DMY_DATE.pattern}"), _dmy_or_iso, NOT_DATE)
_TEMPORAL: dict[str, tuple[Callable[[Any], Any], Callable[[Any], str]]] = {
    "date": (to_date, date.isoformat),
    "time": (_parser(_TIME, time.fromisoformat, NOT_TIME), _minutes),
    "datetime": (_parser(_DATETIME, datetime.fromisoformat, NOT_DATETIME), _minutes),
}


def is_empty(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value in ([], ())


def _empty(f: FormField) -> Any:
    if f.type in ("string", "textarea"):
        return ""
    return [] if f.type in MULTI_TYPES or f.type == "list" else None


def _lookup(data: Mapping[str, Any], key: str) -> tuple[bool, Any]:
    node: Any = data
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _flatten(submitted: Mapping[str, Any], keys: set[str]) -> tuple[dict[str, Any], list[str]]:
    """Accept nested objects (API) and dotted names (HTML) alike; anything else is an unknown key."""
    flat: dict[str, Any] = {}
    unknown: list[str] = []

    def walk(prefix: str, mapping: Mapping[str, Any]) -> None:
        for name, value in mapping.items():
            key = f"{prefix}{name}"
            if key in keys:
                flat[key] = value
            elif isinstance(value, Mapping) and any(k.startswith(key + ".") for k in keys):
                walk(key + ".", value)
            else:
                unknown.append(key)

    walk("", submitted)
    return flat, unknown


def _put(clean: dict[str, Any], current: Mapping[str, Any], key: str, value: Any) -> None:
    # a nested key starts from a copy of the current object, so merging `clean` keeps its other members
    if "." not in key:
        clean[key] = value
        return
    head, *middle, last = key.split(".")
    if head not in clean:
        base = current.get(head)
        clean[head] = copy.deepcopy(dict(base)) if isinstance(base, Mapping) else {}
    node = clean[head]
    for part in middle:
        if not isinstance(node.get(part), dict):
            node[part] = {}
        node = node[part]
    node[last] = value
