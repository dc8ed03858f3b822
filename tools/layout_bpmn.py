"""Writes bpmn/*.bpmn and forms/*.form from the compact process data in bpmn/model/.

The output is what Camunda Modeler 5 (Camunda Platform 7) saves: a collaboration with one pool, lanes as
horizontal bands, full diagram interchange (a shape for every flow node, lane and boundary event, an edge
with waypoints for every flow) laid out left to right, and one Camunda Forms file per user task.
The files stay editable in Camunda Modeler; rerun this tool only if you keep editing the Python data.

    python tools/layout_bpmn.py            # regenerate
    python tools/layout_bpmn.py --check    # fail if the committed files differ from the data
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

ROOT = Path(__file__).resolve().parents[1]
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
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

# Geometry (pixels): columns left to right, rows inside each lane band.
COL_W, ROW_H, LANE_HEAD, POOL_HEAD = 170, 150, 30, 30
POOL_X, POOL_Y = 130, 60
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
EVENTS = {"start", "end", "timer_catch", "message_catch", "boundary"}
GATEWAYS = {"xor", "and", "event_gw"}
TAGS = {
    "start": "startEvent",
    "end": "endEvent",
    "user": "userTask",
    "service": "serviceTask",
    "script": "scriptTask",
    "rule": "businessRuleTask",
    "call": "callActivity",
    "xor": "exclusiveGateway",
    "and": "parallelGateway",
    "event_gw": "eventBasedGateway",
    "timer_catch": "intermediateCatchEvent",
    "message_catch": "intermediateCatchEvent",
    "boundary": "boundaryEvent",
    "subprocess": "subProcess",
}


# ---- the data model -------------------------------------------------------------------------------------
@dataclass
class Field:
    """One Camunda Forms component: type is a form-js type (textfield, textarea, number, checkbox…)."""

    key: str
    label: str
    type: str = "textfield"
    required: bool = False
    options: tuple[tuple[str, str], ...] = ()
    min: float | None = None
    max: float | None = None
    max_length: int | None = None
    default: Any = None
    description: str | None = None
    hide_if: str | None = None  # FEEL condition, e.g. "=competente"


@dataclass
class Node:
    id: str
    type: str
    name: str
    lane: str | None = None
    doc: str = ""
    props: dict[str, str] = field(default_factory=dict)
    fields: list[Field] | None = None  # user task: its form (written to forms/<form>.form)
    form: str | None = None
    group: str | None = None  # candidateGroups; default: the lane's dependencia
    due: str | None = None
    priority: str | None = None
    script: str | None = None
    topic: str | None = None
    decision: str | None = None
    called: str | None = None
    timer: tuple[str, str] | None = None  # ("timeDate" | "timeDuration" | "timeCycle", text)
    message: str | None = None
    attached: str | None = None
    interrupting: bool = True
    default: str | None = None  # id of the default outgoing flow (gateways)
    row: int | None = None
    col: int | None = None
    children: Body | None = None  # subprocess content (drawn collapsed, with its own diagram)


@dataclass
class Flow:
    source: str
    target: str
    name: str = ""
    condition: str | None = None
    id: str = ""


@dataclass
class Lane:
    id: str
    name: str
    group: str | None = None  # the dependencia (candidate group) of the lane's user tasks


@dataclass
class Body:
    nodes: list[Node]
    flows: list[Flow]


@dataclass
class Process:
    key: str
    name: str
    doc: str
    props: dict[str, str]
    lanes: list[Lane]
    body: Body
    file: str = ""
    messages: dict[str, str] = field(default_factory=dict)  # message name -> id


# ---- layout ---------------------------------------------------------------------------------------------
@dataclass
class Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def cx(self) -> float:
        return self.x + self.w / 2

    @property
    def cy(self) -> float:
        return self.y + self.h / 2

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h


def _kind(node: Node) -> str:
    if node.type in EVENTS:
        return "event"
    return "gateway" if node.type in GATEWAYS else "activity"


def _flow_ids(body: Body) -> None:
    seen: set[str] = set()
    for flow in body.flows:
        if not flow.id:
            base = f"Flow_{flow.source.split('_', 1)[-1]}_{flow.target.split('_', 1)[-1]}"
            flow.id, n = base, 2
            while flow.id in seen:
                flow.id, n = f"{base}_{n}", n + 1
        seen.add(flow.id)


def _columns(body: Body) -> tuple[dict[str, int], set[str]]:
    """Longest-path columns over the flow graph without its back edges (found by depth-first search)."""
    nodes = {n.id: n for n in body.nodes}
    succ: dict[str, list[str]] = {n: [] for n in nodes}
    for f in body.flows:
        succ[f.source].append(f.target)
    for n in body.nodes:
        if n.attached:
            succ[n.attached].append(n.id)
    back: set[tuple[str, str]] = set()
    state: dict[str, int] = {}

    def dfs(start: str) -> None:
        stack = [(start, iter(succ[start]))]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                state[node] = 2
                stack.pop()
            elif state.get(child) == 1:
                back.add((node, child))
            elif child not in state:
                state[child] = 1
                stack.append((child, iter(succ[child])))

    for n in body.nodes:
        if n.type == "start":
            dfs(n.id)
    for n in body.nodes:
        if n.id not in state:
            dfs(n.id)
    col: dict[str, int] = {}
    order = _topological(nodes, succ, back)
    for node_id in order:
        node = nodes[node_id]
        if node.attached:
            col[node_id] = col[node.attached]
        else:
            col.setdefault(node_id, 0)
            if node.col is not None:
                col[node_id] = max(col[node_id], node.col)
        for child in succ[node_id]:
            if (node_id, child) in back or nodes[child].attached:
                continue
            step = 1
            col[child] = max(col.get(child, 0), col[node_id] + step)
    back_flows = {f.id for f in body.flows if (f.source, f.target) in back}
    return col, back_flows


def _topological(nodes: dict[str, Node], succ: dict[str, list[str]], back: set[tuple[str, str]]) -> list[str]:
    indegree = dict.fromkeys(nodes, 0)
    for source, targets in succ.items():
        for t in targets:
            if (source, t) not in back:
                indegree[t] += 1
    ready = [n for n in nodes if indegree[n] == 0]
    order: list[str] = []
    while ready:
        current = ready.pop(0)
        order.append(current)
        for t in succ[current]:
            if (current, t) in back:
                continue
            indegree[t] -= 1
            if indegree[t] == 0:
                ready.append(t)
    return order + [n for n in nodes if n not in order]


@dataclass
class Layout:
    boxes: dict[str, Box]
    lanes: dict[str, Box]
    pool: Box
    edges: dict[str, list[tuple[float, float]]]
    labels: dict[str, Box]


def layout(body: Body, lanes: list[Lane]) -> Layout:
    _flow_ids(body)
    col, back_flows = _columns(body)
    nodes = {n.id: n for n in body.nodes}
    lane_ids = [lane.id for lane in lanes] or [""]
    host_of = {n.id: n.attached for n in body.nodes if n.attached}
    row: dict[str, int] = {}
    taken: set[tuple[str, int, int]] = set()
    for node_id in sorted(nodes, key=lambda i: (col[i], list(nodes).index(i))):
        node = nodes[node_id]
        if node.attached:
            continue
        lane = node.lane or lane_ids[0]
        wanted = node.row if node.row is not None else _inherited_row(node_id, body, host_of, row)
        while (lane, col[node_id], wanted) in taken:
            wanted += 1
        row[node_id] = wanted
        taken.add((lane, col[node_id], wanted))
    rows_in_lane = {lane: 1 for lane in lane_ids}
    for node_id, r in row.items():
        lane = nodes[node_id].lane or lane_ids[0]
        rows_in_lane[lane] = max(rows_in_lane[lane], r + 1)
    width = (max(col.values(), default=0) + 1) * COL_W + 80
    lane_x = POOL_X + POOL_HEAD
    lane_boxes: dict[str, Box] = {}
    y = POOL_Y
    for lane in lane_ids:
        height = rows_in_lane[lane] * ROW_H
        lane_boxes[lane] = Box(lane_x, y, width, height)
        y += height
    pool = Box(POOL_X, POOL_Y, width + POOL_HEAD, y - POOL_Y)
    boxes: dict[str, Box] = {}
    for node_id, r in row.items():
        node = nodes[node_id]
        band = lane_boxes[node.lane or lane_ids[0]]
        w, h = SIZES[_kind(node)]
        cx = lane_x + LANE_HEAD + 60 + col[node_id] * COL_W
        cy = band.y + ROW_H / 2 + r * ROW_H
        boxes[node_id] = Box(cx - w / 2, cy - h / 2, w, h)
    attached: dict[str, int] = {}
    for node in body.nodes:
        if node.attached:
            host = boxes[node.attached]
            index = attached.get(node.attached, 0)
            attached[node.attached] = index + 1
            boxes[node.id] = Box(host.right - 46 - index * 44, host.bottom - 18, 36, 36)
    labels = {
        n.id: Box(boxes[n.id].cx - 50, boxes[n.id].bottom + 5, 100, 27)
        for n in body.nodes
        if _kind(n) != "activity" and n.name
    }
    edges = {f.id: _route(f, boxes, nodes, f.id in back_flows) for f in body.flows}
    for f in body.flows:
        if f.name:
            (x1, y1), (x2, y2) = edges[f.id][0], edges[f.id][1]
            if x1 == x2:  # vertical start (a gateway's top or bottom): beside it, clear of the gateway's name
                labels[f.id] = Box(x1 + 6, y1 + 36 if y2 > y1 else y1 - 30, 60, 14)
            else:
                labels[f.id] = Box((x1 + x2) / 2 - 20, y1 - 20, 60, 14)
    return Layout(boxes, lane_boxes, pool, edges, labels)


def _inherited_row(node_id: str, body: Body, host_of: dict[str, str], row: dict[str, int]) -> int:
    sources = [f.source for f in body.flows if f.target == node_id]
    for source in sources:
        if source in host_of:
            return row.get(host_of[source], 0) + 1
    placed = [row[s] for s in sources if s in row]
    return min(placed) if placed else 0


def _route(
    flow: Flow, boxes: dict[str, Box], nodes: dict[str, Node], back: bool
) -> list[tuple[float, float]]:
    s, t = boxes[flow.source], boxes[flow.target]
    source, target = nodes[flow.source], nodes[flow.target]
    s_gw, t_gw = _kind(source) == "gateway", _kind(target) == "gateway"
    if back or t.cx <= s.cx:
        channel = max(s.bottom, t.bottom) + 32
        return [(s.cx, s.bottom), (s.cx, channel), (t.cx, channel), (t.cx, t.bottom)]
    if source.attached:
        if abs(s.cy - t.cy) < 1:
            return [(s.right, s.cy), (t.x, t.cy)]
        return [(s.cx, s.bottom), (s.cx, t.cy), (t.x, t.cy)]
    if abs(s.cy - t.cy) < 1:
        return [(s.right, s.cy), (t.x, t.cy)]
    down = t.cy > s.cy
    if s_gw:
        return [(s.cx, s.bottom if down else s.y), (s.cx, t.cy), (t.x, t.cy)]
    if t_gw:
        return [(s.right, s.cy), (t.cx, s.cy), (t.cx, t.y if down else t.bottom)]
    bend = t.x - 30
    return [(s.right, s.cy), (bend, s.cy), (bend, t.cy), (t.x, t.cy)]


# ---- XML ------------------------------------------------------------------------------------------------
def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


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


# ---- driver ---------------------------------------------------------------------------------------------
def load_model() -> tuple[list[Process], dict[str, bytes]]:
    """The processes and the extra files (DMN) from bpmn/model/*.py (each module exports PROCESSES/FILES)."""
    processes: list[Process] = []
    extra: dict[str, bytes] = {}
    sys.dont_write_bytecode = True  # keep bpmn/model free of __pycache__
    sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "bpmn" / "model")]
    for path in sorted((ROOT / "bpmn" / "model").glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"bpmn_model_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        processes.extend(getattr(module, "PROCESSES", []))
        extra.update(getattr(module, "FILES", {}))
    return processes, extra


def outputs() -> dict[Path, bytes]:
    processes, extra = load_model()
    files: dict[Path, bytes] = {}
    for process in processes:
        files[ROOT / "bpmn" / (process.file or f"{process.key}.bpmn")] = bpmn_document(process)
        for task in _user_tasks(process.body):
            if task.form and task.fields is not None:
                text = form_document(task.form, task.name, task.doc, task.fields)
                files[ROOT / "forms" / f"{task.form}.form"] = text.encode()
    for name, content in extra.items():
        files[ROOT / name] = content
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="only compare with the files on disk")
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    if stale:
        print("Desactualizados: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
