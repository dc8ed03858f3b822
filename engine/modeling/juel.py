"""Tokenizer and recursive-descent parser for the JUEL and FEEL subsets: emits Python, evaluates nothing."""

from __future__ import annotations

import ast
import keyword
import re
import unicodedata
import warnings
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, NoReturn

from RestrictedPython.compile import compile_restricted_eval

from engine.modeling.sandbox import forbidden_call

Dialect = Literal["juel", "feel"]
TokenKind = Literal["num", "str", "name", "op", "end"]


class ExpressionError(ValueError):
    """An expression that cannot be translated; the message (es-CO) names the text and the fault."""


class NotPythonEither(ExpressionError):
    """A fault no Python reading can cure (a bad date, a forbidden name): DMN cells must not fall back."""


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    value: str
    pos: int


# Longest first, so that "==" is read before "=" and ".." before ".".
_JUEL_OPS, _FEEL_OPS = (
    "&& || == != <= >= < > ! + - * / % ? : ( ) [ ] . , }",
    ".. ** != <= >= = < > + - * / ? ( ) [ ] . ,",
)
_OPS: dict[Dialect, tuple[str, ...]] = {"juel": tuple(_JUEL_OPS.split()), "feel": tuple(_FEEL_OPS.split())}
_OP_HINTS: dict[Dialect, dict[str, str]] = {
    "juel": {"=": "para comparar use '==' o 'eq'", "&": "use '&&' o 'and'", "|": "use '||' o 'or'"},
    "feel": {"==": "en FEEL la igualdad se escribe '='"},
}
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_ESCAPES: dict[Dialect, dict[str, str]] = {
    "juel": {"\\": "\\", "'": "'", '"': '"'},
    "feel": {"\\": "\\", "'": "'", '"': '"', "n": "\n", "t": "\t", "r": "\r"},
}
_JUEL_WORDS = {"and", "or", "not", "eq", "ne", "lt", "gt", "le", "ge", "div", "mod", "empty", "instanceof"}
_FEEL_UNSUPPORTED = {"then", "else", "between", "some", "every", "satisfies", "instance", "of", "function"}
_JUEL_COMPARE = {"==": "==", "eq": "==", "!=": "!=", "ne": "!="}
_JUEL_RELATE = {"<": "<", "lt": "<", ">": ">", "gt": ">", "<=": "<=", "le": "<=", ">=": ">=", "ge": ">="}
_FEEL_COMPARE = {"=": "==", "!=": "!=", "<": "<", ">": ">", "<=": "<=", ">=": ">="}
_ADD = {"+": "+", "-": "-"}
_LEVELS: dict[Dialect, tuple[dict[str, str], ...]] = {
    "juel": (
        {"||": "or", "or": "or"},
        {"&&": "and", "and": "and"},
        _JUEL_COMPARE,
        _JUEL_RELATE,
        _ADD,
        {"*": "*", "/": "/", "div": "/", "%": "%", "mod": "%"},
    ),
    "feel": ({"or": "or"}, {"and": "and"}, _FEEL_COMPARE, _ADD, {"*": "*", "/": "/"}),
}
_UNDERSCORE = "los nombres que empiezan por '_' no están permitidos ('{}')"
_METHOD_CALL = "no se permiten llamadas a métodos; solo funciones por nombre, p. ej. f(a, b)"
# The Java methods Camunda models call in JUEL (String, Collection, Map, Date, Joda DateTime, Boolean,
# Number, DelegateExecution, DelegateTask); expressions.juel_call runs them. Anything else is refused.
JUEL_METHODS = frozenset(
    {
        "equals", "equalsIgnoreCase", "isEmpty", "size", "length", "contains", "containsKey",
        "containsValue", "get", "startsWith", "endsWith", "toUpperCase", "toLowerCase", "trim", "substring",
        "indexOf", "lastIndexOf", "replace", "concat", "charAt", "isBlank", "toString", "compareTo",
        "booleanValue", "intValue", "longValue", "doubleValue",
        "before", "after", "getTime", "toDate",
        "plusYears", "plusMonths", "plusWeeks", "plusDays", "plusHours", "plusMinutes", "plusSeconds",
        "minusYears", "minusMonths", "minusWeeks", "minusDays", "minusHours", "minusMinutes", "minusSeconds",
        "isBefore", "isAfter", "isBeforeNow", "isAfterNow", "withTimeAtStartOfDay",
        "getVariable", "getVariableLocal", "getVariables", "hasVariable", "hasVariableLocal",
        "setVariable", "setVariableLocal", "removeVariable", "getProcessBusinessKey", "getBusinessKey",
        "getProcessInstanceId", "getId", "getCurrentActivityId", "getCurrentActivityName", "getEventName",
        "getActivityInstanceId", "getProcessDefinitionId", "getTaskDefinitionKey", "getName", "getAssignee",
        "getPriority", "getDueDate", "getExecution",
    }
)  # fmt: skip
# Functions Camunda offers by name in JUEL: dateTime() is a Joda DateTime, now() a java.util.Date.
_JUEL_FUNCTIONS = {"dateTime": "juel_datetime", "now": "juel_now"}


def fail(source: str, detail: str, final: bool = False) -> NoReturn:
    raise (NotPythonEither if final else ExpressionError)(f"Expresión inválida '{source}': {detail}")


def py_str(value: str) -> str:
    # Quotes and '?' are hex-escaped so SpiffWorkflow's DMN '?' substitution regex never misreads a literal.
    out = []
    for ch in value:
        if ch in "'\"?\\" or not ch.isprintable():
            code = ord(ch)
            out.append(
                f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"
            )
        else:
            out.append(ch)
    return "'" + "".join(out) + "'"


def check_name(source: str, name: str) -> None:
    if name.startswith("_"):
        fail(source, _UNDERSCORE.format(name), final=True)
    if name in ("True", "False", "None"):
        fail(source, f"'{name}' no es un literal; use true, false o null")
    if keyword.iskeyword(name):
        fail(source, f"'{name}' es una palabra reservada de Python; cambie el nombre de la variable")


def tokenize(source: str, text: str, start: int, dialect: Dialect) -> list[Token]:
    """Tokens from text[start:]; a JUEL '}' token ends the run (the end of a ${…} block)."""
    tokens: list[Token] = []
    i = start
    while i < len(text):
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch in "'\"":
            value, end = _read_string(source, text, i, dialect)
            tokens.append(Token("str", value, i))
            i = end
        elif match := _NUMBER.match(text, i):
            tokens.append(Token("num", match.group(), i))
            i = match.end()
        elif ch.isidentifier():
            j = i + 1
            while j < len(text) and ("a" + text[j]).isidentifier():
                j += 1
            # Python folds identifiers to NFKC when compiling; check and emit the folded name.
            tokens.append(Token("name", unicodedata.normalize("NFKC", text[i:j]), i))
            i = j
        else:
            for hint, message in _OP_HINTS[dialect].items():
                longer = any(len(op) >= len(hint) and text.startswith(op, i) for op in _OPS[dialect])
                if text.startswith(hint, i) and not longer:
                    fail(source, f"'{hint}' no es un operador válido: {message}")
            op = next((op for op in _OPS[dialect] if text.startswith(op, i)), None)
            if op is None:
                fail(source, f"carácter inesperado '{ch}'")
            tokens.append(Token("op", op, i))
            i += len(op)
            if op == "}":
                return tokens
    tokens.append(Token("end", "", i))
    return tokens


def _read_string(source: str, text: str, i: int, dialect: Dialect) -> tuple[str, int]:
    quote, j = text[i], i + 1
    chars: list[str] = []
    while j < len(text):
        ch = text[j]
        if ch == quote:
            return "".join(chars), j + 1
        if ch == "\\":
            nxt = text[j + 1 : j + 2]
            if dialect == "feel" and nxt == "u" and re.fullmatch(r"[0-9a-fA-F]{4}", text[j + 2 : j + 6]):
                chars.append(chr(int(text[j + 2 : j + 6], 16)))
                j += 6
                continue
            if nxt not in _ESCAPES[dialect]:
                fail(source, f"secuencia de escape inválida '\\{nxt}' en un texto")
            chars.append(_ESCAPES[dialect][nxt])
            j += 2
            continue
        chars.append(ch)
        j += 1
    fail(source, f"falta la comilla de cierre ({quote}) del texto")


def check_python(source: str, text: str) -> ast.Expression:
    try:
        with warnings.catch_warnings():  # "1and x" warns; the user sees our error or nothing
            warnings.simplefilter("ignore", SyntaxWarning)
            tree = ast.parse(text, mode="eval")
    except SyntaxError as exc:
        fail(source, f"no es una expresión Python válida ({exc.msg})")
    for node in ast.walk(tree):
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else ""
        if name.startswith("_"):
            fail(source, _UNDERSCORE.format(name), final=True)
    return tree


def restricted(source: str, python: str) -> str:
    """The emitted Python, once the restricted script engine's compiler accepts it (DMN '?' included)."""
    errors = compile_restricted_eval(python.replace("?", "dmninputexpr")).errors if python else ()
    if errors:
        fail(source, f"el motor de scripts restringido no lo permite ({errors[0]})", final=True)
    called = forbidden_call(python) if python else None
    if called:
        fail(source, f"usa '{called}', que no está permitido en expresiones", final=True)
    return python


def number_literal(text: str) -> str:
    return str(int(text)) if text.isdecimal() else repr(float(text))


def iso_literal(source: str, func: str, value: str) -> str:
    try:
        if func == "date":
            date.fromisoformat(value)
        else:
            datetime.fromisoformat(value)
    except ValueError:
        fail(source, f"'{value}' no es una fecha válida para {func}(…)", final=True)
    return py_str(value)


class ExprParser:
    """One expression grammar per dialect; each method returns Python source for the parsed piece."""

    def __init__(self, source: str, tokens: list[Token], dialect: Dialect, allow_input: bool = False) -> None:
        self.source, self.tokens, self.dialect, self.allow_input = source, tokens, dialect, allow_input
        self.i = 0
        self.uses_input = False

    # -- token helpers
    def peek(self, ahead: int = 0) -> Token:
        return self.tokens[min(self.i + ahead, len(self.tokens) - 1)]

    def at(self, *values: str) -> bool:
        tok = self.peek()
        return tok.kind in ("op", "name") and tok.value in values

    def take(self) -> Token:
        tok = self.peek()
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        if not self.at(value):
            tok = self.peek()
            found = "el final de la expresión" if tok.kind == "end" else f"'{tok.value}'"
            fail(self.source, f"se esperaba '{value}' y se encontró {found}")
        self.take()

    def missing_operand(self) -> NoReturn:
        tok, prev = self.peek(), self.tokens[self.i - 1] if self.i else None
        after_operator = prev is not None and (prev.kind == "op" or prev.value in _JUEL_WORDS | {"and", "or"})
        if prev is not None and after_operator and prev.value not in (")", "]"):
            fail(self.source, f"falta un operando después de '{prev.value}'")
        if tok.kind == "end" or tok.value == "}":
            fail(self.source, "expresión vacía" if prev is None else "la expresión está incompleta")
        if prev is None:
            fail(self.source, f"falta un operando antes de '{tok.value}'")
        fail(self.source, f"'{tok.value}' inesperado")

    def finish(self) -> None:
        tok = self.peek()
        if tok.kind != "end" and tok.value != "}":
            fail(self.source, f"falta un operador antes de '{tok.value}'")

    # -- precedence, loosest first; JUEL adds a ternary on top, FEEL an `if` and `**` below
    def expression(self) -> str:
        if self.dialect == "feel":
            return self.feel_expression()
        cond = self.chain(_LEVELS["juel"])
        if not self.at("?"):
            return cond
        self.take()
        then = self.expression()
        self.expect(":")
        return f"({then} if {cond} else {self.expression()})"

    def chain(self, levels: tuple[dict[str, str], ...]) -> str:
        if not levels:
            return self.unary()
        ops, tighter = levels[0], levels[1:]
        left = self.chain(tighter)
        while self.at(*ops):
            left = f"({left} {ops[self.take().value]} {self.chain(tighter)})"
            if ops is _FEEL_COMPARE:
                break  # FEEL comparisons do not chain
        return left

    def additive(self) -> str:
        return self.chain(_LEVELS[self.dialect][-2:])

    def unary(self) -> str:
        if self.at("-"):
            self.take()
            return f"(-{self.unary()})"
        if self.dialect == "feel":
            left = self.value()
            while self.at("**"):
                self.take()
                left = f"({left} ** {self.unary()})"
            return left
        if self.at("!", "not"):
            self.take()
            return f"(not {self.unary()})"
        if self.at("empty"):
            self.take()
            return f"juel_empty({self.unary()})"
        return self.value()

    def value(self) -> str:
        plain = self.peek().kind == "name"
        function = self.peek().value if plain else ""
        result = self.primary()
        suffixes = (".", "[", "(") if self.dialect == "juel" else (".", "(")  # FEEL filters a[…] unsupported
        while self.at(*suffixes):
            tok = self.take()
            if tok.value == "(":
                if not plain:
                    fail(self.source, _METHOD_CALL)
                if self.dialect == "juel" and function in _JUEL_FUNCTIONS:
                    result = _JUEL_FUNCTIONS[function]
                result = f"{result}({self.arguments()})"
            elif tok.value == ".":
                name = self.take()
                if name.kind != "name":
                    fail(self.source, "se esperaba un nombre de propiedad después de '.'")
                if name.value.startswith("_"):
                    fail(self.source, _UNDERSCORE.format(name.value), final=True)
                if self.dialect == "juel" and self.at("("):
                    result = self.method_call(result, name.value)
                else:
                    result = f"juel_prop({result}, {py_str(name.value)})"
            else:
                index = self.expression()
                self.expect("]")
                result = f"juel_prop({result}, {index})"
            plain = False
        return result

    def method_call(self, target: str, method: str) -> str:
        if method not in JUEL_METHODS:
            fail(
                self.source,
                f"el método '{method}(…)' no está soportado; se admiten los de texto, listas, mapas y fechas "
                "(equals, isEmpty, size, contains, startsWith, toUpperCase, plusDays, toDate…) y "
                "execution.getVariable / setVariable / getProcessBusinessKey",
            )
        self.take()
        arguments = self.arguments()
        return f"juel_call({target}, {py_str(method)}{', ' if arguments else ''}{arguments})"

    def arguments(self, closing: str = ")") -> str:
        items: list[str] = []
        while not self.at(closing):
            if items:
                self.expect("," if self.at(",") else closing)
            items.append(self.expression())
        self.take()
        return ", ".join(items)

    def primary(self) -> str:
        tok = self.peek()
        if tok.kind == "num":
            self.take()
            return number_literal(tok.value)
        if tok.kind == "str":
            self.take()
            return py_str(tok.value)
        if self.at("("):
            self.take()
            inner = self.expression()
            self.expect(")")
            return inner
        if tok.kind == "name":
            literal = {"true": "True", "false": "False", "null": "None"}.get(tok.value)
            if literal is not None:
                self.take()
                return literal
            if self.dialect == "feel":
                return self.feel_primary(tok)
            if tok.value in _JUEL_WORDS:
                self.missing_operand()
            if keyword.iskeyword(tok.value) and tok.value not in ("True", "False", "None"):
                self.take()  # `continue`, `class`… are fine JUEL names: read them from the execution
                return f"juel_var(execution, {py_str(tok.value)})"
            check_name(self.source, tok.value)
            self.take()
            return tok.value
        if self.dialect == "feel" and self.at("?"):
            if not self.allow_input:
                fail(self.source, "'?' (el valor de la entrada) solo se usa en las celdas de entrada")
            self.take()
            self.uses_input = True
            return "?"
        if self.dialect == "feel" and self.at("["):
            self.take()
            items = self.arguments("]")
            return f"[{items}]"
        self.missing_operand()

    # -- FEEL-only pieces
    def feel_expression(self) -> str:
        if not self.at("if"):
            return self.chain(_LEVELS["feel"])
        self.take()
        cond = self.feel_expression()
        self.expect("then")
        then = self.feel_expression()
        self.expect("else")
        return f"({then} if {cond} else {self.feel_expression()})"

    def feel_primary(self, tok: Token) -> str:
        name = tok.value
        if name == "not" and self.peek(1).value == "(":
            self.take()
            self.take()
            inner = self.feel_expression()
            self.expect(")")
            return f"(not {inner})"
        if name == "date" and [self.peek(k).value for k in (1, 2, 3)] == ["and", "time", "("]:
            self.i += 2
            return self.feel_date("date and time")
        if name == "date" and self.peek(1).value == "(":
            return self.feel_date("date")
        if name in _FEEL_UNSUPPORTED or name in ("and", "or", "not", "if"):
            if name in ("and", "or", "not"):
                self.missing_operand()
            fail(self.source, f"la construcción FEEL '{name}' no está soportada")
        check_name(self.source, name)
        self.take()
        return name

    def feel_date(self, func: str) -> str:
        self.take()
        self.expect("(")
        arg = self.take()
        if arg.kind != "str":
            fail(self.source, f'{func}(…) solo acepta un texto fijo, p. ej. {func}("2026-01-01")')
        self.expect(")")
        return iso_literal(self.source, func, arg.value)
