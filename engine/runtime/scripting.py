"""Restricted evaluation of BPMN scripts and expressions.

SpiffWorkflow evaluates script tasks, gateway conditions, timer expressions and DMN cells with plain
exec/eval. This environment compiles them with RestrictedPython instead: no imports, no dunder access,
no open/eval/exec/getattr/type, a vetted set of builtins, the helpers given to `make_script_engine`,
a cap on loop iterations, and the time and memory limits of `script_limits` (PHVA_SCRIPT_TIMEOUT,
PHVA_SCRIPT_MEMORY_MB). What a script leaves in the task data is held to the instance data limits
(engine.limits.DataLimits). Refusals are reported in Spanish.

What scripts get besides the vetted builtins: `datetime`, `date`, `timedelta`, `timezone` (values stored
in task data must still be JSON-native), `json_dumps`, `json_loads`, `floor`, `ceil`. `print` output is
logged at INFO on this module's logger (its first 64 KB). `make_script_engine` adds the JUEL/FEEL run-time
helpers (`engine.modeling.expressions.EXPRESSION_HELPERS`) to every engine.
"""

from __future__ import annotations

import ast
import builtins
import copy
import difflib
import functools
import json
import logging
import math
import operator
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from datetime import time as dt_time
from decimal import Decimal
from types import CodeType, TracebackType
from typing import Any, Literal

from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safe_builtins,
)
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.limits import DataLimits
from engine.modeling.expressions import EXPRESSION_HELPERS
from engine.modeling.sandbox import FORBIDDEN_CALLS
from engine.runtime.execution import expression_context
from engine.runtime.script_limits import (
    DEFAULT_MAX_ITERATIONS,
    BoundedPrintCollector,
    Budget,
    Guards,
    ScriptForbidden,
    ScriptLimitExceeded,
    ScriptLimits,
)
from engine.runtime.spiff_patches import ClockedDatetime

log = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MAX_ITERATIONS",
    "RestrictedEnvironment",
    "RestrictedScriptEngine",
    "ScriptForbidden",
    "ScriptLimitExceeded",
    "ScriptLimits",
    "ScriptTaskError",
    "check_expression",
    "check_script",
    "make_script_engine",
]

_FILENAME = "<script>"

Mode = Literal["exec", "eval"]


class ScriptTaskError(WorkflowTaskException):  # type: ignore[misc]
    """What the engine raises for a failing script or expression: `str()` is the Spanish message."""

    def __init__(
        self,
        message: str,
        task: Any,
        exception: Exception,
        line_number: int | None = None,
        error_line: str | None = None,
    ) -> None:
        super().__init__(
            message, task=task, exception=exception, line_number=line_number, error_line=error_line
        )
        self.message = message
        self.notes: list[str] = []  # the base class adds an English "Did you mean" note for NameError

    def __str__(self) -> str:
        return " ".join([self.message, *self.notes])


def _with_line(text: str, line: int | None) -> str:
    return f"{text} (línea {line})." if line else f"{text}."


# --- compile time -------------------------------------------------------------------------------------------

# Called by name these would be refused at run time anyway (not offered); refusing them at compile time
# gives check_script a clear message (expressions get the same refusal when translated at deploy).
_FORBIDDEN_CALLS = FORBIDDEN_CALLS

_SAFE_AUGASSIGN_NODES = (ast.Name, ast.Constant, ast.Attribute, ast.Subscript, ast.Slice, ast.expr_context)


class _Policy(RestrictingNodeTransformer):
    """RestrictedPython's transformer with Spanish errors, no imports or classes, and loop/call ticks."""

    def __init__(self, subject: str, allowed_names: frozenset[str]) -> None:
        super().__init__()
        self.subject = subject
        self.allowed_names = allowed_names
        self.located_errors: list[tuple[str, int | None]] = []

    def error(self, node: ast.AST, info: str) -> None:
        line = getattr(node, "lineno", None)
        self.errors.append(info)
        self.located_errors.append((_translate(info, self.subject), line))

    def check_name(self, node: Any, name: str | None, allow_magic_methods: bool = False) -> None:
        if name not in self.allowed_names:
            super().check_name(node, name, allow_magic_methods)

    def visit_Import(self, node: ast.Import) -> ast.AST:
        self.error(node, "import")
        return node

    def visit_ImportFrom(self, node: ast.ImportFrom) -> ast.AST:
        self.error(node, "import")
        return node

    def visit_ClassDef(self, node: ast.ClassDef) -> ast.AST:
        self.error(node, "class")
        return node

    def visit_Call(self, node: ast.Call) -> Any:
        if isinstance(node.func, ast.Name) and node.func.id in _FORBIDDEN_CALLS:
            self.error(node, f"call:{node.func.id}")
        return super().visit_Call(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> Any:
        # `totales[k] += 1` is common; with no call in the target, evaluating it twice is harmless.
        target = node.target
        if isinstance(target, ast.Subscript) and all(
            isinstance(n, _SAFE_AUGASSIGN_NODES) for n in ast.walk(target)
        ):
            load = ast.Subscript(copy.deepcopy(target.value), copy.deepcopy(target.slice), ast.Load())
            assign = ast.Assign(targets=[target], value=ast.BinOp(load, node.op, node.value))
            copy_locations(assign, node)
            ast.fix_missing_locations(assign)
            return self.visit(assign)
        return super().visit_AugAssign(node)

    def visit_While(self, node: ast.While) -> Any:
        node = self.node_contents_visit(node)
        node.body.insert(0, self._tick(node))
        return node

    def visit_FunctionDef(self, node: ast.FunctionDef) -> Any:
        new = super().visit_FunctionDef(node)
        if isinstance(new, ast.FunctionDef):
            new.body.insert(0, self._tick(new))
        return new

    def visit_Lambda(self, node: ast.Lambda) -> Any:
        new = super().visit_Lambda(node)
        if isinstance(new, ast.Lambda):
            new.body = ast.Call(ast.Name("_tick_", ast.Load()), [new.body], [])
            ast.fix_missing_locations(new)
        return new

    def visit_BinOp(self, node: ast.BinOp) -> Any:
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPERATORS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(ast.Name(guard, ast.Load()), [node.left, node.right], [])
        copy_locations(call, node)
        ast.fix_missing_locations(call)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> Any:
        node = self.node_contents_visit(node)
        if node.format_spec is None:
            return node
        # f'{x:>{n}}': the spec is text built at run time, so its widths are checked then, by _format_
        call = ast.Call(
            ast.Name("_format_", ast.Load()),
            [node.value, node.format_spec, ast.Constant(node.conversion)],
            [],
        )
        copy_locations(call, node)
        ast.fix_missing_locations(call)
        return ast.FormattedValue(call, -1, None)

    @staticmethod
    def _tick(node: ast.stmt) -> ast.stmt:
        # Counted like a for-loop iteration, so `while True` and runaway recursion hit the iteration cap.
        tick = ast.Expr(ast.Call(ast.Name("_tick_", ast.Load()), [], []))
        copy_locations(tick, node)
        return tick


# Operators that can take unbounded time or memory in one step: computed through script_limits.Guards.
_GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Add: "_add_",
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Mod: "_mod_",
}


def _translate(info: str, subject: str) -> str:
    quoted = info.split('"')[1] if info.count('"') >= 2 else ""
    if info == "import":
        return f"{subject} usa 'import', que no está permitido"
    if info == "class":
        return f"{subject} define una clase ('class'), que no está permitido"
    if info.startswith("call:"):
        return f"{subject} usa '{info[5:]}', que no está permitido"
    if "invalid attribute name because it starts" in info:
        return f"El acceso a atributos que empiezan por '_' no está permitido: '{quoted}'"
    if "invalid variable name because it starts" in info:
        return f"Los nombres que empiezan por '_' no están permitidos: '{quoted}'"
    if "restricted name" in info or "__roles__" in info:
        return f"El acceso a '{quoted}' no está permitido"
    if info in ("Exec calls are not allowed.", "Eval calls are not allowed."):
        return f"{subject} usa '{info.split()[0].lower()}', que no está permitido"
    if info.endswith("is a reserved name."):
        return f"'{quoted}' es un nombre reservado"
    if info.startswith("Augmented assignment"):
        return "'+=' y similares solo se permiten sobre variables o elementos x[k] con índices simples"
    if info.endswith("statements are not allowed."):
        return f"La instrucción '{info.split()[0]}' no está permitida"
    return f"{subject} usa una construcción no permitida: {info}"


@dataclass(frozen=True)
class _Compiled:
    code: CodeType | None
    used_names: frozenset[str]
    error: ScriptForbidden | None


@functools.lru_cache(maxsize=4096)
def _compile(source: str, mode: Mode, allowed_names: frozenset[str]) -> _Compiled:
    subject = "El script" if mode == "exec" else "La expresión"
    try:
        tree = ast.parse(source, _FILENAME, mode)
    except SyntaxError as err:
        text = f"{subject} tiene un error de sintaxis: {err.msg}"
        return _Compiled(None, frozenset(), ScriptForbidden(text, err.lineno))
    policy = _Policy(subject, allowed_names)
    tree = policy.visit(tree)
    if policy.located_errors:
        text, line = policy.located_errors[0]
        return _Compiled(None, frozenset(), ScriptForbidden(text, line))
    ast.fix_missing_locations(tree)  # the guard calls put in by _Policy
    return _Compiled(compile(tree, _FILENAME, mode), frozenset(policy.used_names), None)


def _code(source: str, mode: Mode, allowed_names: frozenset[str]) -> tuple[CodeType, frozenset[str]]:
    compiled = _compile(source, mode, allowed_names)
    if compiled.code is None:
        raise compiled.error or ScriptForbidden("No se pudo compilar")
    return compiled.code, compiled.used_names


def check_script(source: str, helper_names: Iterable[str] = ()) -> str | None:
    """Deploy-time check of a script task: the Spanish refusal, or None when it compiles."""
    error = _compile(source, "exec", _underscored(helper_names)).error
    return None if error is None else str(error)


def check_expression(source: str, helper_names: Iterable[str] = ()) -> str | None:
    """Deploy-time check of a condition, timer or DMN expression: the Spanish refusal, or None."""
    error = _compile(source, "eval", _underscored(helper_names)).error
    return None if error is None else str(error)


def _underscored(names: Iterable[str]) -> frozenset[str]:
    # Only helper names starting with '_' need an exception to RestrictedPython's name rule.
    return frozenset(name for name in names if name.startswith("_"))


# --- run time -----------------------------------------------------------------------------------------------


def _attribute_guard(guards: Guards) -> Callable[[Any, str], Any]:
    def guarded_getattr(ob: Any, name: str) -> Any:
        if name.startswith("_") or name in INSPECT_ATTRIBUTES or name == "mro":
            raise ScriptForbidden(f"El acceso al atributo '{name}' no está permitido")
        if name in ("format", "format_map") and (isinstance(ob, str) or ob is str):
            # str.format can reach attributes ('{0.__class__}'); f-strings go through the guards.
            raise ScriptForbidden("str.format no está permitido; use f-strings, por ejemplo f'{valor}'")
        return guards.method(ob, name) or getattr(ob, name)

    return guarded_getattr


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _capped_range(*args: int) -> range:
    # sum(), list() etc. iterate in C, unseen by the cap; range is the usual way to build a huge input.
    result = range(*args)
    if len(result) > DEFAULT_MAX_ITERATIONS:
        raise ScriptForbidden(f"range() de más de {DEFAULT_MAX_ITERATIONS} elementos no está permitido")
    return result


_REMOVED_BUILTINS = {
    "__build_class__", "setattr", "delattr", "_getattr_", "id", "hash",
    "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit",
}  # fmt: skip
_EXTRA_BUILTINS = [
    "dict", "list", "set", "frozenset", "tuple", "min", "max", "sum", "sorted", "reversed", "enumerate",
    "zip", "map", "filter", "any", "all", "next",
]  # fmt: skip

# C code such as datetime.strftime imports `time` through the frame's __import__; user code cannot
# name `__import__` (RestrictedPython refuses names starting with '_'), so this only serves the stdlib.
_INTERNAL_IMPORTS = frozenset({"time", "_strptime", "datetime", "math", "calendar", "locale"})


def _internal_import(name: str, *args: Any, **kwargs: Any) -> Any:
    if name not in _INTERNAL_IMPORTS:
        raise ScriptForbidden(f"El script usa 'import', que no está permitido ('{name}')")
    return builtins.__import__(name, *args, **kwargs)


_BUILTINS: dict[str, Any] = {
    **{name: value for name, value in safe_builtins.items() if name not in _REMOVED_BUILTINS},
    "__import__": _internal_import,
    **{name: getattr(builtins, name) for name in _EXTRA_BUILTINS},
    "range": _capped_range,
    "datetime": ClockedDatetime,  # datetime.now() follows the engine's clock, like timers do
    "date": date,
    "timedelta": timedelta,
    "timezone": timezone,
    "json_dumps": json.dumps,
    "json_loads": json.loads,
    "floor": math.floor,
    "ceil": math.ceil,
}


def _guards(limits: ScriptLimits) -> dict[str, Any]:
    guards = Guards(limits)
    builtins_ = {**_BUILTINS, "pow": guards.pow, "json_dumps": guards.json_dumps}
    return {
        "__builtins__": builtins_,
        "_getattr_": _attribute_guard(guards),
        "_getitem_": operator.getitem,
        "_write_": full_write_guard,
        "_inplacevar_": guards.inplace,
        "_apply_": _apply,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_print_": BoundedPrintCollector,
        "_add_": guards.add,
        "_mul_": guards.mul,
        "_pow_": guards.pow,
        "_lshift_": guards.lshift,
        "_mod_": guards.mod,
        "_format_": guards.format,
    }


_RESERVED_NAMES = frozenset({*_guards(ScriptLimits()), "_getiter_", "_tick_", "_print"})


_PLAIN_TYPES: tuple[type[Any], ...] = (bool, int, float, str, dict, list)


class _Stored:
    """Converts what a script leaves to JSON-native data within the instance data limits, naming the field.

    `size` estimates the JSON bytes as it goes (characters of texts and keys, a few bytes per number and
    separator), so a structure sharing references thousands of times over stops as soon as it passes the
    limit; the exact size is checked again when the instance is saved."""

    __slots__ = ("max_bytes", "max_depth", "max_string", "size")

    def __init__(self, limits: DataLimits) -> None:
        self.max_bytes = limits.max_kb * 1024
        self.max_depth = limits.max_depth
        self.max_string = limits.max_string
        self.size = 0

    def native(self, value: Any, path: str, depth: int = 1) -> Any:
        kind = type(value)
        if kind is str:
            if len(value) > self.max_string:
                raise self._over(
                    path, f"un texto de {len(value)} caracteres (el máximo es {self.max_string})"
                )
            self.size += len(value) + 3
            return value
        if value is None or kind is bool or kind is int or kind is float:
            self.size += 5
            return value
        if kind is dict or kind is list or kind is tuple or kind is set or kind is frozenset:
            if depth > self.max_depth:
                raise self._over(path, f"datos anidados a más de {self.max_depth} niveles")
            self.size += 2 + len(value)
            if self.size > self.max_bytes:
                raise self._over(path, f"más de {self.max_bytes // 1024} KB de datos")
            if kind is dict:
                self.size += sum(len(str(k)) + 3 for k in value)
                return {str(k): self.native(v, f"{path}.{k}", depth + 1) for k, v in value.items()}
            items = sorted(value, key=repr) if kind is set or kind is frozenset else value
            return [self.native(v, f"{path}[{i}]", depth + 1) for i, v in enumerate(items)]
        if isinstance(value, datetime | date | dt_time):
            return self.native(value.isoformat(), path, depth)
        if isinstance(value, Decimal):
            return self.native(float(value), path, depth)
        for plain in _PLAIN_TYPES:  # subclasses (an IntEnum, a named tuple…)
            if isinstance(value, plain):
                return self.native(plain(value), path, depth)
        if isinstance(value, tuple | set | frozenset):
            return self.native(list(value), path, depth)
        raise ScriptForbidden(
            f"El script deja en '{path}' un valor de tipo {type(value).__name__}, que no se puede guardar; "
            "use texto, números, listas u objetos"
        )

    def check_total(self) -> None:
        if self.size > self.max_bytes:
            raise ScriptLimitExceeded(
                f"El script deja unos {self.size // 1024} KB de datos en la instancia; el máximo es "
                f"{self.max_bytes // 1024} KB (PHVA_MAX_INSTANCE_DATA_KB)"
            )

    @staticmethod
    def _over(path: str, what: str) -> ScriptLimitExceeded:
        path = path if len(path) <= 80 else path[:80] + "…"
        return ScriptLimitExceeded(
            f"El script deja en '{path}' {what}, por encima de los límites de datos de una instancia"
        )


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's task-data environment, run through RestrictedPython; `globals` are the helpers."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
        limits: ScriptLimits | None = None,
        data_limits: DataLimits | None = None,
    ) -> None:
        super().__init__(dict(functions or {}))
        self.globals: dict[str, Callable[..., Any]]
        reserved = sorted(_RESERVED_NAMES.intersection(self.globals))
        if reserved:
            raise ValueError(f"Nombres de función reservados por el motor de scripts: {reserved}")
        self.limits = limits or ScriptLimits(max_iterations=max_iterations)
        self.data_limits = data_limits or DataLimits()
        self.max_iterations = self.limits.max_iterations
        self._guards = _guards(self.limits)
        self._allowed_names = _underscored(self.globals)

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code, used_names = _code(expression, "eval", self._allowed_names)
        budget = Budget(self.limits)
        try:
            return eval(code, self._namespace(used_names, context, external_context, budget))
        except (MemoryError, RecursionError) as error:
            raise self._resource_error(error) from error
        finally:
            budget.finish()

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code, used_names = _code(script, "exec", self._allowed_names)
        # A copy, so a script that fails half-way leaves the task data as it was and the retry starts clean.
        data = copy.deepcopy(context)
        budget = Budget(self.limits)
        namespace = self._namespace(used_names, data, external_context, budget)
        try:
            exec(code, namespace)
        except (MemoryError, RecursionError) as error:
            raise self._resource_error(error) from error
        finally:
            budget.finish()
        self._log_printed(namespace)
        for name, function in self.globals.items():
            if namespace.get(name) is not function and name not in data:
                raise ScriptForbidden(
                    f"El script asigna '{name}', que es el nombre de una función disponible; use otro nombre"
                )
        for key in [key for key in context if key not in namespace and not key.startswith("_")]:
            del context[key]  # the script ran `del key`
        external = external_context or {}
        stored = _Stored(self.data_limits)
        results = {
            key: stored.native(value, key)
            for key, value in namespace.items()
            if not (key.startswith("_") or callable(value) or (key in external and key not in data))
            and not isinstance(value, type)
        }
        stored.check_total()
        context.update(results)
        return True

    def _resource_error(self, error: BaseException) -> ScriptLimitExceeded:
        if isinstance(error, MemoryError):
            return ScriptLimitExceeded(self.limits.memory_text())
        return ScriptLimitExceeded("La recursión es demasiado profunda (¿una función que se llama sin fin?)")

    def _namespace(
        self,
        used_names: frozenset[str],
        data: Mapping[str, Any],
        external_context: Mapping[str, Any] | None,
        budget: Budget,
    ) -> dict[str, Any]:
        for name in used_names:
            if name in self.globals and name in data:
                raise ScriptForbidden(
                    f"'{name}' es a la vez un dato de la tarea y una función disponible para scripts y "
                    "expresiones; cambie el nombre del campo o variable"
                )
        namespace = dict(self.globals)
        if external_context:
            namespace.update(external_context)
        namespace.update(data)
        namespace.update(self._guards)  # after the data, so no data key can replace a guard
        namespace["_getiter_"] = budget.getiter
        namespace["_tick_"] = budget.tick
        return namespace

    @staticmethod
    def _log_printed(namespace: Mapping[str, Any]) -> None:
        collector = namespace.get("_print")
        if isinstance(collector, BoundedPrintCollector):
            log.info("Salida del script: %s", collector())


class RestrictedScriptEngine(PythonScriptEngine):  # type: ignore[misc]
    """PythonScriptEngine whose errors carry a Spanish message (`ScriptTaskError`)."""

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        try:
            context = expression_context(task, expression, external_context)  # JUEL's `execution`
            return self.environment.evaluate(expression, task.data, context)
        except SpiffWorkflowException:
            raise
        except Exception as err:
            message = f"Error al evaluar la expresión '{expression}': {_describe(err, task)}."
            raise ScriptTaskError(message, task=task, exception=err) from err

    def create_task_exec_exception(self, task: Any, script: str, err: Exception) -> Exception:
        if isinstance(err, SpiffWorkflowException):
            spiff_error: Exception = super().create_task_exec_exception(task, script, err)
            return spiff_error
        line = err.line_number if isinstance(err, ScriptForbidden) else None
        line = line or _script_line(err.__traceback__)
        lines = script.splitlines()
        error_line = lines[line - 1] if line and line <= len(lines) else ""
        message = _with_line(_describe(err, task), line)
        error = ScriptTaskError(message, task=task, exception=err, line_number=line, error_line=error_line)
        error.__cause__ = err
        return error


def _describe(err: Exception, task: Any) -> str:
    if isinstance(err, ScriptForbidden):
        return err.text
    if isinstance(err, NameError) and err.name:
        known = [*task.data, *_BUILTINS, *task.workflow.script_engine.environment.globals]
        close = difflib.get_close_matches(err.name, known, n=1)
        hint = f"; ¿quiso decir '{close[0]}'?" if close else ""
        return f"El nombre '{err.name}' no está definido{hint}"
    return f"{type(err).__name__}: {err}"


def _script_line(traceback: TracebackType | None) -> int | None:
    line = None
    while traceback is not None:
        if traceback.tb_frame.f_code.co_filename == _FILENAME:
            line = traceback.tb_lineno
        traceback = traceback.tb_next
    return line


def make_script_engine(
    functions: Mapping[str, Callable[..., Any]] | None = None,
    max_iterations: int = DEFAULT_MAX_ITERATIONS,
    limits: ScriptLimits | None = None,
    data_limits: DataLimits | None = None,
) -> PythonScriptEngine:
    """The engine for every workflow: EXPRESSION_HELPERS and `functions` are globals of every script."""
    environment = RestrictedEnvironment(
        {**EXPRESSION_HELPERS, **(functions or {})},
        max_iterations=max_iterations,
        limits=limits,
        data_limits=data_limits,
    )
    return RestrictedScriptEngine(environment=environment)
