"""The files Camunda Modeler saves: BPMN XML with its diagrams, Camunda Forms and DMN decision tables."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from bpmn_geometry import BPMNDI, DC, DI, TAGS, Box, _q
from bpmn_layout import Body, Field, Lane, Node, Process, _flow_ids, layout
from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA = "http://camunda.org/schema/1.0/bpmn"
MODELER = "http://camunda.org/schema/modeler/1.0"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {
    "bpmn": BPMN,
    "bpmndi": BPMNDI,
    "dc": DC,
    "di": DI,
    "camunda": CAMUNDA,
    "modeler": MODELER,
    "xsi": XSI,
}
EXPORTER = ("Camunda Modeler", "5.20.0")
PLATFORM = ("Camunda Platform", "7.20.0")


# ---- XML ------------------------------------------------------------------------------------------------
def _sub(parent: Any, ns: str, tag: str, **attrs: str) -> Any:
    el = etree.SubElement(parent, _q(ns, tag))
    for key, value in attrs.items():
        el.set(key, value)
    return el


def _documentation(parent: Any, text: str) -> None:
    if text:
        _sub(parent, BPMN, "documentation").text = text


def _properties(parent: Any, props: dict[str, str]) -> Any:
    ext = _sub(parent, BPMN, "extensionElements")
    if props:
        holder = _sub(ext, CAMUNDA, "properties")
        for name, value in props.items():
            _sub(holder, CAMUNDA, "property", name=name, value=value)
    return ext


def _expression(parent: Any, tag: str, text: str) -> None:
    el = _sub(parent, BPMN, tag)
    el.set(_q(XSI, "type"), "bpmn:tFormalExpression")
    el.text = text


def _write_node(parent: Any, node: Node, process: Process, lanes: dict[str, Lane], body: Body) -> None:
    el = _sub(parent, BPMN, TAGS[node.type], id=node.id)
    if node.name:
        el.set("name", node.name)
    if node.type == "boundary":
        el.set("attachedToRef", node.attached or "")
        if not node.interrupting:
            el.set("cancelActivity", "false")
    if node.type == "start" and node.form:
        el.set(_q(CAMUNDA, "formRef"), node.form)
        el.set(_q(CAMUNDA, "formRefBinding"), "latest")
    if node.type == "user":
        group = node.group or (lanes[node.lane].group if node.lane in lanes else None)
        if group:
            el.set(_q(CAMUNDA, "candidateGroups"), group)
        if node.form:
            el.set(_q(CAMUNDA, "formRef"), node.form)
            el.set(_q(CAMUNDA, "formRefBinding"), "latest")
        if node.due:
            el.set(_q(CAMUNDA, "dueDate"), node.due)
        if node.priority:
            el.set(_q(CAMUNDA, "priority"), node.priority)
    if node.type == "service":
        el.set(_q(CAMUNDA, "type"), "external")
        el.set(_q(CAMUNDA, "topic"), node.topic or "")
    if node.type == "script":
        el.set("scriptFormat", "python")
    if node.type == "rule":
        el.set(_q(CAMUNDA, "decisionRef"), node.decision or "")
    if node.type == "call":
        el.set("calledElement", node.called or "")
    if node.default:  # the target of the default flow
        el.set("default", next(f.id for f in body.flows if f.source == node.id and f.target == node.default))
    _documentation(el, node.doc)
    ext = _properties(el, node.props)
    if node.type == "call":
        _sub(ext, CAMUNDA, "in", variables="all")
        _sub(ext, CAMUNDA, "out", variables="all")
    if len(ext) == 0:
        el.remove(ext)
    for f in body.flows:
        if f.target == node.id:
            _sub(el, BPMN, "incoming").text = f.id
    for f in body.flows:
        if f.source == node.id:
            _sub(el, BPMN, "outgoing").text = f.id
    if node.type == "script":
        _sub(el, BPMN, "script").text = node.script or ""
    if node.timer:
        definition = _sub(el, BPMN, "timerEventDefinition", id=f"TimerEventDefinition_{node.id}")
        _expression(definition, node.timer[0], node.timer[1])
    if node.message:
        _sub(
            el,
            BPMN,
            "messageEventDefinition",
            id=f"MessageEventDefinition_{node.id}",
            messageRef=process.messages[node.message],
        )
    if node.type == "subprocess" and node.children is not None:
        _write_body(el, node.children, process, lanes)


def _write_body(parent: Any, body: Body, process: Process, lanes: dict[str, Lane]) -> None:
    _flow_ids(body)
    for node in body.nodes:
        _write_node(parent, node, process, lanes, body)
    for f in body.flows:
        el = _sub(parent, BPMN, "sequenceFlow", id=f.id, sourceRef=f.source, targetRef=f.target)
        if f.name:
            el.set("name", f.name)
        if f.condition:
            _expression(el, "conditionExpression", f.condition)


def _bounds(parent: Any, box: Box) -> None:
    _sub(parent, DC, "Bounds", x=_n(box.x), y=_n(box.y), width=_n(box.w), height=_n(box.h))


def _n(value: float) -> str:
    return str(round(value))


def _write_plane(
    diagram_parent: Any, plane_id: str, element: str, body: Body, lanes: list[Lane], pool_id: str | None
) -> None:
    geometry = layout(body, lanes)
    diagram = _sub(diagram_parent, BPMNDI, "BPMNDiagram", id=f"BPMNDiagram_{plane_id}")
    plane = _sub(diagram, BPMNDI, "BPMNPlane", id=f"BPMNPlane_{plane_id}", bpmnElement=element)
    if pool_id:
        shape = _sub(plane, BPMNDI, "BPMNShape", id=f"{pool_id}_di", bpmnElement=pool_id, isHorizontal="true")
        _bounds(shape, geometry.pool)
        for lane in lanes:
            shape = _sub(
                plane, BPMNDI, "BPMNShape", id=f"{lane.id}_di", bpmnElement=lane.id, isHorizontal="true"
            )
            _bounds(shape, geometry.lanes[lane.id])
    for node in body.nodes:
        attrs = {"id": f"{node.id}_di", "bpmnElement": node.id}
        if node.type == "xor":
            attrs["isMarkerVisible"] = "true"
        if node.type == "subprocess":
            attrs["isExpanded"] = "false"
        shape = _sub(plane, BPMNDI, "BPMNShape", **attrs)
        _bounds(shape, geometry.boxes[node.id])
        if node.id in geometry.labels:
            _bounds(_sub(shape, BPMNDI, "BPMNLabel"), geometry.labels[node.id])
    for f in body.flows:
        edge = _sub(plane, BPMNDI, "BPMNEdge", id=f"{f.id}_di", bpmnElement=f.id)
        for x, y in geometry.edges[f.id]:
            _sub(edge, DI, "waypoint", x=_n(x), y=_n(y))
        if f.id in geometry.labels:
            _bounds(_sub(edge, BPMNDI, "BPMNLabel"), geometry.labels[f.id])
    for node in body.nodes:
        if node.type == "subprocess" and node.children is not None:
            _write_plane(diagram_parent, node.id, node.id, node.children, [], None)


def bpmn_document(process: Process) -> bytes:
    lanes = {lane.id: lane for lane in process.lanes}
    root = etree.Element(_q(BPMN, "definitions"), nsmap=NSMAP)
    root.set("id", f"Definitions_{process.key}")
    root.set("targetNamespace", "http://bpmn.io/schema/bpmn")
    root.set("exporter", EXPORTER[0])
    root.set("exporterVersion", EXPORTER[1])
    root.set(_q(MODELER, "executionPlatform"), PLATFORM[0])
    root.set(_q(MODELER, "executionPlatformVersion"), PLATFORM[1])
    collaboration = _sub(root, BPMN, "collaboration", id=f"Collaboration_{process.key}")
    pool_id = f"Participant_{process.key}"
    _sub(collaboration, BPMN, "participant", id=pool_id, name=process.name, processRef=process.key)
    el = _sub(root, BPMN, "process", id=process.key, name=process.name, isExecutable="true")
    el.set(_q(CAMUNDA, "versionTag"), "1.0")
    el.set(_q(CAMUNDA, "historyTimeToLive"), "P1825D")
    _documentation(el, process.doc)
    _properties(el, process.props)
    lane_set = _sub(el, BPMN, "laneSet", id=f"LaneSet_{process.key}")
    for lane in process.lanes:
        lane_el = _sub(lane_set, BPMN, "lane", id=lane.id, name=lane.name)
        if lane.group:
            _documentation(lane_el, f"Dependencia (grupo candidato): {lane.group}")
        for node in process.body.nodes:
            if node.lane == lane.id or (node.attached and _host_lane(process.body, node) == lane.id):
                _sub(lane_el, BPMN, "flowNodeRef").text = node.id
    _write_body(el, process.body, process, lanes)
    for name, message_id in process.messages.items():
        _sub(root, BPMN, "message", id=message_id, name=name)
    _write_plane(root, process.key, collaboration.get("id"), process.body, process.lanes, pool_id)
    return _serialize(root)


def _host_lane(body: Body, node: Node) -> str | None:
    return next((n.lane for n in body.nodes if n.id == node.attached), None)


def _serialize(root: Any) -> bytes:
    etree.indent(root, space="  ")
    text: bytes = etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return text


# ---- forms ----------------------------------------------------------------------------------------------
def form_document(form_id: str, title: str, doc: str, fields: list[Field]) -> str:
    components: list[dict[str, Any]] = [
        {
            "text": f"## {title}\n\n{doc}".strip(),
            "type": "text",
            "layout": {"row": "Row_0", "columns": None},
            "id": "Field_instrucciones",
        },
    ]
    for index, f in enumerate(fields, start=1):
        component: dict[str, Any] = {
            "label": f.label,
            "type": f.type,
            "layout": {"row": f"Row_{index}", "columns": None},
            "id": f"Field_{f.key}",
            "key": f.key,
        }
        if f.type == "datetime":
            component = {
                "subtype": "date",
                "dateLabel": f.label,
                "type": "datetime",
                "layout": {"row": f"Row_{index}", "columns": None},
                "id": f"Field_{f.key}",
                "key": f.key,
            }
        if f.description:
            component["description"] = f.description
        if f.options:
            component["values"] = [{"label": label, "value": value} for value, label in f.options]
        if f.default is not None:
            component["defaultValue"] = f.default
        validate: dict[str, Any] = {}
        if f.required:
            validate["required"] = True
        if f.min is not None:
            validate["min"] = f.min
        if f.max is not None:
            validate["max"] = f.max
        if f.max_length is not None:
            validate["maxLength"] = f.max_length
        if validate:
            component["validate"] = validate
        if f.hide_if:
            component["conditional"] = {"hide": f.hide_if}
        components.append(component)
    document = {
        "components": components,
        "type": "default",
        "id": form_id,
        "executionPlatform": PLATFORM[0],
        "executionPlatformVersion": PLATFORM[1],
        "exporter": {"name": EXPORTER[0], "version": EXPORTER[1]},
        "schemaVersion": 16,
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"


def _user_tasks(body: Body) -> Iterable[Node]:
    for node in body.nodes:
        if node.type in ("user", "start"):
            yield node
        if node.children is not None:
            yield from _user_tasks(node.children)


# ---- DMN ------------------------------------------------------------------------------------------------
DMN = "https://www.omg.org/spec/DMN/20191111/MODEL/"
DMNDI = "https://www.omg.org/spec/DMN/20191111/DMNDI/"
DMN_DC = "http://www.omg.org/spec/DMN/20180521/DC/"


@dataclass
class Decision:
    """One decision table as Camunda Modeler writes it: FEEL cells, `-` for any value."""

    id: str
    name: str
    inputs: list[tuple[str, str, str]]  # (label, FEEL input expression, typeRef)
    outputs: list[tuple[str, str, str]]  # (label, output name, typeRef)
    rules: list[tuple[list[str], list[str], str]]  # (input cells, output cells, description)
    hit_policy: str = "FIRST"
    doc: str = ""


def dmn_document(decision: Decision) -> bytes:
    root = etree.Element(
        _q(DMN, "definitions"), nsmap={None: DMN, "dmndi": DMNDI, "dc": DMN_DC, "modeler": MODELER}
    )
    for key, value in (
        ("id", f"Definitions_{decision.id}"),
        ("name", decision.name),
        ("namespace", "http://camunda.org/schema/1.0/dmn"),
        ("exporter", EXPORTER[0]),
        ("exporterVersion", EXPORTER[1]),
    ):
        root.set(key, value)
    root.set(_q(MODELER, "executionPlatform"), PLATFORM[0])
    root.set(_q(MODELER, "executionPlatformVersion"), PLATFORM[1])
    element = _sub(root, DMN, "decision", id=decision.id, name=decision.name)
    if decision.doc:
        _sub(element, DMN, "description").text = decision.doc
    table = _sub(
        element, DMN, "decisionTable", id=f"DecisionTable_{decision.id}", hitPolicy=decision.hit_policy
    )
    for index, (label, expression, type_ref) in enumerate(decision.inputs, start=1):
        column = _sub(table, DMN, "input", id=f"Input_{index}", label=label)
        source = _sub(column, DMN, "inputExpression", id=f"InputExpression_{index}", typeRef=type_ref)
        _sub(source, DMN, "text").text = expression
    for index, (label, name, type_ref) in enumerate(decision.outputs, start=1):
        _sub(table, DMN, "output", id=f"Output_{index}", label=label, name=name, typeRef=type_ref)
    for number, (cells_in, cells_out, description) in enumerate(decision.rules, start=1):
        rule = _sub(table, DMN, "rule", id=f"DecisionRule_{number}")
        if description:
            _sub(rule, DMN, "description").text = description
        for index, cell in enumerate(cells_in, start=1):
            _sub(_sub(rule, DMN, "inputEntry", id=f"UnaryTests_{number}_{index}"), DMN, "text").text = cell
        for index, cell in enumerate(cells_out, start=1):
            _sub(
                _sub(rule, DMN, "outputEntry", id=f"LiteralExpression_{number}_{index}"), DMN, "text"
            ).text = cell
    di = _sub(_sub(root, DMNDI, "DMNDI"), DMNDI, "DMNDiagram", id=f"DMNDiagram_{decision.id}")
    shape = _sub(di, DMNDI, "DMNShape", id=f"DMNShape_{decision.id}", dmnElementRef=decision.id)
    _sub(shape, DMN_DC, "Bounds", height="80", width="180", x="160", y="100")
    return _serialize(root)
