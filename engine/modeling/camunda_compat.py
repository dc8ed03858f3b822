"""What Camunda 7 accepts or refuses in a document that SpiffWorkflow would misread, fixed or refused at deploy.

- Sequence flows without an `id`: Camunda runs them (BpmnParse keeps them as unnamed transitions;
  ExclusiveGatewayTest.testNoIdOnSequenceFlow); SpiffWorkflow only sees elements with an id, so the
  instance stopped with nothing to do. They get a deterministic id here, `Flow_<source>_<target>`.
- An `errorRef` to an error that is not declared: Camunda uses the reference as the error code; here a
  `bpmn:error` with that code is declared, so SpiffWorkflow does not crash on it.
- Refused because nothing here can wake it: a receive task without `messageRef` (in Camunda only the Java
  API's runtimeService.signal does; SpiffWorkflow passed through it without waiting).
- Refused as Camunda refuses them: a flow node without an id, a message event without `messageRef`, a
  reference to an undeclared message, signal or escalation, a message without a name where something
  waits for it (BpmnParse: "Cannot have a message event subscription with an empty or missing name"),
  and DMN decisions, inputs, outputs and rules without an id (DMN-02010 to DMN-02013).
- Accepted as Camunda accepts them: the BPMN standard `loopDataInputRef` / `inputDataItem` of a
  multi-instance (read as camunda:collection / elementVariable), DMN decision tables and cells without ids.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

from engine.modeling.event_checks import check_event_rules
from engine.modeling.report import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
_B = f"{{{BPMN_NS}}}"
FLOW_NODES = frozenset(
    {"startEvent", "endEvent", "intermediateCatchEvent", "intermediateThrowEvent", "boundaryEvent",
     "task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
     "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess",
     "exclusiveGateway", "inclusiveGateway", "parallelGateway", "eventBasedGateway", "complexGateway"}
)  # fmt: skip
# Where something waits for a message: Camunda subscribes to it by name.
_SUBSCRIBERS = frozenset({"startEvent", "intermediateCatchEvent", "boundaryEvent", "receiveTask"})
_NOT_ID = re.compile(r"[^A-Za-z0-9_.-]")

Report = Callable[[str | None, str], None]


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _describe(el: Any) -> str:
    name = (el.get("name") or "").strip()
    return f"bpmn:{_local(el)} «{name}»" if name else f"bpmn:{_local(el)}"


# ---- BPMN ---------------------------------------------------------------------------------------
def normalize_bpmn(root: Any) -> None:
    """Rewrite, in place, what Camunda accepts and SpiffWorkflow misreads (see the module's docstring)."""
    taken = {el.get("id") for el in root.iter() if isinstance(el.tag, str) and el.get("id")}
    for flow in root.iter(f"{_B}sequenceFlow"):
        if flow.get("id"):
            continue
        base = "Flow_" + "_".join(
            _NOT_ID.sub("_", flow.get(attr) or "x") for attr in ("sourceRef", "targetRef")
        )
        flow_id, n = base, 2
        while flow_id in taken:
            flow_id, n = f"{base}_{n}", n + 1
        flow.set("id", flow_id)
        taken.add(flow_id)
    for loop in root.iter(f"{_B}multiInstanceLoopCharacteristics"):
        _camunda_collection(loop)
    declared = {e.get("id") for e in root.findall(f"{_B}error")}
    for ref in sorted(
        {d.get("errorRef") for d in root.iter(f"{_B}errorEventDefinition")} - declared - {None, ""}
    ):
        error = etree.Element(f"{_B}error", id=ref, name=ref, errorCode=ref)
        root.insert(0, error)  # Camunda: an undeclared errorRef is itself the error code


def _camunda_collection(loop: Any) -> None:
    # Camunda also reads the BPMN standard form: loopDataInputRef is the collection, inputDataItem the element.
    data_input = loop.find(f"{_B}loopDataInputRef")
    if data_input is None or loop.get(f"{{{CAMUNDA_NS}}}collection"):
        return
    if (data_input.text or "").strip():
        loop.set(f"{{{CAMUNDA_NS}}}collection", data_input.text.strip())
    item = loop.find(f"{_B}inputDataItem")
    if item is not None and item.get("name") and not loop.get(f"{{{CAMUNDA_NS}}}elementVariable"):
        loop.set(f"{{{CAMUNDA_NS}}}elementVariable", item.get("name"))
    for child in (data_input, item):
        if child is not None:
            loop.remove(child)


def check_bpmn_references(root: Any, report: Report) -> None:
    """Refuse, naming the element, what Camunda's parser refuses and SpiffWorkflow would crash on."""
    for el in root.iter():
        bpmn = isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS
        if bpmn and _local(el) in FLOW_NODES and not el.get("id"):
            report(None, f"{_describe(el)} no tiene id: ningún flujo puede llegar a él ni salir de él")
    for task in root.iter(f"{_B}receiveTask"):
        if not task.get("messageRef"):
            report(
                task.get("id"),
                f"{_describe(task)} no dice qué mensaje espera (messageRef): en Camunda la despierta "
                "runtimeService.signal() de Java, que aquí no existe; declare el mensaje que debe llegar",
            )
    for problem in _message_problems(root):
        report(*problem)
    check_event_rules(root, report)  # event-based gateways, cancel boundaries (engine.modeling.event_checks)
    for kind, tag in (("signal", "signal"), ("escalation", "escalation")):
        declared = {s.get("id") for s in root.findall(f"{_B}{tag}")}
        for definition in root.iter(f"{_B}{kind}EventDefinition"):
            ref = definition.get(f"{kind}Ref")
            if ref and ref not in declared:
                owner = definition.getparent()
                report(
                    owner.get("id"),
                    f"{_describe(owner)} se refiere a {'la señal' if kind == 'signal' else 'el escalamiento'} "
                    f"«{ref}», que no está declarado en el archivo (bpmn:{tag})",
                )


def _message_problems(root: Any) -> Iterator[tuple[str | None, str]]:
    messages = {m.get("id"): m for m in root.findall(f"{_B}message")}
    users: list[tuple[Any, Any]] = [(el, el) for el in root.iter(f"{_B}receiveTask") if el.get("messageRef")]
    users += [(d.getparent(), d) for d in root.iter(f"{_B}messageEventDefinition")]
    for owner, holder in users:
        ref = holder.get("messageRef")
        kind = _local(owner)
        if not ref:
            if kind in _SUBSCRIBERS:
                yield (
                    owner.get("id"),
                    f"{_describe(owner)} espera un mensaje pero no dice cuál (falta messageRef)",
                )
            continue
        message = messages.get(ref)
        if message is None:
            yield owner.get("id"), f"{_describe(owner)} se refiere al mensaje «{ref}», que no está declarado"
        elif kind in _SUBSCRIBERS and not (message.get("name") or "").strip():
            yield (
                owner.get("id"),
                f"el mensaje «{ref}» que espera {_describe(owner)} no tiene nombre (name): "
                "los mensajes se entregan por su nombre",
            )


# ---- DMN ----------------------------------------------------------------------------------------
def normalize_dmn(root: Any) -> None:
    """Ids for what Camunda lets go without one and SpiffWorkflow requires: decision tables and cells."""
    ns = etree.QName(root).namespace
    for decision in root.findall(f"{{{ns}}}decision"):
        for table in decision.findall(f"{{{ns}}}decisionTable"):
            if not table.get("id"):
                table.set("id", f"{decision.get('id') or 'decision'}_table")
            for number, rule in enumerate(table.findall(f"{{{ns}}}rule"), start=1):
                owner = rule.get("id") or f"{table.get('id')}_rule{number}"
                for tag, short in (("inputEntry", "in"), ("outputEntry", "out")):
                    for index, entry in enumerate(rule.findall(f"{{{ns}}}{tag}"), start=1):
                        if not entry.get("id"):
                            entry.set("id", f"{owner}_{short}{index}")


def check_dmn_ids(root: Any, file: str) -> list[Problem]:
    """Camunda refuses decisions, inputs, outputs and rules without an id (DMN-02010 to DMN-02013)."""
    ns = etree.QName(root).namespace
    problems: list[Problem] = []
    for number, decision in enumerate(root.findall(f"{{{ns}}}decision"), start=1):
        label = decision.get("name") or decision.get("id") or f"número {number}"
        if not decision.get("id"):
            problems.append(Problem(file, None, f"la decisión «{label}» no tiene id (Camunda: DMN-02010)"))
        for table in decision.findall(f"{{{ns}}}decisionTable"):
            for tag, what, code in (("input", "entrada", "02011"), ("output", "salida", "02012")):
                for index, column in enumerate(table.findall(f"{{{ns}}}{tag}"), start=1):
                    if not column.get("id"):
                        column_label = column.get("label") or column.get("name") or str(index)
                        problems.append(
                            Problem(
                                file,
                                decision.get("id"),
                                f"la {what} «{column_label}» de la decisión «{label}» no tiene id "
                                f"(Camunda: DMN-{code})",
                            )
                        )
            for index, rule in enumerate(table.findall(f"{{{ns}}}rule"), start=1):
                if not rule.get("id"):
                    problems.append(
                        Problem(
                            file,
                            decision.get("id"),
                            f"la regla {index} de la decisión «{label}» no tiene id (Camunda: DMN-02013); "
                            "Camunda Modeler escribe uno para cada regla",
                        )
                    )
    return problems
