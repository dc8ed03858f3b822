"""Time and memory limits for scripts and expressions, checked inside the evaluating thread.

Two halves. A deadline and an iteration budget, checked at every loop iteration and function call the
restricted compiler ticks (the per-evaluation `Budget`), with the process's resident memory sampled on the
way; and guards on the operations that can take unbounded time or memory in one C call between two ticks:
`**`/`pow`, `*` (sequence repetition and big integers), `<<`, `+` of sequences, `%` and f-string formats
with huge widths, and the str/list methods that grow their result (`replace`, `ljust`, `join`, `extend`…).
Each guard refuses before allocating, so a bomb ends as a Spanish error within the limit, and the step
holding a database transaction releases it.

A step (one `advance` of an instance) shares one time budget across all its evaluations (`limited_step`),
so a process that loops through many slow scripts stops as soon as their total reaches the limit.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from time import perf_counter
from typing import Any

DEFAULT_TIMEOUT = 2.0
DEFAULT_MEMORY_MB = 256
DEFAULT_MAX_ITERATIONS = 1_000_000
MAX_INT_BITS = (
    65_536  # about 19,700 digits: far past any amount, and every operation on it takes microseconds
)
MAX_POWMOD_BITS = 2_048  # pow(a, b, m): modular exponentiation stays in milliseconds (RSA-sized)
PRINT_LIMIT = 64 * 1024  # characters of print output kept for the log
_MEMORY_SAMPLE_SECONDS = 0.002  # how often a tick reads the resident memory (≈3 µs a read)


class ScriptForbidden(Exception):
    """A script or expression tried something the restricted engine refuses; `str()` is the Spanish text."""

    def __init__(self, text: str, line_number: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.line_number = line_number

    def __str__(self) -> str:
        return f"{self.text} (línea {self.line_number})." if self.line_number else f"{self.text}."


class ScriptLimitExceeded(ScriptForbidden):
    """A time, memory or size limit was reached: the evaluation stops and the step becomes an incident."""


@dataclass(frozen=True)
class ScriptLimits:
    """PHVA_SCRIPT_TIMEOUT (seconds, wall clock ≥ CPU) and PHVA_SCRIPT_MEMORY_MB for each step's scripts."""

    timeout: float = DEFAULT_TIMEOUT
    memory_mb: int = DEFAULT_MEMORY_MB
    max_iterations: int = DEFAULT_MAX_ITERATIONS

    @property
    def max_length(self) -> int:
        # Characters or items of one value: a list of them, or a split into small strings, still fits.
        return self.memory_mb * 2**20 // 64

    def time_text(self) -> str:
        seconds = f"{self.timeout:g}".replace(".", ",")
        return (
            f"Se superó el límite de tiempo de {seconds} s para scripts y expresiones (PHVA_SCRIPT_TIMEOUT)"
        )

    def memory_text(self) -> str:
        return (
            f"Se superó el límite de memoria de {self.memory_mb} MB para scripts y expresiones "
            "(PHVA_SCRIPT_MEMORY_MB)"
        )


# ---- the step's shared time budget --------------------------------------------------------------------------


class _StepClock:
    __slots__ = ("spent",)

    def __init__(self) -> None:
        self.spent = 0.0


_step: ContextVar[_StepClock | None] = ContextVar("phva_script_step", default=None)


@contextmanager
def limited_step() -> Iterator[None]:
    """Every evaluation inside shares one time budget (the engine's limit), however many run."""
    if _step.get() is not None:  # nested: the outer step's budget goes on
        yield
        return
    token = _step.set(_StepClock())
    note_memory()  # one reading per step: the base for its evaluations' memory limit
    try:
        yield
    finally:
        _step.reset(token)


# ---- resident memory ----------------------------------------------------------------------------------------


def _rss_reader() -> Callable[[], int] | None:
    try:
        fd = os.open("/proc/self/statm", os.O_RDONLY)
    except OSError:  # not Linux: the guards alone bound memory
        return None
    page = os.sysconf("SC_PAGE_SIZE")

    def rss() -> int:
        return int(os.pread(fd, 64, 0).split()[1]) * page

    return rss


_rss = _rss_reader()
_last_rss: list[float] = [
    0.0,
    0.0,
]  # (when, bytes): the memory before an evaluation, read ≤ 20 times a second


def _recent_rss(started: float, current: int) -> int:
    """The resident memory as the evaluation began: a reading from just before it if one is recent, else
    the present one (2 ms of ticking late). Reading it for every evaluation would cost more than most do."""
    when, value = _last_rss
    if started - 0.05 <= when <= started:
        return int(value)
    return current


def note_memory() -> None:
    """Read the resident memory now, as the base for evaluations starting in the next 50 ms."""
    if _rss is not None:
        _last_rss[:] = [perf_counter(), float(_rss())]


# ---- one evaluation -----------------------------------------------------------------------------------------


class Budget:
    """Iterations and time left for one evaluation; once a limit is hit every further tick fails, even
    after an `except`, and `finish` raises it again so a script that swallowed it still fails."""

    __slots__ = ("_rss_base", "deadline", "failure", "left", "limits", "next_check", "started")

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.left = limits.max_iterations
        self.started = perf_counter()
        step = _step.get()
        self.deadline = self.started + limits.timeout - (step.spent if step is not None else 0.0)
        self.next_check = self.started + _MEMORY_SAMPLE_SECONDS
        self.failure: ScriptForbidden | None = None
        self._rss_base: int | None = None

    def tick(self, value: Any = None) -> Any:
        self.left -= 1
        if self.left < 0 or perf_counter() > self.next_check:
            self._check()
        return value

    def getiter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.left -= 1
            if self.left < 0 or perf_counter() > self.next_check:
                self._check()
            yield item

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure
        if self.left < 0:
            self._fail(ScriptForbidden(f"Se superó el límite de {self.limits.max_iterations} iteraciones "
                                       "(¿un ciclo infinito?)"))  # fmt: skip
        now = perf_counter()
        if now > self.deadline:
            self._fail(ScriptLimitExceeded(self.limits.time_text()))
        self.next_check = min(self.deadline, now + _MEMORY_SAMPLE_SECONDS)
        if _rss is not None:
            current = _rss()
            if self._rss_base is None:
                self._rss_base = _recent_rss(self.started, current)
            if current - self._rss_base > self.limits.memory_mb * 2**20:
                self._fail(ScriptLimitExceeded(self.limits.memory_text()))

    def _fail(self, error: ScriptForbidden) -> None:
        self.failure = error
        raise error

    def finish(self) -> None:
        """After the evaluation (also after a failure): charge the step and re-raise a swallowed limit."""
        step = _step.get()
        if step is not None:
            step.spent += perf_counter() - self.started
        if self.failure is not None:
            raise self.failure


# ---- guards on single operations ----------------------------------------------------------------------------

_SEQUENCES = (str, bytes, list, tuple, bytearray)
_FORMAT_NUMBER = re.compile(r"\d+")
_PERCENT_SPEC = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?")


class Guards:
    """The operations the compiler routes through here (`_add_`, `_mul_`…), bound to one engine's limits."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.max_length = limits.max_length

    def too_big(self, what: str) -> ScriptLimitExceeded:
        return ScriptLimitExceeded(
            f"{what}: más de lo que admite el límite de memoria de {self.limits.memory_mb} MB para scripts y "
            "expresiones (PHVA_SCRIPT_MEMORY_MB)"
        )

    def _int_too_big(self, bits: int, what: str) -> ScriptLimitExceeded:
        return ScriptLimitExceeded(
            f"{what} daría un entero de unos {bits} bits, por encima del límite de {MAX_INT_BITS} bits "
            "(unos 19.700 dígitos) para scripts y expresiones"
        )

    def _length(self, length: int, what: str) -> None:
        if length > self.max_length:
            raise self.too_big(f"{what} de {length} elementos")

    # binary operators
    def add(self, a: Any, b: Any) -> Any:
        result = a + b
        if isinstance(result, _SEQUENCES) and len(result) > self.max_length:
            raise self.too_big(f"Un texto o lista de {len(result)} elementos")
        return result

    def mul(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int):
            bits = a.bit_length() + b.bit_length()
            if bits > MAX_INT_BITS:
                raise self._int_too_big(bits, "La multiplicación")
        elif isinstance(a, _SEQUENCES) and isinstance(b, int):
            self._length(len(a) * b, "Repetir un texto o lista da un valor")
        elif isinstance(b, _SEQUENCES) and isinstance(a, int):
            self._length(len(b) * a, "Repetir un texto o lista da un valor")
        return a * b

    def pow(self, base: Any, exponent: Any, modulus: Any = None) -> Any:
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0:
            if modulus is not None:
                if (
                    isinstance(modulus, int)
                    and max(exponent.bit_length(), modulus.bit_length()) > MAX_POWMOD_BITS
                ):
                    raise ScriptLimitExceeded(
                        f"pow(a, b, m) supera el límite de {MAX_POWMOD_BITS} bits para b y m en scripts y "
                        "expresiones"
                    )
                return pow(base, exponent, modulus)
            if abs(base) > 1:
                bits = base.bit_length() * exponent
                if bits > MAX_INT_BITS:
                    raise self._int_too_big(bits, "La potencia")
        return pow(base, exponent) if modulus is None else pow(base, exponent, modulus)

    def lshift(self, a: Any, b: Any) -> Any:
        if isinstance(a, int) and isinstance(b, int) and a and b > 0:
            bits = a.bit_length() + b
            if bits > MAX_INT_BITS:
                raise self._int_too_big(bits, "El desplazamiento <<")
        return a << b

    def mod(self, a: Any, b: Any) -> Any:
        if isinstance(a, str):  # printf-style formatting: '%1000000000d' would allocate a gigabyte
            for star_width, star_precision in _PERCENT_SPEC.findall(a):
                for number in (star_width, star_precision):
                    if number == "*":
                        raise ScriptForbidden(
                            "El ancho '*' en formatos con % no está permitido; use f-strings"
                        )
                    if number and int(number) > self.max_length:
                        raise self.too_big(f"Un formato de ancho {number}")
            return self.add("", a % b)
        return a % b

    def inplace(self, op: str, target: Any, value: Any) -> Any:
        if op == "+=":
            if isinstance(target, list) and isinstance(value, list | tuple):
                self._length(len(target) + len(value), "Una lista")
            return self.add(target, value) if not isinstance(target, list) else _iadd(target, value)
        if op == "*=":
            return self.mul(target, value) if not isinstance(target, list) else self._imul(target, value)
        if op == "**=":
            return self.pow(target, value)
        if op == "<<=":
            return self.lshift(target, value)
        if op == "%=":
            return self.mod(target, value)
        return _INPLACE[op](target, value)

    def _imul(self, target: list[Any], value: Any) -> Any:
        if isinstance(value, int):
            self._length(len(target) * value, "Repetir una lista da un valor")
        target *= value
        return target

    def format(self, value: Any, spec: str, conversion: int) -> str:
        """An f-string field with a format spec ({x:>10}, {x:.2f}): widths and precisions are bounded."""
        for number in _FORMAT_NUMBER.findall(spec):
            if int(number) > self.max_length:
                raise self.too_big(f"Un formato de ancho {number}")
        if conversion == ord("r"):
            value = repr(value)
        elif conversion == ord("s"):
            value = str(value)
        elif conversion == ord("a"):
            value = ascii(value)
        return format(value, spec)

    # methods that grow their result, reached through the attribute guard
    def method(self, obj: Any, name: str) -> Callable[..., Any] | None:
        if isinstance(obj, str):
            grow = _STR_GROWERS.get(name)
            if grow is not None:
                return lambda *args, **kwargs: grow(self, obj, *args, **kwargs)
        elif isinstance(obj, list) and name == "extend":
            return lambda items: self._extend(obj, items)
        return None

    def _extend(self, target: list[Any], items: Iterable[Any]) -> None:
        if not isinstance(items, list | tuple | str | dict | set | frozenset | range):
            items = list(items)
        self._length(len(target) + len(items), "Una lista")
        target.extend(items)

    def json_dumps(self, value: Any, *args: Any, **kwargs: Any) -> str:
        indent = kwargs.get("indent", args[4] if len(args) > 4 else None)
        if (isinstance(indent, int) and indent > 64) or (isinstance(indent, str) and len(indent) > 64):
            raise ScriptForbidden("json_dumps admite una sangría (indent) de hasta 64")
        text: str = self.add("", json.dumps(value, *args, **kwargs))
        return text


def _iadd(target: list[Any], value: Any) -> list[Any]:
    target += value
    return target


def _replace(guards: Guards, s: str, old: str, new: str, count: int = -1) -> str:
    if isinstance(old, str) and isinstance(new, str) and len(new) > len(old):
        times = s.count(old) if old else len(s) + 1
        if count is not None and count >= 0:
            times = min(times, count)
        guards._length(len(s) + times * (len(new) - len(old)), "replace() da un texto")
    return s.replace(old, new, count)


def _widen(method: str) -> Callable[..., str]:
    def widen(guards: Guards, s: str, width: int, *args: Any) -> str:
        if isinstance(width, int):
            guards._length(width, f"{method}() da un texto")
        result: str = getattr(s, method)(width, *args)
        return result

    return widen


def _expandtabs(guards: Guards, s: str, tabsize: int = 8) -> str:
    if isinstance(tabsize, int):
        guards._length(len(s) + s.count("\t") * max(tabsize, 0), "expandtabs() da un texto")
    return s.expandtabs(tabsize)


def _join(guards: Guards, sep: str, items: Iterable[Any]) -> str:
    parts = items if isinstance(items, list | tuple) else list(items)
    if all(isinstance(part, str) for part in parts):
        guards._length(sum(map(len, parts)) + len(sep) * max(len(parts) - 1, 0), "join() da un texto")
    return sep.join(parts)


def _translate(guards: Guards, s: str, table: Any) -> str:
    if isinstance(table, dict):
        longest = max((len(v) for v in table.values() if isinstance(v, str)), default=1)
        guards._length(len(s) * max(longest, 1), "translate() da un texto")
    return s.translate(table)


def _encode(guards: Guards, s: str, *args: Any, **kwargs: Any) -> bytes:
    guards._length(len(s) * 4, "encode() da un valor")
    return s.encode(*args, **kwargs)


_STR_GROWERS: dict[str, Callable[..., Any]] = {
    "replace": _replace,
    "ljust": _widen("ljust"),
    "rjust": _widen("rjust"),
    "center": _widen("center"),
    "zfill": _widen("zfill"),
    "expandtabs": _expandtabs,
    "join": _join,
    "translate": _translate,
    "encode": _encode,
}


def _sub(a: Any, b: Any) -> Any:
    return a - b


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": _sub,
    "/=": lambda a, b: a / b,
    "//=": lambda a, b: a // b,
    ">>=": lambda a, b: a >> b,
    "|=": lambda a, b: a | b,
    "^=": lambda a, b: a ^ b,
    "&=": lambda a, b: a & b,
}


# ---- print output -------------------------------------------------------------------------------------------


class BoundedPrintCollector:
    """RestrictedPython's print target, keeping at most PRINT_LIMIT characters (the rest is counted)."""

    def __init__(self, _getattr_: Any = None) -> None:
        self.txt: list[str] = []
        self.kept = 0
        self.dropped = 0
        self._getattr_ = _getattr_

    def write(self, text: str) -> None:
        room = PRINT_LIMIT - self.kept
        if room > 0:
            self.txt.append(text[:room])
            self.kept += min(len(text), room)
        self.dropped += max(len(text) - max(room, 0), 0)

    def __call__(self) -> str:
        text = "".join(self.txt)
        return f"{text}… ({self.dropped} caracteres más omitidos)" if self.dropped else text

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        if kwargs.get("file") is not None:
            raise ScriptForbidden("print(file=…) no está permitido")
        kwargs["file"] = self
        print(*objects, **kwargs)
