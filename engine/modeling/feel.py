"""FEEL (DMN 1.3, as Camunda Modeler writes it) → Python text for SpiffWorkflow's DMN engine.

SpiffWorkflow evaluates an input entry that contains '?' as a boolean Python expression with '?' bound to
the input value (DMNEngine.evaluate), so every FEEL unary test becomes such an expression.

Rule for each cell: FEEL first (the supported subset below); a cell that is not FEEL but is valid for
SpiffWorkflow's own Python cells (an expression, or an operator tail such as `in ("a", "b")`) is kept as it
was; anything else is an ExpressionError. Text that reads as both (`"a","b"`, `not("a")`) is FEEL.
"""

from __future__ import annotations

import re

from engine.modeling.juel import (
    ExpressionError,
    ExprParser,
    NotPythonEither,
    check_python,
    fail,
    restricted,
    tokenize,
)

# The same pattern SpiffWorkflow uses to find '?' outside quotes (dmn/engine/DMNEngine.py).
_SPIFF_INPUT = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
_COMPARISONS = ("<", "<=", ">", ">=")


def feel_input_entry_to_python(text: str) -> str:
    """Python for an input entry (unary tests); '' means "any value" (FEEL '-' or an empty cell)."""
    source = text.strip()
    if source in ("", "-"):
        return ""
    try:
        return restricted(source, _unary_tests(source))
    except NotPythonEither:
        raise
    except ExpressionError as feel_error:
        python = _keep_python(source, feel_error, input_entry=True)
        # SpiffWorkflow glues an operator tail to the input without a space ("xin (…)"): make '?' explicit.
        return restricted(source, f"? {source}" if python.startswith("dmninputexpr ") else source)


def feel_output_entry_to_python(text: str) -> str:
    """Python for an output entry; an empty cell is FEEL null."""
    source = text.strip()
    return feel_expression_to_python(source) if source else "None"


def feel_expression_to_python(text: str) -> str:
    """Python for a FEEL expression without '?' (input expressions, output entries)."""
    source = text.strip()
    if not source:
        raise ExpressionError("Expresión FEEL vacía")
    try:
        parser = ExprParser(source, tokenize(source, source, 0, "feel"), "feel")
        python = parser.feel_expression()
        parser.finish()
        return restricted(source, python)
    except NotPythonEither:
        raise
    except ExpressionError as feel_error:
        return restricted(source, _keep_python(source, feel_error, input_entry=False))


def _keep_python(source: str, feel_error: ExpressionError, input_entry: bool) -> str:
    """The Python reading of a legacy SpiffWorkflow cell, or the FEEL error re-raised."""
    candidates = [source]
    if input_entry:
        marked = _SPIFF_INPUT.sub("dmninputexpr", source)
        candidates = [marked] if marked != source else [source, f"dmninputexpr {source}"]
    for candidate in candidates:
        try:
            check_python(source, candidate)
        except NotPythonEither:
            raise
        except ExpressionError:
            continue
        return candidate
    raise feel_error


def _unary_tests(source: str) -> str:
    parser = ExprParser(source, tokenize(source, source, 0, "feel"), "feel", allow_input=True)
    if parser.at("not") and parser.peek(1).value == "(":
        parser.i = 2
        try:
            negated = _positive_list(parser)
            parser.expect(")")
            if parser.peek().kind == "end":
                return f"(not {negated})"
        except ExpressionError:
            pass
        parser.i, parser.uses_input = 0, False  # `not(x) and …` is an expression, not a negated list
    tests = _positive_list(parser)
    parser.finish()
    return tests


def _positive_list(parser: ExprParser) -> str:
    tests = [_positive_test(parser)]
    while parser.at(","):
        parser.take()
        tests.append(_positive_test(parser))
    return tests[0] if len(tests) == 1 else "(" + " or ".join(tests) + ")"


def _positive_test(parser: ExprParser) -> str:
    if parser.at(*_COMPARISONS):
        op = parser.take().value
        # FEEL compares null with anything as null (no match); Python would raise TypeError.
        return f"(? is not None and ? {op} {parser.additive()})"
    if parser.at("=", "!="):
        op = "==" if parser.take().value == "=" else "!="
        return f"(? {op} {parser.additive()})"
    if parser.at("[", "]", "("):
        interval = _interval(parser)
        if interval is not None:
            return interval
    outer, parser.uses_input = parser.uses_input, False
    expression = parser.feel_expression()
    used, parser.uses_input = parser.uses_input, outer or parser.uses_input
    if used:
        return expression
    if expression in ("True", "False"):
        return f"(? is {expression})"
    return f"(? == {expression})"


def _interval(parser: ExprParser) -> str | None:
    start = parser.i
    opener = parser.take().value
    try:
        low = parser.additive()
    except ExpressionError:
        low = ""
    if not low or not parser.at(".."):
        parser.i = start
        return None
    parser.take()
    high = parser.additive()
    if not parser.at("]", "[", ")"):
        found = parser.peek().value or "el final"
        fail(parser.source, f"el intervalo debe cerrar con ']', '[' o ')' y no con {found}")
    closer = parser.take().value
    low_op = "<=" if opener == "[" else "<"
    high_op = "<=" if closer == "]" else "<"
    return f"(? is not None and {low} {low_op} ? {high_op} {high})"
