"""SpiffWorkflow's Camunda parser, extended to keep the camunda: attributes the stock parser drops.

Everything read lands in `task_spec.extensions` as JSON-native data (the serializer keeps it):
see `read_extensions` for the shape the runtime relies on.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.BpmnParser import BpmnParser, full_tag
from SpiffWorkflow.bpmn.parser.event_parsers import ReceiveTaskParser, SendTaskParser
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.defaults import EndEvent, ReceiveTask, SendTask, StartEvent
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEventDefinitionParser
from SpiffWorkflow.camunda.parser.task_spec import CamundaTaskParser
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine
from SpiffWorkflow.dmn.specs.model import DecisionTable

from engine.modeling.event_parsers import EndEventParser, StartEventParser
from engine.modeling.expressions import ExpressionError, value_to_python
from engine.modeling.io_mapping import handler_name, read_input_output, read_listeners
from engine.modeling.report import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}

# Attributes whose text is an expression or a literal, translated once at deploy.
EXPRESSION_ATTRIBUTES = (
    "assignee",
    "candidateUsers",
    "candidateGroups",
    "dueDate",
    "followUpDate",
    "priority",
)
PLAIN_ATTRIBUTES = (
    "formKey",
    "formRef",
    "formRefBinding",
    "formRefVersion",
    "resultVariable",
    "mapDecisionResult",
    "decisionRef",
    "decisionRefBinding",
    "decisionRefVersion",
    "decisionRefVersionTag",
    "calledElementBinding",
    "calledElementVersion",
    "calledElementVersionTag",
)
IMPLEMENTATIONS = ("class", "expression", "delegateExpression")
JUEL_LITERALS = frozenset({"true", "false", "null"})

FORM_KEY_DEPLOYMENT_PREFIX = "camunda-forms:deployment:"


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


_compiled = threading.local()  # compiled XPath per thread: ten times cheaper than node.xpath() (issue 15 §3)


def _direct_extensions(node: Any, path: str) -> list[Any]:
    # Only this element's own extensionElements: a subProcess must not collect its children's.
    cache: dict[str, Any] = _compiled.__dict__.setdefault("paths", {})
    xpath = cache.get(path)
    if xpath is None:
        xpath = cache[path] = etree.XPath(f"./bpmn:extensionElements/{path}", namespaces=NS)
    result: list[Any] = xpath(node)
    return result


def read_properties(node: Any) -> dict[str, str | None]:
    return {
        p.get("name"): p.get("value")
        for p in _direct_extensions(node, "camunda:properties/camunda:property")
        if p.get("name") is not None
    }


def read_form_data(node: Any) -> list[dict[str, Any]]:
    fields: list[dict[str, Any]] = []
    for xml_field in _direct_extensions(node, "camunda:formData/camunda:formField"):
        fields.append(
            {
                "id": xml_field.get("id"),
                "label": xml_field.get("label"),
                "type": xml_field.get("type"),
                "defaultValue": xml_field.get("defaultValue"),
                "values": [
                    {"id": v.get("id"), "name": v.get("name")} for v in xml_field.findall(_c("value"))
                ],
                "validation": [
                    {"name": c.get("name"), "config": c.get("config")}
                    for c in xml_field.xpath("./camunda:validation/camunda:constraint", namespaces=NS)
                ],
                "properties": {
                    p.get("id"): p.get("value")
                    for p in xml_field.xpath("./camunda:properties/camunda:property", namespaces=NS)
                },
            }
        )
    return fields


def read_implementation(node: Any) -> dict[str, Any] | None:
    if node.get(_c("type")) == "external":
        return {"type": "external", "value": None, "topic": node.get(_c("topic"))}
    for kind in IMPLEMENTATIONS:
        value = node.get(_c(kind))
        if value is not None:
            return {"type": kind, "value": value, "topic": None}
    connector = _direct_extensions(node, "camunda:connector/camunda:connectorId")
    if connector:
        return {"type": "connector", "value": connector[0].text, "topic": None}
    return None


def _with_expression(implementation: dict[str, Any], translate: Callable[[str], str]) -> dict[str, Any]:
    # camunda:expression="${execution.setVariable(…)}" runs as JUEL; "${name}" stays a handler's name.
    value = implementation.get("value") or ""
    if implementation["type"] == "delegateExpression":
        return {**implementation, "value": handler_name(value)}
    juel = "${" in value or "#{" in value
    name = handler_name(value)
    if implementation["type"] == "expression" and juel and (not name.isidentifier() or name in JUEL_LITERALS):
        return {**implementation, "python": translate(value)}
    return implementation


def read_extensions(node: Any, report: Callable[[str | None, str], None]) -> dict[str, Any]:
    """The shape the runtime reads; `report(element_id, message)` collects deploy-time errors."""
    element_id = node.get("id")

    def translate(text: str) -> str:
        try:
            return value_to_python(text)
        except ExpressionError as exc:
            report(element_id, f"expresión «{text}» no válida: {exc}")
            return repr(text)

    ext: dict[str, Any] = {"properties": read_properties(node)}
    expr: dict[str, str] = {}
    for attr in EXPRESSION_ATTRIBUTES:
        value = node.get(_c(attr))
        if value is not None:
            ext[attr] = value
            expr[attr] = translate(value)
    name = node.get("name")
    if name and etree.QName(node).localname == "userTask" and ("${" in name or "#{" in name):
        expr["name"] = translate(name)  # Camunda evaluates a user task's name when it creates the task
    documentation = node.findtext(f"{{{BPMN_NS}}}documentation")
    if documentation and ("${" in documentation or "#{" in documentation):
        expr["documentation"] = translate(documentation)  # shown on the task page, resolved there
    if expr:
        ext["expr"] = expr
    for attr in PLAIN_ATTRIBUTES:
        value = node.get(_c(attr))
        if value is not None:
            ext[attr] = value
    form_data = read_form_data(node)
    if form_data:
        ext["formData"] = form_data
    io = read_input_output(node, translate)
    if io is not None:
        ext["inputOutput"] = io
    implementation = read_implementation(node)
    if implementation is not None:
        ext["implementation"] = _with_expression(implementation, translate)
    listeners = read_listeners(node, translate)
    if listeners:
        ext["listeners"] = listeners
    if etree.QName(node).localname == "callActivity":
        ext.update(read_call_mappings(node, translate))
    return ext


def read_call_mappings(node: Any, translate: Callable[[str], str]) -> dict[str, Any]:
    """camunda:in / camunda:out of a call activity: variables="all", source or sourceExpression → target."""
    found: dict[str, Any] = {}
    for tag in ("in", "out"):
        mappings = []
        for el in _direct_extensions(node, f"camunda:{tag}"):
            if el.get("businessKey") is not None:
                mappings.append({"businessKey": el.get("businessKey")})
            elif el.get("variables") == "all":
                mappings.append({"all": True})
            elif el.get("sourceExpression") is not None:
                expression = translate(el.get("sourceExpression"))
                mappings.append({"expression": expression, "target": el.get("target")})
            else:
                mappings.append({"source": el.get("source"), "target": el.get("target") or el.get("source")})
        found[f"call_{tag}"] = mappings
    return found


def form_ref_of(node: Any) -> str | None:
    """The Camunda Forms id a user task or start event needs, from formRef or a deployment formKey."""
    ref = node.get(_c("formRef"))
    if ref:
        return str(ref)
    key = node.get(_c("formKey"))
    if key and key.startswith(FORM_KEY_DEPLOYMENT_PREFIX):
        return str(key[len(FORM_KEY_DEPLOYMENT_PREFIX) :])
    return None


class _ExtensionsMixin:
    node: Any
    filename: str | None
    process_parser: Any

    # camunda:collection / elementVariable on every kind of activity, not only the ones CamundaParser
    # overrides: the stock reader refused them on service tasks, and its multi-instance specs crashed the
    # serializer.
    _add_multiinstance_task = CamundaTaskParser._add_multiinstance_task

    def raise_validation_exception(self, message: str, node: Any = None) -> None:
        # SpiffWorkflow's event parsers pass `node=`, which the stock method does not take (a TypeError).
        raise ValidationException(message, node if node is not None else self.node, self.filename)

    def parse_extensions(self, node: Any = None) -> dict[str, Any]:
        parser = self.process_parser.parser

        def report(element_id: str | None, message: str) -> None:
            parser.problems.append(Problem(self.filename or "", element_id, message))

        return read_extensions(self.node, report)


class _CamundaReceiveTaskParser(CamundaEventDefinitionParser, ReceiveTaskParser):  # type: ignore[misc]
    # Its message as a Camunda message, the one the serializer knows (the stock one crashed it).
    def create_task(self) -> Any:
        return ReceiveTaskParser.create_task(self)


class _CamundaSendTaskParser(CamundaEventDefinitionParser, SendTaskParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        return SendTaskParser.create_task(self)


def _extended(classes: dict[str, tuple[Any, Any]]) -> dict[str, tuple[Any, Any]]:
    return {
        tag: (type(f"Phva{parser_cls.__name__}", (_ExtensionsMixin, parser_cls), {}), spec_cls)
        for tag, (parser_cls, spec_cls) in classes.items()
    }


class PhvaParser(CamundaParser):  # type: ignore[misc]
    # Every task parser (stock and Camunda) gets the extension reader.
    OVERRIDE_PARSER_CLASSES = _extended(
        {
            **BpmnParser.PARSER_CLASSES,
            **CamundaParser.OVERRIDE_PARSER_CLASSES,
            full_tag("receiveTask"): (_CamundaReceiveTaskParser, ReceiveTask),
            full_tag("sendTask"): (_CamundaSendTaskParser, SendTask),
            full_tag("startEvent"): (StartEventParser, StartEvent),  # error/escalation starts, signal ends
            full_tag("endEvent"): (EndEventParser, EndEvent),
        }
    )

    def __init__(self) -> None:
        super().__init__()
        self.problems: list[Problem] = []

    def get_engine(self, decision_ref: str, node: Any) -> Any:
        # Decisions are phva's own models (engine/modeling/dmn.py), bound when the task runs: SpiffWorkflow
        # gets an empty table to serialize, and never parses the DMN files (one decision per file there).
        return DMNEngine(DecisionTable(decision_ref, decision_ref, "UNIQUE"))
