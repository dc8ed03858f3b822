"""What Camunda Modeler users write (JUEL `${…}`, raw ISO-8601 timers, FEEL) → Python for SpiffWorkflow.

Everything here runs at deploy time and raises ExpressionError (Spanish message) for text that cannot be
translated, so nothing untranslatable reaches run time. The emitted source calls the EXPRESSION_HELPERS,
which the script engine must put into its evaluation globals.
"""

from __future__ import annotations

import ast
import calendar
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from engine.modeling.cron import CronError, check_cron
from engine.modeling.feel import (
    feel_expression_to_python,
    feel_input_entry_to_python,
    feel_output_entry_to_python,
)
from engine.modeling.juel import ExpressionError, ExprParser, check_python, fail, py_str, restricted, tokenize

__all__ = [
    "EXPRESSION_HELPERS",
    "ExpressionError",
    "JodaDateTime",
    "JuelObject",
    "TimerKind",
    "expression_to_python",
    "feel_expression_to_python",
    "feel_input_entry_to_python",
    "feel_output_entry_to_python",
    "juel_call",
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
    if isinstance(obj, JuelObject):
        return obj.juel_property(key)
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


class JuelObject:
    """What an expression may call methods on besides plain values: the execution, a task, a DateTime."""

    def juel_method(self, name: str, args: tuple[Any, ...]) -> Any:
        raise AttributeError(name)

    def juel_property(self, name: str) -> Any:
        # JUEL reads `execution.processBusinessKey` as getProcessBusinessKey()
        return self.juel_method("get" + name[:1].upper() + name[1:], ())


class JodaDateTime(JuelObject):
    """Camunda's `dateTime()` (a Joda DateTime): plusDays(n)… and toDate() for due dates."""

    _UNITS = {
        "Years": "years", "Months": "months", "Weeks": "weeks", "Days": "days",
        "Hours": "hours", "Minutes": "minutes", "Seconds": "seconds",
    }  # fmt: skip

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __str__(self) -> str:
        return self.moment.isoformat()

    def juel_method(self, name: str, args: tuple[Any, ...]) -> Any:
        for sign, prefix in ((1, "plus"), (-1, "minus")):
            unit = self._UNITS.get(name.removeprefix(prefix)) if name.startswith(prefix) else None
            if unit is not None:
                (amount,) = args
                return JodaDateTime(_shift(self.moment, unit, sign * _integer(amount)))
        if name == "toDate":
            return self.moment
        if name == "withTimeAtStartOfDay":
            return JodaDateTime(self.moment.replace(hour=0, minute=0, second=0, microsecond=0))
        if name in ("isBefore", "isAfter", "equals", "compareTo"):
            return juel_call(self.moment, {"isBefore": "before", "isAfter": "after"}.get(name, name), *args)
        if name == "toString":
            return str(self)
        raise AttributeError(name)


def _shift(moment: datetime, unit: str, amount: int) -> datetime:
    if unit in ("years", "months"):  # Joda clamps the day: Jan 31 plus one month is Feb 28/29
        months = moment.month - 1 + amount * (12 if unit == "years" else 1)
        year, month = moment.year + months // 12, months % 12 + 1
        return moment.replace(
            year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1])
        )
    return moment + timedelta(**{unit: amount})


def _integer(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise TypeError(f"se esperaba un número entero, no {value!r}")
    return int(value)


def _moment_of(value: Any) -> datetime:
    if isinstance(value, JodaDateTime):
        return value.moment
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return value
    raise TypeError(f"se esperaba una fecha, no {value!r}")


def _java_equals(a: Any, b: Any) -> bool:
    # Java's equals compares type and value: "1".equals(1) and true.equals(1) are false.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return type(a) is type(b) and a == b
    return bool(a == b)


def _compare(a: Any, b: Any) -> int:
    return int(a > b) - int(a < b)


def _substring(text: str, begin: int, end: int | None = None) -> str:
    stop = len(text) if end is None else end
    if not 0 <= begin <= stop <= len(text):
        raise IndexError(f"substring({begin}, {stop}) fuera del texto de {len(text)} caracteres")
    return text[begin:stop]


def _sized(value: Any) -> int:
    if isinstance(value, str | list | dict):
        return len(value)
    raise TypeError(f"{type(value).__name__} no tiene tamaño")


_STRING_METHODS: dict[str, Callable[..., Any]] = {
    "equalsIgnoreCase": lambda s, o: isinstance(o, str) and s.casefold() == o.casefold(),
    "length": len,
    "startsWith": lambda s, p, offset=0: s.startswith(p, offset),
    "endsWith": lambda s, p: s.endswith(p),
    "toUpperCase": str.upper,
    "toLowerCase": str.lower,
    "trim": str.strip,
    "isBlank": lambda s: not s.strip(),
    "substring": _substring,
    "indexOf": lambda s, p, start=0: s.find(p, start),
    "lastIndexOf": lambda s, p: s.rfind(p),
    "replace": lambda s, a, b: s.replace(a, b),
    "concat": lambda s, o: s + o,
    "charAt": lambda s, i: s[i] if 0 <= i < len(s) else _raise(IndexError(f"charAt({i})")),
    "contains": lambda s, p: p in s,
    "before": lambda s, o: _moment_of(s) < _moment_of(o),  # dates are ISO text in the data here
    "after": lambda s, o: _moment_of(s) > _moment_of(o),
}
_COLLECTION_METHODS: dict[str, Callable[..., Any]] = {
    "contains": lambda c, x: any(_java_equals(x, item) for item in c),
    "get": lambda c, i: c[i] if 0 <= i < len(c) else _raise(IndexError(f"get({i})")),
    "indexOf": lambda c, x: next((i for i, item in enumerate(c) if _java_equals(x, item)), -1),
}
_MAP_METHODS: dict[str, Callable[..., Any]] = {
    "containsKey": lambda m, k: k in m,
    "containsValue": lambda m, v: any(_java_equals(v, item) for item in m.values()),
    "get": lambda m, k: m.get(k),
}
_DATE_METHODS: dict[str, Callable[..., Any]] = {
    "before": lambda d, o: d < _moment_of(o),
    "after": lambda d, o: d > _moment_of(o),
    "getTime": lambda d: int(d.timestamp() * 1000),
    "compareTo": lambda d, o: _compare(d, _moment_of(o)),
    "equals": lambda d, o: isinstance(o, datetime | JodaDateTime | str) and d == _moment_of(o),
    "toString": datetime.isoformat,
}
_ANY_METHODS: dict[str, Callable[..., Any]] = {
    "equals": _java_equals,
    "isEmpty": lambda v: _sized(v) == 0,
    "size": _sized,
    "toString": juel_str,
    "compareTo": _compare,
    "booleanValue": lambda v: v if isinstance(v, bool) else _raise(TypeError(f"{v!r} no es booleano")),
    "intValue": lambda v: int(v),
    "longValue": lambda v: int(v),
    "doubleValue": lambda v: float(v),
}


def _raise(error: Exception) -> Any:
    raise error


def juel_call(target: Any, name: str, *args: Any) -> Any:
    """`target.name(args)` in a JUEL expression: the Java method of the target's kind, or an error."""
    if isinstance(target, JuelObject):
        return target.juel_method(name, args)
    table: dict[str, Callable[..., Any]] = {}
    if isinstance(target, str):
        table = _STRING_METHODS
    elif isinstance(target, list):
        table = _COLLECTION_METHODS
    elif isinstance(target, dict):
        table = _MAP_METHODS
    elif isinstance(target, datetime):
        table = _DATE_METHODS
    method = table.get(name) or _ANY_METHODS.get(name)
    if target is None:
        raise TypeError(f"no se puede llamar '{name}()' sobre null (¿falta la variable?)")
    if method is None:
        raise TypeError(f"un valor {type(target).__name__} no tiene el método '{name}()'")
    return method(target, *args)


def juel_var(execution: Any, name: str) -> Any:
    """A variable whose name Python reserves (`continue`, `class`…), read from the execution."""
    return execution.juel_method("getVariable", (name,), strict=True)


EXPRESSION_HELPERS: dict[str, Callable[..., Any]] = {
    "juel_prop": juel_prop,
    "juel_empty": juel_empty,
    "juel_str": juel_str,
    "juel_call": juel_call,
    "juel_var": juel_var,
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
        try:  # Quartz cron, as Camunda accepts it (engine.modeling.cron)
            check_cron(source, UTC)
        except CronError as error:
            fail(source, str(error))
        return py_str(" ".join(source.split()))
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
