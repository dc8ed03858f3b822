"""camunda:inputOutput and camunda:executionListener / taskListener, read into JSON for the runtime.

A parameter value is a tagged tree the runtime (engine.runtime.listeners) evaluates:
`{"text": "…"}`, `{"expr": python, "source": "${…}"}`, `{"list": [value…]}`, `{"map": {key: value}}`,
`{"script": python, "format": "python"}` or `{"null": true}` (an empty parameter is null, as in Camunda).
A listener is `{"scope": "execution"|"task", "event", "kind": "expression"|"handler"|"script", "value"}`.
What cannot run here (a groovy script, a Java class with no handler) is refused by engine.modeling.delegates.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
NS = {"bpmn": BPMN_NS, "camunda": CAMUNDA_NS}
PYTHON_FORMATS = frozenset({"python", "py", "python3"})

Translate = Callable[[str], str]


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def _children(node: Any) -> list[Any]:
    return [c for c in node if isinstance(c.tag, str)]


def _has_juel(text: str) -> bool:
    return "${" in text or "#{" in text


def read_value(holder: Any, translate: Translate) -> dict[str, Any]:
    """The value of an inputParameter, outputParameter, list value or map entry."""
    children = _children(holder)
    if not children:
        text = holder.text
        if text is None or (not text.strip() and holder.tag != _c("value")):
            return {"null": True}
        if _has_juel(text):
            return {"expr": translate(text), "source": text.strip()}
        return {"text": text}
    child = children[0]
    tag = etree.QName(child).localname
    if tag == "list":
        return {"list": [read_value(v, translate) for v in _children(child)]}
    if tag == "map":
        return {"map": {e.get("key"): read_value(e, translate) for e in child.findall(_c("entry"))}}
    if tag == "script":
        return {"script": (child.text or "").strip(), "format": (child.get("scriptFormat") or "").lower()}
    return {"null": True}


def read_input_output(node: Any, translate: Translate) -> dict[str, list[dict[str, Any]]] | None:
    io = node.xpath("./bpmn:extensionElements/camunda:inputOutput", namespaces=NS)
    if not io:
        return None
    return {
        "inputs": [
            {"name": p.get("name"), "value": read_value(p, translate)}
            for p in io[0].findall(_c("inputParameter"))
        ],
        "outputs": [
            {"name": p.get("name"), "value": read_value(p, translate)}
            for p in io[0].findall(_c("outputParameter"))
        ],
    }


def handler_name(value: str) -> str:
    """camunda:class is the handler's name; a delegateExpression `${bean}` names the handler `bean`."""
    text = value.strip()
    if text.startswith(("${", "#{")) and text.endswith("}"):
        return text[2:-1].strip()
    return text


def listener_elements(node: Any) -> list[tuple[str, Any]]:
    found = node.xpath(
        "./bpmn:extensionElements/camunda:executionListener | ./bpmn:extensionElements/camunda:taskListener",
        namespaces=NS,
    )
    return [("task" if etree.QName(el).localname == "taskListener" else "execution", el) for el in found]


def read_listeners(node: Any, translate: Translate) -> list[dict[str, Any]]:
    listeners: list[dict[str, Any]] = []
    for scope, el in listener_elements(node):
        event = el.get("event") or ("create" if scope == "task" else "start")
        entry: dict[str, Any] = {"scope": scope, "event": event}
        script = el.find(_c("script"))
        if el.get("expression"):
            entry.update(
                kind="expression", value=translate(el.get("expression")), source=el.get("expression")
            )
        elif el.get("class") or el.get("delegateExpression"):
            entry.update(kind="handler", value=handler_name(el.get("class") or el.get("delegateExpression")))
        elif script is not None:
            script_format = (script.get("scriptFormat") or "").lower()
            if script_format in PYTHON_FORMATS:
                entry.update(kind="script", value=script.text or "")
            else:  # runs only through the handler engine.modeling.delegates checked at deploy
                entry.update(kind="handler", value=script_handler_name(node, event))
        else:
            continue
        listeners.append(entry)
    return listeners


def script_handler_name(node: Any, event: str | None = None) -> str:
    """The handler that replaces a script this engine cannot run: `phva:handler[:event]`, else by id."""
    props = {
        p.get("name"): p.get("value")
        for p in node.xpath("./bpmn:extensionElements/camunda:properties/camunda:property", namespaces=NS)
    }
    if event is None:
        return str(props.get("phva:handler") or node.get("id") or "")
    return str(props.get(f"phva:handler:{event}") or f"{node.get('id')}:{event}")
