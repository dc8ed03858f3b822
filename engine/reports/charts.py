"""Charts as SVG text drawn on the server: the same markup in the page and in the printed PDF, no script, each
with its title and a text alternative (the figures in words) for screen readers."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

WIDTH = 560
BAR_HEIGHT, GAP, TOP = 22, 8, 8
LABEL_WIDTH = 210
LABEL_CHARS = 26  # what fits in LABEL_WIDTH at 13 px
PALETTE = ("#0b4f8a", "#1e6b30", "#8a5a00", "#6b2f8a", "#a4161a", "#2f6f73")
INK, MUTED, GRID, GOAL = "#1b1f24", "#4a5360", "#d7dbe0", "#a4161a"
_ids = itertools.count(1)


@dataclass(frozen=True)
class Chart:
    title: str
    svg: str
    alt: str  # the chart's figures as one sentence

    def to_dict(self) -> dict[str, str]:
        return {"titulo": self.title, "svg": self.svg, "texto": self.alt}


def _number(value: float) -> str:
    text = f"{value:,.1f}" if value != int(value) else f"{int(value):,}"
    return text.replace(",", " ").replace(".", ",")  # es-CO: decimal comma, thin grouping


def _clip(text: str, limit: int = LABEL_CHARS) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _frame(title: str, alt: str, height: int, body: str) -> str:
    n = next(_ids)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" role="img" aria-labelledby="chart-t{n} chart-d{n}" '
        f'font-family="DejaVu Sans, Arial, sans-serif" font-size="13">'
        f'<title id="chart-t{n}">{escape(title)}</title><desc id="chart-d{n}">{escape(alt)}</desc>{body}</svg>'
    )


def bars(title: str, items: Sequence[tuple[str, float]], *, unit: str = "") -> Chart:
    """Horizontal bars, one per (label, value), scaled to the largest value."""
    suffix = f" {unit}" if unit else ""
    alt = (
        f"{title}: " + "; ".join(f"{label}, {_number(value)}{suffix}" for label, value in items) + "."
        if items
        else f"{title}: sin datos en el periodo."
    )
    if not items:
        body = f'<text x="8" y="26" fill="{MUTED}">Sin datos en el periodo.</text>'
        return Chart(title, _frame(title, alt, 40, body), alt)
    top = max(value for _, value in items) or 1
    span = WIDTH - LABEL_WIDTH - 20 - 8 * len(f"{_number(top)}{suffix}")  # room for the largest figure
    rows = []
    for index, (label, value) in enumerate(items):
        y = TOP + index * (BAR_HEIGHT + GAP)
        length = max(span * value / top, 1 if value else 0)
        colour = PALETTE[index % len(PALETTE)]
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(_clip(label))}</text>'
            f'<rect x="{LABEL_WIDTH}" y="{y}" width="{length:.1f}" height="{BAR_HEIGHT}" fill="{colour}"/>'
            f'<text x="{LABEL_WIDTH + length + 6:.1f}" y="{y + 16}" fill="{INK}">{_number(value)}{escape(suffix)}</text>'
        )
    height = TOP * 2 + len(items) * (BAR_HEIGHT + GAP)
    return Chart(title, _frame(title, alt, height, "".join(rows)), alt)


def against_goals(title: str, items: Sequence[tuple[str, float | None, float | None]]) -> Chart:
    """Percentages on a 0–100 scale, each with its goal marked by a line."""

    def said(label: str, value: float | None, goal: float | None) -> str:
        figure = "sin dato" if value is None else f"{_number(value)} %"
        return f"{label}, {figure}" + ("" if goal is None else f" (meta {_number(goal)} %)")

    alt = f"{title}: " + "; ".join(said(*item) for item in items) + "."
    span = WIDTH - LABEL_WIDTH - 70
    rows = [
        f'<line x1="{LABEL_WIDTH + span * t / 100:.1f}" y1="0" x2="{LABEL_WIDTH + span * t / 100:.1f}" '
        f'y2="{TOP + len(items) * (BAR_HEIGHT + GAP)}" stroke="{GRID}"/>'
        for t in (0, 25, 50, 75, 100)
    ]
    for index, (label, value, goal) in enumerate(items):
        y = TOP + index * (BAR_HEIGHT + GAP)
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 16}" text-anchor="end" fill="{INK}">{escape(_clip(label))}</text>'
        )
        if value is not None:
            met = goal is None or value >= goal
            rows.append(
                f'<rect x="{LABEL_WIDTH}" y="{y}" width="{span * min(value, 100) / 100:.1f}" height="{BAR_HEIGHT}" '
                f'fill="{PALETTE[1] if met else GOAL}"/>'
            )
        if goal is not None:
            x = LABEL_WIDTH + span * min(goal, 100) / 100
            rows.append(
                f'<line x1="{x:.1f}" y1="{y - 3}" x2="{x:.1f}" y2="{y + BAR_HEIGHT + 3}" stroke="{INK}" '
                f'stroke-width="3" stroke-dasharray="4 2"/>'
            )
        figure = "sin dato" if value is None else f"{_number(value)} %"
        rows.append(f'<text x="{LABEL_WIDTH + span + 8}" y="{y + 16}" fill="{INK}">{figure}</text>')
    height = TOP * 2 + len(items) * (BAR_HEIGHT + GAP) + 18
    legend_y = height - 6
    rows.append(
        f'<text x="{LABEL_WIDTH}" y="{legend_y}" fill="{MUTED}" font-size="11">0 %</text>'
        f'<text x="{LABEL_WIDTH + span}" y="{legend_y}" fill="{MUTED}" font-size="11" text-anchor="end">100 %</text>'
        f'<text x="{LABEL_WIDTH + span / 2}" y="{legend_y}" fill="{MUTED}" font-size="11" text-anchor="middle">'
        "línea punteada: meta</text>"
    )
    return Chart(title, _frame(title, alt, height, "".join(rows)), alt)
