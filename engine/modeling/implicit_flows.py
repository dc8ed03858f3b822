"""Camunda 7's implicit flow rules, made explicit for SpiffWorkflow just before parsing (after the checks,
so the synthetic elements are never reported).

- **Several flows out of an activity or event** (BoundaryTimerEventTest.testMultipleOutgoingSequenceFlows):
  Camunda takes every flow without a condition and every flow whose condition holds, the activity's
  `default` flow when none does. SpiffWorkflow refused the model ("Multiple outgoing flows are not supported
  for tasks of type …"). The element now leads to a parallel gateway (no conditions) or an inclusive gateway
  (some conditions, the `default` moved onto it) that has the original flows, ids and conditions unchanged.
- **An element without outgoing flows** (InclusiveGatewayTest.testJoinAfterNestedScopes,
  CallActivityTest.testTimerOnCallActivity): in Camunda it simply ends its path (an implicit end) and the
  process or subprocess completes when all paths have. SpiffWorkflow refused a subprocess without an end
  event ("A SubWorkflow Must contain an End event") and left a process waiting forever. Each element of a
  scope that leads nowhere now leads to an end event of its own.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from engine.modeling.flow_listeners import make_listeners_runnable

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_B = f"{{{BPMN_NS}}}"

SCOPES = ("process", "subProcess", "transaction", "adHocSubProcess")
GATEWAYS = frozenset({"exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway",
                      "complexGateway"})  # fmt: skip
# Flow nodes whose several outgoing flows SpiffWorkflow refuses (gateways split by themselves).
NODES = frozenset(
    {
        "task", "userTask", "manualTask", "serviceTask", "scriptTask", "sendTask", "receiveTask",
        "businessRuleTask", "callActivity", "subProcess", "transaction", "startEvent",
        "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
    }
)  # fmt: skip
ENDLESS = frozenset({"endEvent"})  # what never has outgoing flows by nature


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _fresh(taken: set[str], base: str) -> str:
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}_{n}", n + 1
    taken.add(candidate)
    return candidate


def make_implicit_flows_explicit(root: Any) -> None:
    make_listeners_runnable(
        root
    )  # flow `take` and process `start` listeners (engine.modeling.flow_listeners)
    taken = {str(el.get("id")) for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for scope in list(root.iter(*(f"{_B}{s}" for s in SCOPES))):
        _split_outgoing(scope, taken)
    for scope in list(root.iter(*(f"{_B}{s}" for s in SCOPES))):  # event subprocesses too
        _add_implicit_ends(scope, taken)


def _split_outgoing(scope: Any, taken: set[str]) -> None:
    by_source: dict[str | None, list[Any]] = {}  # once per scope, not once per node (issue 15 §3)
    for flow in scope.iterfind(f"{_B}sequenceFlow"):
        by_source.setdefault(flow.get("sourceRef"), []).append(flow)
    for node in list(scope):
        if not isinstance(node.tag, str) or _local(node) not in NODES or not node.get("id"):
            continue
        nid = node.get("id")
        outgoing = by_source.get(nid, [])
        if len(outgoing) < 2:
            continue
        conditional = any(f.find(f"{_B}conditionExpression") is not None for f in outgoing)
        kind = "inclusiveGateway" if conditional or node.get("default") else "parallelGateway"
        gateway = etree.Element(f"{_B}{kind}", id=_fresh(taken, f"{nid}_implicit_split"))
        if node.get("default"):
            gateway.set("default", str(node.get("default")))
            del node.attrib["default"]
        scope.append(gateway)
        link = etree.SubElement(scope, f"{_B}sequenceFlow", id=_fresh(taken, f"{nid}_implicit_flow"))
        link.set("sourceRef", str(nid))
        link.set("targetRef", str(gateway.get("id")))
        for flow in outgoing:
            flow.set("sourceRef", str(gateway.get("id")))
        for tag in ("outgoing",):  # the node's own outgoing references follow the flows
            for ref in node.findall(f"{_B}{tag}"):
                node.remove(ref)


def _add_implicit_ends(scope: Any, taken: set[str]) -> None:
    flows = list(scope.iterfind(f"{_B}sequenceFlow"))
    sources = {f.get("sourceRef") for f in flows}
    for node in list(scope):
        if not isinstance(node.tag, str) or not node.get("id"):
            continue
        name = _local(node)
        if name not in NODES or name in ENDLESS or node.get("id") in sources:
            continue
        if name == "subProcess" and node.get("triggeredByEvent") == "true":
            continue
        if node.get("isForCompensation") == "true" or node.find(f"{_B}compensateEventDefinition") is not None:
            continue  # a compensation handler or its boundary event: reached by an association, not a flow
        nid = str(node.get("id"))
        end = etree.SubElement(scope, f"{_B}endEvent", id=_fresh(taken, f"{nid}_implicit_end"))
        flow = etree.SubElement(scope, f"{_B}sequenceFlow", id=_fresh(taken, f"{nid}_implicit_end_flow"))
        flow.set("sourceRef", nid)
        flow.set("targetRef", str(end.get("id")))
