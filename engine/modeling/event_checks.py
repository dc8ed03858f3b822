"""Deploy checks of event-based gateways, as Camunda 7's BpmnParse makes them (EventBasedGatewayTest).

- Every flow out of a `bpmn:eventBasedGateway` leads to a `bpmn:intermediateCatchEvent` of its scope
  ("Event based gateway can only be connected to elements of type intermediateCatchEvent"): SpiffWorkflow
  otherwise failed at parse time with a Python `AttributeError` about `event_definition`.
- An intermediate catch event after such a gateway is reached through the gateway only ("Invalid incoming
  sequenceflow for intermediateCatchEvent … connected to an event-based gateway"): SpiffWorkflow accepted
  the second flow and the event waited alone, outside the gateway's race.

- A cancel boundary event sits on a transaction subprocess only.
- A message throw or end event implemented by Java (`camunda:class`, `camunda:delegateExpression`,
  `camunda:type="external"` on its messageEventDefinition) is refused: that code does not run here (one
  without an implementation runs, doing nothing, as in Camunda: engine.runtime.messages).

Each finding names the element Camunda names: the gateway, the extra flow, the boundary event.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_B = f"{{{BPMN_NS}}}"

Report = Callable[[str | None, str], None]


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _describe(el: Any) -> str:
    name = (el.get("name") or "").strip()
    return f"bpmn:{_local(el)} «{name}»" if name else f"bpmn:{_local(el)}"


def check_event_rules(root: Any, report: Report) -> None:
    check_event_gateways(root, report)
    check_cancel_boundaries(root, report)
    check_message_throws(root, report)


def check_event_gateways(root: Any, report: Report) -> None:
    for gateway in root.iter(f"{_B}eventBasedGateway"):
        scope = gateway.getparent()
        gid = gateway.get("id")
        if scope is None or not gid:
            continue
        siblings = {el.get("id"): el for el in scope if isinstance(el.tag, str) and el.get("id")}
        flows = [f for f in scope.iterfind(f"{_B}sequenceFlow")]
        events: set[str] = set()
        for flow in flows:
            if flow.get("sourceRef") != gid:
                continue
            target = siblings.get(flow.get("targetRef"))
            if target is None:
                continue  # a dangling reference is reported by the reference checks
            if _local(target) != "intermediateCatchEvent":
                report(
                    gid,
                    f"la compuerta basada en eventos lleva a {_describe(target)} «{target.get('id')}»: "
                    "como en Camunda, solo puede conectarse a eventos intermedios de captura "
                    "(mensaje, temporizador, señal); ponga un evento de captura entre la compuerta y la actividad",
                )
            else:
                events.add(str(target.get("id")))
        for flow in flows:
            if flow.get("targetRef") in events and flow.get("sourceRef") != gid:
                event = siblings[flow.get("targetRef")]
                report(
                    flow.get("id"),
                    f"el flujo llega a {_describe(event)} «{event.get('id')}», que sigue a la compuerta basada "
                    f"en eventos «{gid}»: como en Camunda, a ese evento solo se llega desde la compuerta",
                )


def check_cancel_boundaries(root: Any, report: Report) -> None:
    """A cancel boundary event only on a transaction subprocess (TransactionSubProcessTest
    .testCancelBoundaryNoTransactionFails: Camunda names the boundary event)."""
    hosts = {el.get("id"): el for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for boundary in root.iter(f"{_B}boundaryEvent"):
        if boundary.find(f"{_B}cancelEventDefinition") is None:
            continue
        host = hosts.get(boundary.get("attachedToRef"))
        if host is not None and _local(host) != "transaction":
            report(
                boundary.get("id"),
                f"el evento de cancelación está sobre {_describe(host)} «{host.get('id')}»: como en Camunda, "
                "solo puede ir en el borde de un subproceso de transacción (bpmn:transaction)",
            )


_CAMUNDA = "{http://camunda.org/schema/1.0/bpmn}"


def check_message_throws(root: Any, report: Report) -> None:
    for tag in ("intermediateThrowEvent", "endEvent"):
        for event in root.iter(f"{_B}{tag}"):
            definition = event.find(f"{_B}messageEventDefinition")
            if definition is None:
                continue
            java = definition.get(f"{_CAMUNDA}class") or definition.get(f"{_CAMUNDA}delegateExpression")
            if definition.get(f"{_CAMUNDA}type") == "external":
                java = f"tarea externa «{definition.get(f'{_CAMUNDA}topic') or '?'}»"
            if java:
                report(
                    event.get("id"),
                    f"{_describe(event)} envía su mensaje con código Java ({java}), que este motor no ejecuta: "
                    "modele el envío como una tarea de servicio con un manejador Python registrado, o quite "
                    "la implementación (el evento entonces solo marca el paso, como en Camunda)",
                )
