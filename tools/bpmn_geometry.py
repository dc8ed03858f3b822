"""What bpmn-js draws (text widths, wrapped names, label and shape boxes) and the label and line checks."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

BPMNDI = "http://www.omg.org/spec/BPMN/20100524/DI"
DC = "http://www.omg.org/spec/DD/20100524/DC"
DI = "http://www.omg.org/spec/DD/20100524/DI"
LANE_HEAD, POOL_HEAD = 30, 30  # the header bands of lanes and the pool, where their names are drawn
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


def _q(ns: str, tag: str) -> str:
    return f"{{{ns}}}{tag}"


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
