"""Versions by content: the canonical form of a BPMN, DMN or Camunda Forms file, and its hash.

The rule (README, "drawing in Camunda Modeler"): a file's version changes when what it says changes — the
model, its camunda: extensions, documentation, scripts and the diagram as drawn (a moved shape, a bent flow,
a resized lane, a colour). It does not change with how the file is written: the exporter and its version,
modeler:* attributes (executionPlatformVersion), the XML declaration and encoding, whitespace between
elements, attribute order, namespace prefixes and declarations, comments, the order of the diagram's shapes,
or the number formatting of coordinates ("100" and "100.0"). A form is its JSON without `exporter`,
`schemaVersion`, `executionPlatform` and `executionPlatformVersion`, key order and whitespace ignored.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from typing import Any

from lxml import etree

from engine.modeling.xml import XmlError, parse_xml

MODELER_NS = "http://camunda.org/schema/modeler/1.0"
XSI_TYPE = "{http://www.w3.org/2001/XMLSchema-instance}type"
EXPORTER_ATTRIBUTES = frozenset({"exporter", "exporterVersion"})
FORM_EXPORTER_KEYS = frozenset({"exporter", "schemaVersion", "executionPlatform", "executionPlatformVersion"})
# Diagram interchange: drawn geometry counts, its element ids and document order do not.
DI_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/BPMN/20100524/DI",
        "http://www.omg.org/spec/DMN/20180521/DMNDI/",
        "https://www.omg.org/spec/DMN/20191111/DMNDI/",
    }
)
DC_NAMESPACES = frozenset(
    {
        "http://www.omg.org/spec/DD/20100524/DC",
        "http://www.omg.org/spec/DD/20100524/DI",
        "http://www.omg.org/spec/DMN/20180521/DC/",
        "http://www.omg.org/spec/DMN/20180521/DI/",
    }
)
_GEOMETRY = frozenset({"x", "y", "width", "height"})
_HASH_VERSION = b"phva-canonical-1\n"


def canonical_bytes(name: str, content: bytes) -> bytes:
    """What the version compares; bytes that are no model (bad XML, bad JSON) stand for themselves."""
    try:
        if name.lower().endswith(".form"):
            return _canonical_form(content)
        return _canonical_xml(parse_xml(content))
    except (XmlError, ValueError, RecursionError):
        return content


def canonical_hash(name: str, content: bytes) -> str:
    return hashlib.sha256(_HASH_VERSION + canonical_bytes(name, content)).hexdigest()


def _canonical_form(content: bytes) -> bytes:
    data = json.loads(content.decode("utf-8-sig"))
    if isinstance(data, dict):
        data = {k: v for k, v in data.items() if k not in FORM_EXPORTER_KEYS}
    return json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def _canonical_xml(root: Any) -> bytes:
    out: list[str] = []
    # An explicit stack, not recursion: a 10,000-element chain nests shallowly, but nothing should bound depth.
    stack: list[Any] = [(root, False)]
    while stack:
        node, closing = stack.pop()
        if closing:
            out.append(")")
            continue
        tag = node.tag
        if not isinstance(tag, str):
            continue  # comments and processing instructions
        out.append("(" + tag)
        namespace = etree.QName(node).namespace
        for attr, value in sorted(_attributes(node, namespace)):
            out.append(f" {attr}={json.dumps(value, ensure_ascii=False)}")
        children = [c for c in node if isinstance(c.tag, str)]
        text = node.text or ""
        if text.strip():  # whitespace-only text is indentation; a leaf's text is kept as written
            out.append(" #" + json.dumps(text if not children else text.strip(), ensure_ascii=False))
        stack.append((node, True))
        if namespace in DI_NAMESPACES and etree.QName(node).localname.endswith("Plane"):
            children = sorted(children, key=_di_sort_key)
        stack.extend((child, False) for child in reversed(children))
    return "".join(out).encode()


def _attributes(node: Any, namespace: str | None) -> Iterable[tuple[str, str]]:
    is_root = node.getparent() is None
    is_di = namespace in DI_NAMESPACES or namespace in DC_NAMESPACES
    for attr, value in node.attrib.items():
        attr_ns = etree.QName(attr).namespace
        if attr_ns == MODELER_NS or (is_root and attr in EXPORTER_ATTRIBUTES):
            continue
        if is_di and attr == "id":
            continue  # BPMNShape/BPMNEdge ids: nothing refers to them, the Modeler renames them freely
        if attr == XSI_TYPE:
            value = _expanded_qname(node, value)
        elif is_di and attr in _GEOMETRY:
            value = _number(value)
        yield attr, value


def _expanded_qname(node: Any, value: str) -> str:
    prefix, _, local = value.rpartition(":")
    uri = node.nsmap.get(prefix or None)
    return f"{{{uri}}}{local}" if uri else value


def _number(value: str) -> str:
    try:
        number = float(value)
    except ValueError:
        return value
    return str(int(number)) if number.is_integer() else repr(number)


def _di_sort_key(node: Any) -> tuple[str, str]:
    return (etree.QName(node).localname, node.get("bpmnElement") or node.get("dmnElementRef") or "")
