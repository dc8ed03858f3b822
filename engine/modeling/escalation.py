"""Escalation tasks of a process: user tasks that are about other activities of the same instance.

Whoever holds an open escalation task may view and reassign the open tasks it is about
(`engine.workflow.escalation`). A user task is an escalation task when the model says so:
- `phva:escalaSobre` = "Element_A[,Element_B]" in its `camunda:properties`: it is about those elements;
- otherwise, when it follows a non-interrupting timer boundary event (a deadline that ran out while the
  work goes on): it is about the activity the timer is attached to — "Atender la PQRSD vencida" after
  "Término vencido" on the answer subprocess. An interrupting timer ends that activity: nothing to act on.
An element that is a subprocess stands for every user task inside it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.modeling.parser import BPMN_NS, NS, read_properties
from engine.modeling.xml import parse_xml

ESCALATES = "phva:escalaSobre"


def escalations(xml: bytes, process_key: str) -> dict[str, frozenset[str]]:
    """Escalation task id → the user task ids it is about, for the process `process_key` of `xml`."""
    root = parse_xml(xml)
    process = next((p for p in root.iterfind(f"{{{BPMN_NS}}}process") if p.get("id") == process_key), None)
    if process is None:
        return {}
    by_id = {el.get("id"): el for el in process.iter() if isinstance(el.tag, str) and el.get("id")}
    flows = {f.get("id"): f for f in process.iter(f"{{{BPMN_NS}}}sequenceFlow")}
    found: dict[str, frozenset[str]] = {}
    for task in process.iter(f"{{{BPMN_NS}}}userTask"):
        about = _declared(read_properties(task)) or _after_deadline(task, flows, by_id)
        covered = frozenset(t for element in about for t in _user_tasks(by_id.get(element)))
        if covered:
            found[str(task.get("id"))] = covered - {task.get("id")}
    return found


def _declared(properties: Mapping[str, str | None]) -> tuple[str, ...]:
    return tuple(p.strip() for p in (properties.get(ESCALATES) or "").split(",") if p.strip())


def _after_deadline(task: Any, flows: Mapping[str, Any], by_id: Mapping[str, Any]) -> tuple[str, ...]:
    about = []
    for incoming in task.iterfind(f"{{{BPMN_NS}}}incoming"):
        flow = flows.get(incoming.text)
        source: Any = by_id.get(flow.get("sourceRef")) if flow is not None else None
        if source is None or source.tag != f"{{{BPMN_NS}}}boundaryEvent" or not source.get("attachedToRef"):
            continue
        goes_on = source.get("cancelActivity") == "false"
        if goes_on and source.find(f"{{{BPMN_NS}}}timerEventDefinition") is not None:
            about.append(str(source.get("attachedToRef")))
    return tuple(about)


def _user_tasks(element: Any) -> set[str]:
    if element is None:
        return set()
    if element.tag == f"{{{BPMN_NS}}}userTask":
        return {str(element.get("id"))}
    return {str(t.get("id")) for t in element.xpath(".//bpmn:userTask", namespaces=NS)}
