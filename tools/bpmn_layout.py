"""The process data bpmn/model/*.py is written in, and where its shapes, lines and labels go."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bpmn_geometry import (
    EVENTS,
    GATEWAYS,
    LABEL_GAP,
    LANE_HEAD,
    LINE_H,
    POOL_HEAD,
    TAGS,
    Box,
    Plane,
    Point,
    _crosses,
    drilldown_button,
    embedded_fits,
    label_size,
)

# Geometry (pixels): columns left to right, rows inside each lane band.
COL_W, ROW_H = 170, 150
POOL_X, POOL_Y = 130, 60
SIZES = {"event": (36, 36), "gateway": (50, 50), "activity": (100, 80)}
MAX_ACTIVITY_W = 200


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
