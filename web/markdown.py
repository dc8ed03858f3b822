"""The little Markdown that form texts and documentation carry, as safe HTML.

Camunda Forms "text" components hold Markdown. Only a small subset is rendered — headings, bold, italics,
bulleted and numbered lists, paragraphs and line breaks — and the text is escaped first, so raw HTML,
links and images come out as the characters they are.
"""

from __future__ import annotations

import re

from markupsafe import Markup, escape

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.+)$")
_NUMBERED = re.compile(r"^\s*\d{1,3}[.)]\s+(.+)$")
_STRONG = re.compile(r"\*\*(?=\S)(.+?)(?<=\S)\*\*")
_EM = re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])|(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)")


def _inline(text: str) -> str:
    html = str(escape(text.strip()))
    html = _STRONG.sub(r"<strong>\1</strong>", html)
    return _EM.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", html)


def to_html(text: str | None) -> Markup:
    """`#` is an h2, `##` an h3 (a task page's sections are h2), down to h6."""
    blocks: list[str] = []
    lines: list[str] = []  # the open paragraph
    items: list[str] = []  # the open list
    list_tag = ""

    def close() -> None:
        nonlocal list_tag
        if lines:
            blocks.append(f"<p>{'<br>'.join(lines)}</p>")
            lines.clear()
        if items:
            blocks.append(f"<{list_tag}>{''.join(f'<li>{i}</li>' for i in items)}</{list_tag}>")
            items.clear()

    for raw in (text or "").splitlines():
        heading, bullet = _HEADING.match(raw), _BULLET.match(raw)
        item = bullet or _NUMBERED.match(raw)
        if not raw.strip():
            close()
        elif heading:
            close()
            level = min(len(heading.group(1)) + 1, 6)
            blocks.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
        elif item:
            tag = "ul" if bullet else "ol"
            if lines or (items and tag != list_tag):
                close()
            list_tag = tag
            items.append(_inline(item.group(1)))
        elif items:
            items[-1] += " " + _inline(raw)  # a wrapped list item
        else:
            lines.append(_inline(raw))
    close()
    return Markup("".join(blocks))


def plain(text: str | None) -> str:
    """The words only (no Markdown marks, one space between words): to compare two texts."""
    words = re.sub(r"^\s*(#{1,6}|[-*+]|\d{1,3}[.)])\s+", "", text or "", flags=re.MULTILINE)
    return " ".join(re.sub(r"[*_]{1,2}(?=\S)|(?<=\S)[*_]{1,2}", "", words).split())


def split_heading(text: str | None) -> tuple[str | None, str]:
    """A text's leading heading (its words) and the rest."""
    body = (text or "").strip()
    first, _, rest = body.partition("\n")
    found = _HEADING.match(first)
    return (plain(found.group(2)), rest.strip()) if found else (None, body)
