"""Restricted evaluation of BPMN scripts and expressions.

SpiffWorkflow evaluates script tasks, gateway conditions, timer expressions and DMN cells with plain
exec/eval. This environment compiles them with RestrictedPython instead: no imports, no dunder access,
no open/eval/exec/getattr/type, a vetted set of builtins, the helpers given to `make_script_engine`,
and a cap on loop iterations. Refusals are reported in Spanish.

What scripts get besides the vetted builtins: `datetime`, `date`, `timedelta`, `timezone` (values stored
in task data must still be JSON-native), `json_dumps`, `json_loads`, `floor`, `ceil`. `print` output is
logged at INFO on this module's logger. `make_script_engine` adds the JUEL/FEEL run-time helpers
(`engine.modeling.expressions.EXPRESSION_HELPERS`) to every engine.
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
from collections.abc import Callable, Iterable, Iterator, Mapping
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
from RestrictedPython.PrintCollector import PrintCollector
from RestrictedPython.transformer import INSPECT_ATTRIBUTES, RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.modeling.expressions import EXPRESSION_HELPERS
from engine.runtime.execution import expression_context
from engine.runtime.spiff_patches import ClockedDatetime

log = logging.getLogger(__name__)

DEFAULT_MAX_ITERATIONS = 1_000_000
_FILENAME = "<script>"

Mode = Literal["exec", "eval"]


class ScriptForbidden(Exception):
    """A script or expression tried something the restricted engine refuses; `str()` is the Spanish text."""

    def __init__(self, text: str, line_number: int | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.line_number = line_number

    def __str__(self) -> str:
        return _with_line(self.text, self.line_number)


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
# gives check_script a clear message.
_FORBIDDEN_CALLS = frozenset(
    {
        "open", "compile", "globals", "locals", "vars", "getattr", "setattr", "delattr",
        "hasattr", "type", "dir", "input", "breakpoint", "help", "exit", "quit", "memoryview", "super",
        "object", "iter", "classmethod", "staticmethod", "property",
    }
)  # fmt: skip

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

    @staticmethod
    def _tick(node: ast.stmt) -> ast.stmt:
        # Counted like a for-loop iteration, so `while True` and runaway recursion hit the iteration cap.
        tick = ast.Expr(ast.Call(ast.Name("_tick_", ast.Load()), [], []))
        copy_locations(tick, node)
        return tick


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


def _guarded_getattr(ob: Any, name: str) -> Any:
    if name.startswith("_") or name in INSPECT_ATTRIBUTES or name == "mro":
        raise ScriptForbidden(f"El acceso al atributo '{name}' no está permitido")
    if name in ("format", "format_map") and (isinstance(ob, str) or ob is str):
        # str.format can reach attributes ('{0.__class__}'); f-strings go through the guards.
        raise ScriptForbidden("str.format no está permitido; use f-strings, por ejemplo f'{valor}'")
    return getattr(ob, name)


_INPLACE_OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "+=": operator.iadd,
    "-=": operator.isub,
    "*=": operator.imul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": operator.imod,
    "**=": operator.ipow,
    "<<=": operator.ilshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
}


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    return _INPLACE_OPERATORS[op](target, value)


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

_GUARDS: dict[str, Any] = {
    "__builtins__": _BUILTINS,
    "_getattr_": _guarded_getattr,
    "_getitem_": operator.getitem,
    "_write_": full_write_guard,
    "_inplacevar_": _inplacevar,
    "_apply_": _apply,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_print_": PrintCollector,
}
_RESERVED_NAMES = frozenset({*_GUARDS, "_getiter_", "_tick_", "_print"})


class _Budget:
    """Iterations left for one run; once spent every further tick fails, even after an `except`."""

    __slots__ = ("left", "limit")

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.left = limit

    def tick(self, value: Any = None) -> Any:
        self.left -= 1
        if self.left < 0:
            self._exceeded()
        return value

    def getiter(self, iterable: Iterable[Any]) -> Iterator[Any]:
        for item in iterable:
            self.left -= 1
            if self.left < 0:
                self._exceeded()
            yield item

    def _exceeded(self) -> None:
        raise ScriptForbidden(f"Se superó el límite de {self.limit} iteraciones (¿un ciclo infinito?)")


def _json_native(value: Any, path: str) -> Any:
    """Task data stays JSON: dates become ISO text, tuples and sets lists; anything else is refused."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    if isinstance(value, datetime | date | dt_time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _json_native(v, f"{path}.{k}") for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = sorted(value, key=repr) if isinstance(value, set | frozenset) else value
        return [_json_native(v, f"{path}[{i}]") for i, v in enumerate(items)]
    raise ScriptForbidden(
        f"El script deja en '{path}' un valor de tipo {type(value).__name__}, que no se puede guardar; "
        "use texto, números, listas u objetos"
    )


class RestrictedEnvironment(TaskDataEnvironment):  # type: ignore[misc]
    """SpiffWorkflow's task-data environment, run through RestrictedPython; `globals` are the helpers."""

    def __init__(
        self,
        functions: Mapping[str, Callable[..., Any]] | None = None,
        max_iterations: int = DEFAULT_MAX_ITERATIONS,
    ) -> None:
        super().__init__(dict(functions or {}))
        self.globals: dict[str, Callable[..., Any]]
        reserved = sorted(_RESERVED_NAMES.intersection(self.globals))
        if reserved:
            raise ValueError(f"Nombres de función reservados por el motor de scripts: {reserved}")
        self.max_iterations = max_iterations
        self._allowed_names = _underscored(self.globals)

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code, used_names = _code(expression, "eval", self._allowed_names)
        return eval(code, self._namespace(used_names, context, external_context))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code, used_names = _code(script, "exec", self._allowed_names)
        # A copy, so a script that fails half-way leaves the task data as it was and the retry starts clean.
        data = copy.deepcopy(context)
        namespace = self._namespace(used_names, data, external_context)
        exec(code, namespace)
        self._log_printed(namespace)
        for name, function in self.globals.items():
            if namespace.get(name) is not function and name not in data:
                raise ScriptForbidden(
                    f"El script asigna '{name}', que es el nombre de una función disponible; use otro nombre"
                )
        for key in [key for key in context if key not in namespace and not key.startswith("_")]:
            del context[key]  # the script ran `del key`
        external = external_context or {}
        results = {
            key: _json_native(value, key)
            for key, value in namespace.items()
            if not (key.startswith("_") or callable(value) or (key in external and key not in data))
            and not isinstance(value, type)
        }
        context.update(results)
        return True

    def _namespace(
        self, used_names: frozenset[str], data: Mapping[str, Any], external_context: Mapping[str, Any] | None
    ) -> dict[str, Any]:
        for name in used_names:
            if name in self.globals and name in data:
                raise ScriptForbidden(
                    f"'{name}' es a la vez un dato de la tarea y una función disponible para scripts y "
                    "expresiones; cambie el nombre del campo o variable"
                )
        budget = _Budget(self.max_iterations)
        namespace = dict(self.globals)
        if external_context:
            namespace.update(external_context)
        namespace.update(data)
        namespace.update(_GUARDS)  # after the data, so no data key can replace a guard
        namespace["_getiter_"] = budget.getiter
        namespace["_tick_"] = budget.tick
        return namespace

    @staticmethod
    def _log_printed(namespace: Mapping[str, Any]) -> None:
        collector = namespace.get("_print")
        if isinstance(collector, PrintCollector):
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
) -> PythonScriptEngine:
    """The engine for every workflow: EXPRESSION_HELPERS and `functions` are globals of every script."""
    environment = RestrictedEnvironment(
        {**EXPRESSION_HELPERS, **(functions or {})}, max_iterations=max_iterations
    )
    return RestrictedScriptEngine(environment=environment)
