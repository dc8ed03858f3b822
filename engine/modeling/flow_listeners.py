"""Camunda 7's listeners on sequence flows and on the process, made runnable for SpiffWorkflow just before
parsing (after engine.modeling.delegates checked them), which has neither.

- **`take` on a sequence flow** (ExecutionListenerTest.testSequenceFlowListener…): Camunda runs it after the
  source's `end` listeners and before the target's `start` ones. The flow now passes through a plain
  intermediate event of its own that carries the listeners (run as `take` by engine.runtime.listeners);
  the flow keeps its id and condition, so gateways and their `default` are unchanged.
- **`start` on the process**: Camunda runs it when the instance starts, before its start event. It is
  put first among the listeners of each start event of the process: an instance is started by one.
A groovy or JavaScript listener script keeps the handler name the check asked for (`<flow id>:take`,
`<process id>:start`).
"""

from __future__ import annotations

import copy
from typing import Any

from lxml import etree

from engine.modeling.io_mapping import NS, PYTHON_FORMATS, script_handler_name

_B = f"{{{NS['bpmn']}}}"
_C = f"{{{NS['camunda']}}}"


def _extensions(node: Any) -> Any:
    found = node.find(f"{_B}extensionElements")
    if found is None:
        found = etree.Element(f"{_B}extensionElements")
        node.insert(0, found)
    return found


def _execution_listeners(node: Any) -> list[Any]:
    return list(node.xpath("./bpmn:extensionElements/camunda:executionListener", namespaces=NS))


def make_listeners_runnable(root: Any) -> None:
    taken = {str(el.get("id")) for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for flow in list(root.iter(f"{_B}sequenceFlow")):
        listeners = _execution_listeners(flow)
        if listeners:
            _through_event(flow, [_handled_by_name(flow, el, "take") for el in listeners], taken)
    for process in root.iterfind(f"{_B}process"):
        starts = [
            _handled_by_name(process, copy.deepcopy(el), "start")
            for el in _execution_listeners(process)
            if (el.get("event") or "start") == "start"
        ]
        for event in process.iterfind(f"{_B}startEvent"):
            holder = _extensions(event)
            for index, listener in enumerate(copy.deepcopy(starts)):
                holder.insert(index, listener)


def _handled_by_name(owner: Any, listener: Any, event: str) -> Any:
    """A script this engine cannot run keeps the handler its owner's check named (`<owner id>:<event>`)."""
    script = listener.find(f"{_C}script")
    if script is not None and (script.get("scriptFormat") or "").lower() not in PYTHON_FORMATS:
        listener.remove(script)
        listener.set("class", script_handler_name(owner, event))
    return listener


def _through_event(flow: Any, listeners: list[Any], taken: set[str]) -> None:
    fid, scope = str(flow.get("id")), flow.getparent()
    eid, n = f"{fid}_take", 2
    while eid in taken:
        eid, n = f"{fid}_take_{n}", n + 1
    taken.add(eid)
    event = etree.SubElement(scope, f"{_B}intermediateThrowEvent", id=eid)
    holder = _extensions(event)
    for listener in listeners:
        listener.getparent().remove(listener)
        listener.set("event", "take")  # a flow's listener is `take`: the only event the check accepts
        holder.append(listener)
    after = etree.SubElement(scope, f"{_B}sequenceFlow", id=f"{eid}_flow")  # unique: eid is
    after.set("sourceRef", eid)
    after.set("targetRef", str(flow.get("targetRef")))
    flow.set("targetRef", eid)
