"""Rewrites, in place, every expression SpiffWorkflow will evaluate in a parsed BPMN or DMN document.

BPMN: sequence-flow conditions, conditional-event conditions, loop/multi-instance conditions,
cardinality and `camunda:collection` (JUEL `${…}` or Python), and timer texts (raw ISO-8601, `${…}` or Python). A `language` other
than none/JUEL/Python (javascript, groovy…) or an external `camunda:resource` script is an error.
DMN: input expressions, input entries and output entries (FEEL, or legacy Python cells; see feel.py).
camunda:* attributes (assignee, dueDate…) are left alone: they are read with value_to_python elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial

from lxml import etree

from engine.modeling.expressions import (
    ExpressionError,
    TimerKind,
    expression_to_python,
    feel_expression_to_python,
    feel_input_entry_to_python,
    feel_output_entry_to_python,
    timer_to_python,
)
from engine.modeling.juel import check_python
from engine.modeling.report import Problem
from engine.modeling.sandbox import forbidden_call

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
DMN_NAMESPACES = (
    "https://www.omg.org/spec/DMN/20191111/MODEL/",
    "http://www.omg.org/spec/DMN/20180521/MODEL/",
    "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
)
_CONDITION_TAGS = (
    "conditionExpression",
    "condition",
    "completionCondition",
    "loopCondition",
    "loopCardinality",
)
_TIMER_KINDS: tuple[TimerKind, ...] = ("timeDate", "timeDuration", "timeCycle")
_JUEL = ("", "juel")
_PYTHON = ("python", "python3")


def translate_tree(root: etree._Element, file: str) -> list[Problem]:
    namespace = etree.QName(root).namespace
    if namespace == BPMN_NS:
        return list(_translate_bpmn(root, file))
    if namespace in DMN_NAMESPACES:
        return list(_translate_dmn(root, file, namespace))
    return []


def _owner_id(element: etree._Element) -> str | None:
    node = element.getparent()
    while node is not None and node.get("id") is None:
        node = node.getparent()
    return None if node is None else node.get("id")


def _rewrite(
    element: etree._Element, file: str, owner: str | None, label: str, convert: Callable[[str], str]
) -> Iterator[Problem]:
    try:
        element.text = convert(element.text or "")
    except ExpressionError as error:
        yield Problem(file, owner, f"{label}: {error}", "error")


# -- BPMN
def _translate_bpmn(root: etree._Element, file: str) -> Iterator[Problem]:
    for tag in _CONDITION_TAGS:
        for element in root.iter(f"{{{BPMN_NS}}}{tag}"):
            yield from _translate_condition(element, file, tag)
    for definition in root.iter(f"{{{BPMN_NS}}}timerEventDefinition"):
        yield from _translate_timer(definition, file)
    for loop in root.iter(f"{{{BPMN_NS}}}multiInstanceLoopCharacteristics"):
        yield from _translate_collection(loop, file)


def _translate_condition(element: etree._Element, file: str, tag: str) -> Iterator[Problem]:
    owner = _owner_id(element)
    label = "Cardinalidad" if tag == "loopCardinality" else "Condición"
    language = (element.get("language") or "").strip().lower()
    if element.get(f"{{{CAMUNDA_NS}}}resource"):
        yield Problem(file, owner, f"{label}: los scripts externos (camunda:resource) no están soportados")
    elif not (element.text or "").strip():
        yield Problem(file, owner, f"{label}: la expresión está vacía")
    elif language in _PYTHON:
        yield from _rewrite(element, file, owner, label, lambda text: _python(text.strip()))
    elif language not in _JUEL:
        message = (
            f"el lenguaje de script '{element.get('language')}' no está soportado; use una expresión ${{…}}"
        )
        yield Problem(file, owner, f"{label}: {message}")
    else:
        yield from _rewrite(element, file, owner, label, expression_to_python)


def _translate_timer(definition: etree._Element, file: str) -> Iterator[Problem]:
    owner = _owner_id(definition)
    # The same precedence as SpiffWorkflow's parser: the first of timeDate, timeDuration, timeCycle wins.
    for kind in _TIMER_KINDS:
        element = next(definition.iter(f"{{{BPMN_NS}}}{kind}"), None)
        if element is not None:
            yield from _rewrite(
                element, file, owner, f"Temporizador ({kind})", partial(timer_to_python, kind=kind)
            )
            return
    yield Problem(file, owner, "Temporizador: no define timeDate, timeDuration ni timeCycle")


def _translate_collection(loop: etree._Element, file: str) -> Iterator[Problem]:
    # camunda:collection is a variable name or a ${…} expression; the runtime reads a name, else evaluates.
    attribute = f"{{{CAMUNDA_NS}}}collection"
    text = (loop.get(attribute) or "").strip()
    if "${" not in text and "#{" not in text:
        return
    try:
        loop.set(attribute, expression_to_python(text))
    except ExpressionError as error:
        yield Problem(file, _owner_id(loop), f"Colección de la multiinstancia (camunda:collection): {error}")


def _python(text: str) -> str:
    check_python(text, text)
    return text


# -- DMN
def _translate_dmn(root: etree._Element, file: str, ns: str) -> Iterator[Problem]:
    default_language = root.get("expressionLanguage")
    for table in root.iter(f"{{{ns}}}decisionTable"):
        inputs = table.findall(f"{{{ns}}}input")
        outputs = table.findall(f"{{{ns}}}output")
        for column in inputs:
            yield from _translate_input_expression(column, file, ns, default_language)
        for number, rule in enumerate(table.findall(f"{{{ns}}}rule"), start=1):
            owner = rule.get("id")
            for entry, column in zip(rule.findall(f"{{{ns}}}inputEntry"), inputs, strict=False):
                label = f"Regla {number}, entrada «{_column_name(column, ns)}»"
                yield from _translate_entry(entry, file, owner, label, ns, default_language, True)
            for entry, column in zip(rule.findall(f"{{{ns}}}outputEntry"), outputs, strict=False):
                label = f"Regla {number}, salida «{_column_name(column, ns)}»"
                yield from _translate_entry(entry, file, owner, label, ns, default_language, False)


def _column_name(column: etree._Element, ns: str) -> str:
    text = column.findtext(f"{{{ns}}}inputExpression/{{{ns}}}text")
    return column.get("label") or column.get("name") or (text or "").strip() or column.get("id") or "?"


def _language(element: etree._Element, default: str | None) -> str:
    language = (element.get("expressionLanguage") or default or "feel").strip().lower()
    return "feel" if "feel" in language else language


def _translate_input_expression(
    column: etree._Element, file: str, ns: str, default_language: str | None
) -> Iterator[Problem]:
    owner, label = column.get("id"), f"Expresión de la entrada «{_column_name(column, ns)}»"
    expression = column.find(f"{{{ns}}}inputExpression")
    text = None if expression is None else expression.find(f"{{{ns}}}text")
    if expression is None or text is None or not (text.text or "").strip():
        yield Problem(file, owner, f"{label}: la entrada no tiene expresión")
        return
    language = _language(expression, default_language)
    if language == "feel":
        yield from _rewrite(text, file, owner, label, feel_expression_to_python)
    elif language in _JUEL:
        yield from _rewrite(text, file, owner, label, _juel_value)
    elif language in _PYTHON:
        yield from _rewrite(text, file, owner, label, lambda value: _python(value.strip()))
    else:
        yield Problem(
            file, owner, f"{label}: el lenguaje '{expression.get('expressionLanguage')}' no está soportado"
        )


def _juel_value(text: str) -> str:
    # Camunda accepts a JUEL input expression with or without the ${…} wrapper.
    source = text.strip()
    return expression_to_python(source if "${" in source or "#{" in source else "${" + source + "}")


def _translate_entry(
    entry: etree._Element,
    file: str,
    owner: str | None,
    label: str,
    ns: str,
    default_language: str | None,
    is_input: bool,
) -> Iterator[Problem]:
    text = entry.find(f"{{{ns}}}text")
    if text is None or not (text.text or "").strip():
        return  # an empty cell (`<outputEntry/>` too): any value in, nothing out (Camunda leaves it out)
    language = _language(entry, default_language)
    if language == "feel":
        convert = feel_input_entry_to_python if is_input else feel_output_entry_to_python
        try:
            python = convert(text.text or "")
        except ExpressionError as error:
            yield Problem(file, owner, f"{label}: {error}")
            return
        text.text = python or None  # an empty input entry is SpiffWorkflow's "any value"
    elif language in _PYTHON:
        called = forbidden_call(text.text or "")
        if called:
            yield Problem(file, owner, f"{label}: usa '{called}', que no está permitido en expresiones")
    elif language in _JUEL and not is_input:
        yield from _rewrite(text, file, owner, label, _juel_value)
    else:
        lang = entry.get("expressionLanguage")
        yield Problem(file, owner, f"{label}: el lenguaje '{lang}' no está soportado en esta celda; use FEEL")
