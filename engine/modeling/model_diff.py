"""What changed between two versions of a process, element by element: added, removed and changed, with how.

Elements are matched by id, as the engine matches them when it migrates instances. A change is told in the
analyst's words: its name, its type, a camunda: attribute, its form, timer, condition, script, documentation
or extension properties. Layout (the diagram's shapes) is not compared here; a moved shape is told apart.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from engine.modeling.parser import BPMN_NS, CAMUNDA_NS
from engine.modeling.xml import parse_xml

_B = f"{{{BPMN_NS}}}"
_C = f"{{{CAMUNDA_NS}}}"
_CONTAINERS = {"process", "subProcess", "transaction", "adHocSubProcess"}
_SKIPPED = {"extensionElements", "documentation", "incoming", "outgoing", "laneSet", "lane", "flowNodeRef",
            "conditionExpression", "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "script",
            "timerEventDefinition", "messageEventDefinition", "signalEventDefinition", "errorEventDefinition",
            "escalationEventDefinition", "compensateEventDefinition", "conditionalEventDefinition",
            "linkEventDefinition", "terminateEventDefinition", "ioSpecification", "dataInputAssociation",
            "dataOutputAssociation", "textAnnotation", "association", "text"}  # fmt: skip
_TYPE_NAMES = {
    "userTask": "tarea de usuario", "serviceTask": "tarea de servicio", "scriptTask": "tarea de script",
    "businessRuleTask": "tarea de regla de negocio", "manualTask": "tarea manual", "sendTask": "tarea de envío",
    "receiveTask": "tarea de recepción", "task": "tarea", "callActivity": "actividad de llamada",
    "subProcess": "subproceso", "exclusiveGateway": "compuerta exclusiva", "parallelGateway": "compuerta paralela",
    "inclusiveGateway": "compuerta inclusiva", "eventBasedGateway": "compuerta de eventos",
    "startEvent": "evento de inicio", "endEvent": "evento de fin", "boundaryEvent": "evento de borde",
    "intermediateCatchEvent": "evento intermedio", "intermediateThrowEvent": "evento intermedio de envío",
    "sequenceFlow": "flujo",
}  # fmt: skip


@dataclass(frozen=True)
class ElementChange:
    element_id: str
    kind: str  # added | removed | changed
    type: str  # the BPMN tag, e.g. userTask
    name: str | None
    details: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"element_id": self.element_id, "kind": self.kind, "type": self.type,
                "type_label": _TYPE_NAMES.get(self.type, self.type), "name": self.name,
                "details": list(self.details)}  # fmt: skip


@dataclass
class ModelDiff:
    changes: list[ElementChange] = field(default_factory=list)
    layout_changed: bool = False

    def of_kind(self, kind: str) -> list[ElementChange]:
        return [c for c in self.changes if c.kind == kind]

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": [c.to_dict() for c in self.of_kind("added")],
            "removed": [c.to_dict() for c in self.of_kind("removed")],
            "changed": [c.to_dict() for c in self.of_kind("changed")],
            "layout_changed": self.layout_changed,
        }


def diff_models(old_xml: bytes, new_xml: bytes) -> ModelDiff:
    old_root, new_root = parse_xml(old_xml), parse_xml(new_xml)
    old, new = dict(_elements(old_root)), dict(_elements(new_root))
    diff = ModelDiff()
    for element_id, node in new.items():
        if element_id not in old:
            diff.changes.append(ElementChange(element_id, "added", _tag(node), node.get("name")))
    for element_id, node in old.items():
        if element_id not in new:
            diff.changes.append(ElementChange(element_id, "removed", _tag(node), node.get("name")))
            continue
        details = tuple(_compare(node, new[element_id]))
        if details:
            diff.changes.append(ElementChange(element_id, "changed", _tag(new[element_id]),
                                              new[element_id].get("name"), details))  # fmt: skip
    diff.layout_changed = _layout(old_root) != _layout(new_root)
    return diff


def _elements(root: Any) -> Iterator[tuple[str, Any]]:
    for process in root.iter(f"{_B}process"):
        yield from _walk(process)


def _walk(container: Any) -> Iterator[tuple[str, Any]]:
    for child in container:
        if not isinstance(child.tag, str) or not child.tag.startswith(_B):
            continue
        tag = _tag(child)
        if tag in _SKIPPED or not child.get("id"):
            continue
        yield child.get("id"), child
        if tag in _CONTAINERS:
            yield from _walk(child)


def _tag(node: Any) -> str:
    return str(etree.QName(node).localname)


def _compare(old: Any, new: Any) -> Iterator[str]:
    if _tag(old) != _tag(new):
        yield f"tipo: {_TYPE_NAMES.get(_tag(old), _tag(old))} → {_TYPE_NAMES.get(_tag(new), _tag(new))}"
    if (old.get("name") or "") != (new.get("name") or ""):
        yield f"nombre: «{old.get('name') or ''}» → «{new.get('name') or ''}»"
    for attribute in sorted(set(old.attrib) | set(new.attrib)):
        if attribute in ("id", "name"):
            continue
        before, after = old.get(attribute), new.get(attribute)
        if before != after:
            yield f"{_attribute_label(attribute)}: {_shown(before)} → {_shown(after)}"
    for label, path in (
        ("condición", f"{_B}conditionExpression"),
        ("documentación", f"{_B}documentation"),
        ("script", f"{_B}script"),
    ):
        before, after = _text(old.find(path)), _text(new.find(path))
        if before != after:
            yield f"{label}: {_shown(before)} → {_shown(after)}"
    for label, tags in (("temporizador", ("timeDuration", "timeDate", "timeCycle")),):
        before, after = _timer(old, tags), _timer(new, tags)
        if before != after:
            yield f"{label}: {_shown(before)} → {_shown(after)}"
    if _canonical(old, "multiInstanceLoopCharacteristics") != _canonical(
        new, "multiInstanceLoopCharacteristics"
    ):
        yield "multiinstancia cambiada"
    if _events(old) != _events(new):
        yield f"definición del evento: {', '.join(_events(old)) or '—'} → {', '.join(_events(new)) or '—'}"
    yield from _extensions(old, new)


def _extensions(old: Any, new: Any) -> Iterator[str]:
    before, after = _extension_parts(old), _extension_parts(new)
    labels = {"formData": "formulario (camunda:formData)", "properties": "propiedades", "inputOutput":
              "entradas y salidas", "executionListener": "escuchas de ejecución", "taskListener":
              "escuchas de tarea", "in": "variables de entrada", "out": "variables de salida"}  # fmt: skip
    for key in sorted(set(before) | set(after)):
        if before.get(key) != after.get(key):
            yield f"{labels.get(key, key)} cambiados" if key != "properties" else _properties(old, new)


def _extension_parts(node: Any) -> dict[str, bytes]:
    extensions = node.find(f"{_B}extensionElements")
    parts: dict[str, list[bytes]] = {}
    for child in extensions if extensions is not None else ():
        if isinstance(child.tag, str):
            parts.setdefault(_tag(child), []).append(etree.tostring(child, method="c14n"))
    return {key: b"".join(sorted(values)) for key, values in parts.items()}


def _properties(old: Any, new: Any) -> str:
    def read(node: Any) -> dict[str, str | None]:
        return {
            p.get("name"): p.get("value")
            for p in node.iterfind(f"{_B}extensionElements/{_C}properties/{_C}property")
        }

    before, after = read(old), read(new)
    names = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
    return "propiedades: " + ", ".join(
        f"{n}: {_shown(before.get(n))} → {_shown(after.get(n))}" for n in names
    )


def _timer(node: Any, tags: tuple[str, ...]) -> str | None:
    for tag in tags:
        found = node.find(f"{_B}timerEventDefinition/{_B}{tag}")
        if found is not None:
            return f"{tag}={_text(found)}"
    return None


def _events(node: Any) -> list[str]:
    return sorted(_tag(c) for c in node if isinstance(c.tag, str) and _tag(c).endswith("EventDefinition"))


def _canonical(node: Any, tag: str) -> bytes | None:
    found = node.find(f"{_B}{tag}")
    return None if found is None else etree.tostring(found, method="c14n")


def _layout(root: Any) -> bytes:
    di = "{http://www.omg.org/spec/BPMN/20100524/DI}"
    shapes = sorted(etree.tostring(s, method="c14n") for s in root.iter(f"{di}BPMNShape", f"{di}BPMNEdge"))
    return b"".join(shapes)


_ATTRIBUTES = {"sourceRef": "origen", "targetRef": "destino", "attachedToRef": "adjunto a",
               "cancelActivity": "interrumpe", "default": "flujo por defecto", "calledElement": "proceso llamado"}  # fmt: skip


def _attribute_label(qualified: str) -> str:
    name = etree.QName(qualified)
    if name.namespace == CAMUNDA_NS:
        return f"camunda:{name.localname}"
    return _ATTRIBUTES.get(str(name.localname), str(name.localname))


def _text(node: Any) -> str | None:
    return None if node is None else " ".join((node.text or "").split()) or None


def _shown(value: str | None) -> str:
    return f"«{value}»" if value else "—"
