"""Writes bpmn/*.bpmn and forms/*.form from the compact process data in bpmn/model/.

The output is what Camunda Modeler 5 (Camunda Platform 7) saves: a collaboration with one pool, lanes as
horizontal bands, full diagram interchange (a shape for every flow node, lane and boundary event, an edge
with waypoints for every flow) laid out left to right, and one Camunda Forms file per user task.
The files stay editable in Camunda Modeler; rerun this tool only if you keep editing the Python data.

    python tools/layout_bpmn.py            # regenerate
    python tools/layout_bpmn.py --check    # fail if the committed files differ from the data
                                           # or a label or a line covers what it should not
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import math
import re
import sys
from collections import Counter
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
MAX_ACTIVITY_W = 200
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


# ---- what bpmn-js draws ---------------------------------------------------------------------------------
# External labels (events, gateways, flows): 11 px Arial, line height 1.2, wrapped at the width of their
# bounds and centred in it, from the top, as tall as the text (90 px wide under the shape without bounds).
# Task and subprocess names: 12 px, centred in the shape (7 px padding at the sides), where they must clear
# the type icon at the top left and the collapsed marker at the bottom.
EXTERNAL_FONT, EMBEDDED_FONT, LINE_RATIO, LABEL_WRAP, EMBEDDED_PADDING = 11, 12, 1.2, 90, 7
EMBEDDED_TAGS = {tag for key, tag in TAGS.items() if key not in EVENTS | GATEWAYS}
ICONS = {  # x, y, width, height inside the shape, as bpmn-js 18 draws them
    "userTask": (4, 4, 17, 20),
    "serviceTask": (4, 4, 19, 18),
    "scriptTask": (5, 5, 13, 15),
    "businessRuleTask": (8, 8, 20, 12),
}
COLLAPSED = {"callActivity", "subProcess"}  # drawn with the [+] marker, 14 px square, 6 px above the bottom
LINE_H = EXTERNAL_FONT * LINE_RATIO
LABEL_GAP, LABEL_MARGIN = 5, 3  # label to its shape; free space kept around a placed label
LABEL_SLACK = 4  # bounds a little wider than the text, so the browser's own measure wraps it the same way
_ARIAL = {  # advance widths in 1/1000 em (Liberation Sans has the same metrics); others count as 556
    191: "'",
    222: "ijl’",
    278: " .,:;!/\\[]ftIíÍ·",
    333: "-()r¡`“”",
    355: '"',
    370: "ªº°",
    500: "cksvxyzJ",
    584: "+<=>~",
    611: "FTZ¿",
    667: "ABEKPSVXYÁÉ&",
    722: "wCDHNRUÚÑ",
    778: "GOQÓ",
    833: "mM",
    889: "%",
    944: "W",
    1000: "—…",
}
_CHAR_W = {char: width for width, chars in _ARIAL.items() for char in chars}
_SEPARATOR = re.compile(r"(\s|-|\u00ad)")
Point = tuple[float, float]


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

    def grown(self, margin: float) -> Box:
        return Box(self.x - margin, self.y - margin, self.w + 2 * margin, self.h + 2 * margin)


def text_width(text: str, font: float) -> float:
    return sum(_CHAR_W.get(char, 556) for char in text.rstrip()) * font / 1000


def wrap(text: str, width: float, font: float) -> list[str]:
    """The lines of a name as diagram-js's Text lays them out: greedy, breaking at spaces and hyphens."""
    pending, lines = re.split(r"\u00ad?\r?\n", text), []
    while pending:
        original = line = pending.pop(0)
        while line not in (" ", "") and len(line) >= 2 and text_width(line, font) >= _js_round(width):
            line = _shorten(line, text_width(line, font), width)
        if len(line) < len(original):
            pending.insert(0, original[len(line) :].strip())
        lines.append(line)
    return lines


def _shorten(line: str, measured: float, width: float) -> str:
    limit = max(len(line) * width / measured, 1)
    kept: list[str] = []
    parts = _SEPARATOR.split(line)
    for part in parts if len(parts) > 1 else []:
        if not part:
            break
        if len(part) + sum(map(len, kept)) >= limit:
            if part in ("-", "\u00ad") and kept:
                kept.pop()
            break
        kept.append(part)
    if kept and kept[-1] == "\u00ad":
        kept[-1] = "-"
    return "".join(kept) or line[: max(_js_round(limit - 1), 1)]


def _js_round(value: float) -> int:
    return math.floor(value + 0.5)


def label_size(name: str) -> tuple[float, float]:
    """Bounds for an external label: its text wrapped at 90 px, as Camunda Modeler lays it out."""
    lines = wrap(name, LABEL_WRAP, EXTERNAL_FONT)
    width = max(text_width(line, EXTERNAL_FONT) for line in lines)
    return math.ceil(width) + LABEL_SLACK, math.ceil(len(lines) * LINE_H)


def drawn_label(name: str, bounds: Box) -> Box:
    """What a label with these bounds covers: them, and its text where it runs below them."""
    lines = wrap(name, bounds.w, EXTERNAL_FONT)
    return Box(bounds.x, bounds.y, bounds.w, max(bounds.h, len(lines) * LINE_H))


def embedded_lines(name: str, shape: Box) -> list[Box]:
    """Where bpmn-js draws the lines of a task's name: centred in the shape, 7 px from its sides."""
    lines = wrap(name, shape.w - 2 * EMBEDDED_PADDING, EMBEDDED_FONT)
    line_h = EMBEDDED_FONT * LINE_RATIO
    top = shape.cy - len(lines) * line_h / 2
    widths = [text_width(line, EMBEDDED_FONT) for line in lines]
    return [Box(shape.cx - w / 2, top + index * line_h, w, line_h) for index, w in enumerate(widths)]


def embedded_fits(name: str, shape: Box, tag: str) -> bool:
    """Whether a task's name stays inside its shape, 2 px clear of its type icon and its collapsed marker."""
    lines = embedded_lines(name, shape)
    covered = [Box(shape.x + x, shape.y + y, w, h) for x, y, w, h in [ICONS[tag]]] if tag in ICONS else []
    covered += [Box(shape.cx - 7, shape.bottom - 20, 14, 14)] if tag in COLLAPSED else []
    inside = lines[0].y >= shape.y and lines[-1].bottom <= shape.bottom
    return inside and not any(_overlap(line, other.grown(2)) for line in lines for other in covered)


def drilldown_button(shape: Box) -> Box:
    """The button bpmn-js puts under the bottom right corner of a collapsed subprocess."""
    return Box(shape.right - 12, shape.bottom + 7, 20, 20)


def _overlap(a: Box, b: Box) -> bool:
    return min(a.right, b.right) - max(a.x, b.x) > 0.5 and min(a.bottom, b.bottom) - max(a.y, b.y) > 0.5


def _crosses(box: Box, a: Point, b: Point) -> bool:
    """Whether the segment a–b enters the box (a slanted segment counts by its bounding box)."""
    (x1, y1), (x2, y2) = a, b
    return (
        min(x1, x2) < box.right - 0.5
        and max(x1, x2) > box.x + 0.5
        and min(y1, y2) < box.bottom - 0.5
        and max(y1, y2) > box.y + 0.5
    )


@dataclass
class Plane:
    """One diagram plane as boxes by element: shapes (with name bands and buttons), flow segments, labels."""

    shapes: dict[str, list[Box]] = field(default_factory=dict)
    segments: list[tuple[str, Point, Point]] = field(default_factory=list)
    labels: dict[str, Box] = field(default_factory=dict)

    def clashes(self, owner: str, box: Box) -> list[str]:
        """What the label of `owner` would cover in `box`; only a flow's own line may run by its label."""
        found = [
            f"la etiqueta de {o}" for o, label in self.labels.items() if o != owner and _overlap(box, label)
        ]
        found += [
            "su propia figura" if o == owner else f"la figura de {o}"
            for o, shapes in self.shapes.items()
            if any(_overlap(box, shape) for shape in shapes)
        ]
        lines = [o for o, a, b in self.segments if o != owner and _crosses(box, a, b)]
        return found + [f"la línea de {o}" for o in dict.fromkeys(lines)]

    def place(self, owner: str, spots: list[Box]) -> None:
        """The first spot clear of everything around it, else the one that covers least."""
        self.labels[owner] = min(spots, key=lambda spot: len(self.clashes(owner, spot.grown(LABEL_MARGIN))))


# ---- layout ---------------------------------------------------------------------------------------------
def _kind(node: Node) -> str:
    if node.type in EVENTS:
        return "event"
    return "gateway" if node.type in GATEWAYS else "activity"


def _size(node: Node, boundaries: int) -> tuple[float, float]:
    """Events and gateways keep their size; a task widens 20 px at a time for its name and boundary events."""
    w, h = SIZES[_kind(node)]
    while _kind(node) == "activity" and w < MAX_ACTIVITY_W:
        if (
            embedded_fits(node.name, Box(0, 0, w, h), TAGS[node.type])
            and len(_boundary_slots(node, w)) >= boundaries
        ):
            break
        w += 20
    return w, h


def _boundary_slots(node: Node, width: float) -> list[float]:
    """Where boundary events go along the bottom (left edges, from the host's left), right to left.

    Clear of the drill-down button of a subprocess; around the marker in the middle of a subprocess or call.
    """
    step, size = 44, SIZES["event"][0]
    inset = 56 if node.type == "subprocess" else 46
    right = [width - inset - k * step for k in range(int(width // step))]
    if node.type not in ("subprocess", "call"):
        return [x for x in right if x >= 8]
    left = [10 + k * step for k in range(int(width // step))]
    pairs = itertools.zip_longest(
        [x for x in right if x >= width / 2 + 10], [x for x in left if x + size <= width / 2 - 10]
    )
    return [x for pair in pairs for x in pair if x is not None]


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
    boundaries = Counter(n.attached for n in body.nodes if n.attached)
    sizes = {n.id: _size(n, boundaries[n.id]) for n in body.nodes}
    col_w = [float(COL_W)] * (max(col.values(), default=0) + 1)
    for node_id in row:  # a wide task widens its column: the gap to the next one stays
        col_w[col[node_id]] = max(col_w[col[node_id]], sizes[node_id][0] + COL_W - SIZES["activity"][0])
    width = sum(col_w) + 80
    lane_x = POOL_X + POOL_HEAD
    centres = [lane_x + LANE_HEAD + 60 - COL_W / 2 + sum(col_w[:c]) + col_w[c] / 2 for c in range(len(col_w))]
    lane_boxes: dict[str, Box] = {}
    y = POOL_Y
    for lane in lane_ids:
        height = rows_in_lane[lane] * ROW_H
        lane_boxes[lane] = Box(lane_x, y, width, height)
        y += height
    pool = Box(POOL_X, POOL_Y, width + POOL_HEAD, y - POOL_Y)
    boxes: dict[str, Box] = {}
    for node_id, r in row.items():
        band = lane_boxes[nodes[node_id].lane or lane_ids[0]]
        w, h = sizes[node_id]
        cy = band.y + ROW_H / 2 + r * ROW_H
        boxes[node_id] = Box(centres[col[node_id]] - w / 2, cy - h / 2, w, h)
    slots = {host: _boundary_slots(nodes[host], boxes[host].w) for host in boundaries}
    for node in body.nodes:
        if node.attached:
            host = boxes[node.attached]
            boxes[node.id] = Box(host.x + slots[node.attached].pop(0), host.bottom - 18, 36, 36)
    edges = {f.id: _route(f, boxes, nodes, f.id in back_flows) for f in body.flows}
    plane = Plane({node_id: [box] for node_id, box in boxes.items()})
    plane.segments = [(f, a, b) for f, points in edges.items() for a, b in itertools.pairwise(points)]
    if lanes:  # the pool's and the lanes' names are drawn in their header bands
        plane.shapes["pool"] = [Box(pool.x, pool.y, POOL_HEAD, pool.h)]
        plane.shapes.update({lane: [Box(b.x, b.y, LANE_HEAD, b.h)] for lane, b in lane_boxes.items()})
    for node in body.nodes:
        if node.type == "subprocess":
            plane.shapes[node.id].append(drilldown_button(boxes[node.id]))
    for node in body.nodes:
        if _kind(node) != "activity" and node.name:
            plane.place(node.id, _node_spots(boxes[node.id], label_size(node.name)))
    for f in body.flows:
        if f.name:
            plane.place(f.id, _flow_spots(edges[f.id], label_size(f.name)))
    return Layout(boxes, lane_boxes, pool, edges, plane.labels)


def _node_spots(shape: Box, size: tuple[float, float]) -> list[Box]:
    """Below the shape (bpmn-js's default), above it, then beside a flow that leaves from its bottom or top,
    lower down a line at a time."""
    w, h = size
    below, above = shape.bottom + LABEL_GAP, shape.y - LABEL_GAP - h
    centre, right, left = shape.cx - w / 2, shape.cx + 8, shape.cx - 8 - w
    spots = [(centre, below), (centre, above), (right, below), (left, below), (right, above), (left, above)]
    spots += [(x, below + step * LINE_H) for step in (1, 2, 3) for x in (right, left)]
    return [Box(x, y, w, h) for x, y in spots]


def _flow_spots(points: list[Point], size: tuple[float, float]) -> list[Box]:
    """On the first two segments: by the source, then halfway; above (right of) the line, or below (left)."""
    w, h = size
    spots: list[Box] = []
    for (x1, y1), (x2, y2) in list(itertools.pairwise(points))[:2]:
        if y1 == y2:
            for x in (x1 + 8 if x2 > x1 else x1 - 8 - w, (x1 + x2 - w) / 2):
                spots += [Box(x, y1 - 4 - h, w, h), Box(x, y1 + 4, w, h)]
        else:
            for y in (y1 + 8 if y2 > y1 else y1 - 8 - h, (y1 + y2 - h) / 2):
                spots += [Box(x1 + 6, y, w, h), Box(x1 - 6 - w, y, w, h)]
    return spots


def _inherited_row(node_id: str, body: Body, host_of: dict[str, str], row: dict[str, int]) -> int:
    sources = [f.source for f in body.flows if f.target == node_id]
    for source in sources:
        if source in host_of:
            return row.get(host_of[source], 0) + 1
    placed = [row[s] for s in sources if s in row]
    return min(placed) if placed else 0


def _route(flow: Flow, boxes: dict[str, Box], nodes: dict[str, Node], back: bool) -> list[Point]:
    """The first of the usual orthogonal routes that passes by every other shape, else the first."""
    others = [box for node_id, box in boxes.items() if node_id not in (flow.source, flow.target)]
    routes = _routes(flow, boxes, nodes, back)
    clear = (
        r for r in routes if not any(_crosses(o, a, b) for o in others for a, b in itertools.pairwise(r))
    )
    return next(clear, routes[0])


def _routes(flow: Flow, boxes: dict[str, Box], nodes: dict[str, Node], back: bool) -> list[list[Point]]:
    s, t = boxes[flow.source], boxes[flow.target]
    source, target = nodes[flow.source], nodes[flow.target]
    if back or t.cx <= s.cx:
        channel = max(s.bottom, t.bottom) + 32
        return [[(s.cx, s.bottom), (s.cx, channel), (t.cx, channel), (t.cx, t.bottom)]]
    if abs(s.cy - t.cy) < 1:
        return [[(s.right, s.cy), (t.x, t.cy)]]
    if source.attached and t.cy > s.bottom:
        return [[(s.cx, s.bottom), (s.cx, t.cy), (t.x, t.cy)]]
    if source.attached:  # a target level with the host or above: under the host (and a label), up into it
        below = s.bottom + 40
        return [
            [(s.cx, s.bottom), (s.cx, below), (t.cx, below), (t.cx, t.bottom)],
            [(s.cx, s.bottom), (s.cx, below), (t.x - 30, below), (t.x - 30, t.cy), (t.x, t.cy)],
        ]
    down = t.cy > s.cy
    bend, step = t.x - 30, ROW_H / 2 if down else -ROW_H / 2  # between the columns; half a row
    leave = (s.cx, s.bottom if down else s.y)
    across = [(s.right, s.cy), (t.cx, s.cy), (t.cx, t.y if down else t.bottom)]
    bent = [(s.right, s.cy), (bend, s.cy), (bend, t.cy), (t.x, t.cy)]
    if _kind(source) == "gateway":  # down its column, else along the gap between rows by the target or by it
        gaps = [[leave, (s.cx, y), (bend, y), (bend, t.cy), (t.x, t.cy)] for y in (t.cy - step, s.cy + step)]
        return [[leave, (s.cx, t.cy), (t.x, t.cy)], across, *gaps]
    if _kind(target) == "gateway":
        return [across, bent]
    return [bent, across]


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


# ---- label check ----------------------------------------------------------------------------------------
def label_overlaps(document: bytes) -> list[str]:
    """Labels, as bpmn-js draws them, that cover another label, a shape (their own too) or a flow's line.

    Plane by plane. A task's or collapsed subprocess's name is drawn inside it: it must fit there, clear of
    the icon and the marker, and no other shape or line may cross it. Events, gateways and flows without
    label bounds are checked where bpmn-js puts their labels. Pools and lanes count by their header bands.
    """
    root = etree.fromstring(document)
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}
    problems: list[str] = []
    for di_plane in root.iter(_q(BPMNDI, "BPMNPlane")):
        plane, named, inside = Plane(), [], []
        for di in di_plane:
            element = elements[di.get("bpmnElement")]
            owner, kind, name = element.get("id"), etree.QName(element).localname, element.get("name") or ""
            bounds = di.find(_q(DC, "Bounds"))
            shape = _box(bounds) if bounds is not None else None
            points = [(float(p.get("x")), float(p.get("y"))) for p in di.iter(_q(DI, "waypoint"))]
            plane.segments += [(owner, a, b) for a, b in itertools.pairwise(points)]
            if shape is not None and kind in ("participant", "lane"):
                plane.shapes[owner] = [Box(shape.x, shape.y, LANE_HEAD, shape.h)]
                continue
            if shape is not None:
                plane.shapes[owner] = [shape]
            if shape is not None and kind == "subProcess" and di.get("isExpanded") != "true":
                plane.shapes[owner].append(drilldown_button(shape))
            if kind in EMBEDDED_TAGS and name and shape is not None and di.get("isExpanded") != "true":
                if not embedded_fits(name, shape, kind):
                    problems.append(
                        f"{owner}: el nombre no cabe en la figura sin tapar su icono o su marcador"
                    )
                inside.append((owner, embedded_lines(name, shape)))
            elif kind not in EMBEDDED_TAGS and name:  # an external label
                label = di.find(f"{{{BPMNDI}}}BPMNLabel/{{{DC}}}Bounds")
                given = _box(label) if label is not None else None
                if given is not None and given.w > 0:
                    named.append((owner, drawn_label(name, given)))
                else:
                    named.append((owner, _default_label(name, shape, points)))
        for owner, lines in inside:  # other shapes and lines over a task's name (labels count below)
            found = [
                what for line in lines for what in plane.clashes(owner, line) if what != "su propia figura"
            ]
            problems += [f"{owner}: su nombre queda bajo {what}" for what in dict.fromkeys(found)]
        for owner, box in named:
            problems += [f"{owner}: su etiqueta tapa {what}" for what in plane.clashes(owner, box)]
            plane.labels[owner] = box
    return problems


def flow_crossings(document: bytes) -> list[str]:
    """Flows whose line runs through a shape other than their source and target."""
    root = etree.fromstring(document)
    elements = {el.get("id"): el for el in root.iter() if el.get("id")}
    problems: list[str] = []
    for plane in root.iter(_q(BPMNDI, "BPMNPlane")):
        shapes = {
            di.get("bpmnElement"): _box(di.find(_q(DC, "Bounds")))
            for di in plane.iter(_q(BPMNDI, "BPMNShape"))
            if etree.QName(elements[di.get("bpmnElement")]).localname not in ("participant", "lane")
        }
        for di in plane.iter(_q(BPMNDI, "BPMNEdge")):
            flow = elements[di.get("bpmnElement")]
            ends = {flow.get("sourceRef"), flow.get("targetRef")}
            points = [(float(p.get("x")), float(p.get("y"))) for p in di.iter(_q(DI, "waypoint"))]
            problems += [
                f"{flow.get('id')}: su línea atraviesa la figura de {other}"
                for other, box in shapes.items()
                if other not in ends and any(_crosses(box, a, b) for a, b in itertools.pairwise(points))
            ]
    return problems


def _default_label(name: str, shape: Box | None, waypoints: list[Point]) -> Box:
    """Where bpmn-js puts a label without bounds: its text wrapped at 90 px, from under the shape's middle or,
    for a flow, around a point 15 px off its middle."""
    if shape is not None:
        x, top = shape.cx, shape.bottom
    else:
        middle = len(waypoints) / 2 - 1
        first, second = waypoints[math.floor(middle)], waypoints[math.ceil(middle + 0.01)]
        x, y = _halfway(waypoints)
        vertical = first[0] == second[0]  # right of a vertical segment, above any other
        x, top = (x + 15, y - 10) if vertical else (x, y - 25)
    width, height = label_size(name)
    return Box(x - width / 2, top, width, height)


def _halfway(points: list[Point]) -> Point:
    remaining = sum(math.dist(a, b) for a, b in itertools.pairwise(points)) / 2
    for a, b in itertools.pairwise(points):
        length = math.dist(a, b)
        if length and remaining <= length:
            return a[0] + (b[0] - a[0]) * remaining / length, a[1] + (b[1] - a[1]) * remaining / length
        remaining -= length
    return points[-1]


def _box(bounds: Any) -> Box:
    return Box(*(float(bounds.get(key)) for key in ("x", "y", "width", "height")))


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
    parser.add_argument(
        "--check", action="store_true", help="only compare with the files on disk; check labels and lines"
    )
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
    crowded = [
        f"{path.relative_to(ROOT)}: {problem}"
        for path in sorted((ROOT / "bpmn").glob("*.bpmn"))
        for problem in label_overlaps(path.read_bytes()) + flow_crossings(path.read_bytes())
    ]
    for problem in crowded:
        print(problem, file=sys.stderr)
    return 1 if stale or crowded else 0


if __name__ == "__main__":
    sys.exit(main())
