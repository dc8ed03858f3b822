"""XML checks SpiffWorkflow skips or reports badly; every finding names its file and element."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Collection
from contextvars import ContextVar
from typing import Any

from lxml import etree

from engine.modeling.camunda_compat import check_bpmn_references
from engine.modeling.compensation import check_compensation
from engine.modeling.events_check import check_events
from engine.modeling.form_schema import FormDefinitionError
from engine.modeling.formdata import schema_from_form_data
from engine.modeling.ladder import check_ladder
from engine.modeling.parser import (
    BPMN_NS,
    CAMUNDA_NS,
    NS,
    PhvaParser,
    form_ref_of,
    read_extensions,
    read_form_data,
)
from engine.modeling.report import Problem, ValidationReport

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
KNOWN_NAMESPACES = frozenset(
    {
        BPMN_NS,
        BPMNDI_NS,
        CAMUNDA_NS,
        "http://www.omg.org/spec/DD/20100524/DC",
        "http://www.omg.org/spec/DD/20100524/DI",
        "http://www.w3.org/2001/XMLSchema-instance",
        "http://www.w3.org/XML/1998/namespace",
        "http://camunda.org/schema/modeler/1.0",
        # Diagram colours written by bpmn-js: harmless.
        "http://bpmn.io/schema/bpmn/biocolor/1.0",
        "http://www.omg.org/spec/BPMN/non-normative/color/1.0",
    }
)
CONTAINERS = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
SUPPORTED = frozenset(etree.QName(tag).localname for tag in PhvaParser.OVERRIDE_PARSER_CLASSES)
HARMLESS = frozenset(
    {
        "sequenceFlow", "laneSet", "textAnnotation", "association", "group", "dataObject",
        "dataObjectReference", "documentation", "extensionElements", "incoming", "outgoing",
        "ioSpecification", "property", "dataInputAssociation", "dataOutputAssociation",
        "multiInstanceLoopCharacteristics", "standardLoopCharacteristics", "auditing", "monitoring",
        "completionCondition", "dataStoreReference", "dataStore",
    }
)  # fmt: skip
EVENTS = {
    # error/escalation starts only in event subprocesses, link pairs: engine.modeling.events_check
    "startEvent": {"message", "signal", "timer", "conditional", "error", "escalation"},
    "endEvent": {"message", "cancel", "error", "escalation", "terminate", "signal", "compensate"},
    "intermediateCatchEvent": {"message", "signal", "timer", "conditional", "link"},
    "intermediateThrowEvent": {"message", "signal", "escalation", "link", "compensate"},
    "boundaryEvent": {"cancel", "error", "escalation", "message", "signal", "timer", "conditional",
                      "compensate"},
}  # fmt: skip
ACTIVITIES = frozenset(
    {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
     "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
)  # fmt: skip
FORM_TYPES = frozenset({"string", "long", "boolean", "date", "enum"})
CONSTRAINTS = frozenset({"required", "readonly", "minlength", "maxlength", "min", "max"})
PYTHON_FORMATS = frozenset({"", "python", "py", "python3"})

ScriptChecker = Callable[[str], str | None]


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _is_bpmn(el: Any) -> bool:
    return isinstance(el.tag, str) and etree.QName(el).namespace == BPMN_NS


def check_bpmn(
    root: Any,
    file: str,
    report: ValidationReport,
    *,
    processes: Collection[str],
    decisions: Collection[str],
    forms: Collection[str],
    check_script: ScriptChecker | None,
) -> None:
    def error(element_id: str | None, message: str) -> None:
        report.add(file, element_id, message)

    def warn(element_id: str | None, message: str) -> None:
        report.add(file, element_id, message, "warning")

    token = _ids_memo.set({})
    try:
        _check_bpmn(root, error, warn, processes, decisions, forms, check_script)
    finally:
        _ids_memo.reset(token)


def _check_bpmn(
    root: Any,
    error: Callable[[str | None, str], None],
    warn: Callable[[str | None, str], None],
    processes: Collection[str],
    decisions: Collection[str],
    forms: Collection[str],
    check_script: ScriptChecker | None,
) -> None:
    elements = [el for el in root.iter() if isinstance(el.tag, str)]
    # Only BPMN and diagram elements share one id space; camunda:formField/value ids are variable names.
    model_ids = Counter(el.get("id") for el in elements if el.get("id") and not _is_camunda(el))
    for dup, count in model_ids.items():
        if count > 1:
            error(dup, f"el id «{dup}» está repetido ({count} veces); cada elemento necesita un id único")
    _check_namespaces(elements, warn)
    for process in root.findall(f"{{{BPMN_NS}}}process"):
        if process.get("isExecutable") != "false" and process.find(f"{{{BPMN_NS}}}startEvent") is None:
            error(process.get("id"), "el proceso no tiene evento de inicio")
    _check_references(root, error)
    check_bpmn_references(root, error)  # what Camunda refuses and SpiffWorkflow would crash on
    check_events(root, error)  # signals, links, event subprocess starts
    check_compensation(root, error, warn)  # what runs (engine.modeling.compensation) and what is refused
    for el in elements:
        if not _is_bpmn(el):
            continue
        name, parent = _local(el), el.getparent()
        element_id = el.get("id")
        if parent is not None and _is_bpmn(parent) and _local(parent) in CONTAINERS:
            if name not in SUPPORTED | HARMLESS:
                error(element_id, f"el elemento bpmn:{name} no está soportado por el motor")
            if name in ("dataStoreReference", "dataStore"):
                warn(element_id, "almacén de datos: es solo documental, el motor lo ignora")
        if name.endswith("EventDefinition") and parent is not None and _local(parent) in EVENTS:
            kind = name.removesuffix("EventDefinition")
            if kind not in EVENTS[_local(parent)]:
                error(parent.get("id"), f"un bpmn:{_local(parent)} de tipo «{kind}» no está soportado")
        if name == "sequenceFlow" and parent is not None:
            _check_flow(el, parent, error)
        if el.get("default") and name not in ("process",):
            _check_default(el, error)
        if name == "boundaryEvent":
            _check_boundary(el, parent, error)
        elif name == "callActivity":
            _check_call(el, processes, error)
        elif name == "businessRuleTask":
            _check_decision(el, decisions, error)
        elif name == "scriptTask":
            _check_script_task(el, check_script, error)
        check_ladder(el, name, error, warn)  # the `escalamiento` property (engine.modeling.ladder)
        if name in SUPPORTED:
            read_extensions(el, error)  # expression attributes fail here even on nodes never reached
        if name in ("userTask", "startEvent"):
            ref = form_ref_of(el)
            if ref is not None and ref not in forms:
                error(element_id, f"el formulario «{ref}» no está en el despliegue ni desplegado antes")
            _check_form_data(el, error)
        if (name in ACTIVITIES or name in EVENTS) and not (el.get("name") or "").strip():
            warn(element_id, f"el elemento bpmn:{name} no tiene nombre")
    _check_diagram(root, elements, warn)


def _check_namespaces(elements: list[Any], warn: Callable[[str | None, str], None]) -> None:
    unknown: dict[str, str] = {}
    for el in elements:
        names = [el.tag, *el.attrib.keys()]
        for qualified in names:
            uri = etree.QName(qualified).namespace
            if uri and uri not in KNOWN_NAMESPACES and uri not in unknown:
                unknown[uri] = next((p for p, u in el.nsmap.items() if u == uri and p), uri)
    for uri, prefix in unknown.items():
        warn(None, f"extensión de proveedor desconocida «{prefix}» ({uri}): el motor la ignora")


def _check_references(root: Any, error: Callable[[str | None, str], None]) -> None:
    ids = {el.get("id") for el in root.iter() if isinstance(el.tag, str)}
    for flow in root.iterfind(f".//{{{BPMN_NS}}}messageFlow"):
        for attr in ("sourceRef", "targetRef"):
            if flow.get(attr) not in ids:
                error(flow.get("id"), f"el flujo de mensaje apunta a «{flow.get(attr)}», que no existe")


_ids_memo: ContextVar[dict[Any, set[str]] | None] = ContextVar("phva_children_ids", default=None)


def _children_ids(container: Any) -> set[str]:
    # Once per container and check, not once per flow: a 3,333-branch split has 6,668 flows (issue 15 §3).
    memo = _ids_memo.get()
    found = memo.get(container) if memo is not None else None
    if found is None:
        found = {c.get("id") for c in container if isinstance(c.tag, str) and c.get("id")}
        if memo is not None:
            memo[container] = found
    return found


def _check_flow(flow: Any, container: Any, error: Callable[[str | None, str], None]) -> None:
    ids = _children_ids(container)
    for attr, role in (("sourceRef", "origen"), ("targetRef", "destino")):
        ref = flow.get(attr)
        if not ref:
            error(flow.get("id"), f"el flujo de secuencia no tiene {role} ({attr})")
        elif ref not in ids:
            error(
                flow.get("id"),
                f"el flujo de secuencia tiene como {role} «{ref}», que no existe en este proceso",
            )


def _check_default(el: Any, error: Callable[[str | None, str], None]) -> None:
    container = el.getparent()
    default = el.get("default")
    outgoing = {
        f.get("id")
        for f in container.findall(f"{{{BPMN_NS}}}sequenceFlow")
        if f.get("sourceRef") == el.get("id")
    }
    if default not in outgoing:
        error(el.get("id"), f"el flujo por defecto «{default}» no es un flujo de salida de este elemento")


def _check_boundary(el: Any, container: Any, error: Callable[[str | None, str], None]) -> None:
    ref = el.get("attachedToRef")
    if not ref:
        error(el.get("id"), "el evento de borde no está adjunto a ninguna actividad (falta attachedToRef)")
    elif container is None or ref not in _children_ids(container):
        error(el.get("id"), f"el evento de borde está adjunto a «{ref}», que no existe en este proceso")


def _check_call(el: Any, processes: Collection[str], error: Callable[[str | None, str], None]) -> None:
    called = el.get("calledElement")
    if not called:
        error(el.get("id"), "la actividad de llamada no indica el proceso a llamar (calledElement)")
    elif "${" in called or "#{" in called:
        error(
            el.get("id"), f"calledElement «{called}» es una expresión; solo se admite un id de proceso fijo"
        )
    # Whether the called process exists, and in which version, is engine/modeling/bindings.py's check.


def _check_decision(el: Any, decisions: Collection[str], error: Callable[[str | None, str], None]) -> None:
    ref = el.get(f"{{{CAMUNDA_NS}}}decisionRef")
    if not ref:
        error(el.get("id"), "la tarea de reglas de negocio necesita camunda:decisionRef (una tabla DMN)")


def _check_script_task(
    el: Any, check_script: ScriptChecker | None, error: Callable[[str | None, str], None]
) -> None:
    element_id = el.get("id")
    script_format = (el.get("scriptFormat") or "").strip().lower()
    if el.get(f"{{{CAMUNDA_NS}}}resource"):
        error(
            element_id,
            "los scripts externos (camunda:resource) no están soportados; escriba el script en línea",
        )
        return
    if script_format not in PYTHON_FORMATS:
        return  # engine.modeling.delegates: a registered handler runs it, or it is refused with the way out
    script = el.find(f"{{{BPMN_NS}}}script")
    source = script.text if script is not None else None
    if not (source or "").strip():
        error(element_id, "la tarea de script no tiene script")
        return
    assert source is not None
    if check_script is not None:
        refused = check_script(source)
        if refused:
            error(element_id, f"script rechazado: {refused}")
    else:
        try:
            compile(source, element_id or "script", "exec")
        except SyntaxError as exc:
            error(element_id, f"el script tiene un error de sintaxis (línea {exc.lineno}): {exc.msg}")


def _is_camunda(el: Any) -> bool:
    return str(el.tag).startswith("{http://camunda.org/schema/1.0/bpmn}")


_INTEGER = re.compile(r"^-?\d+$")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def _check_form_data(el: Any, error: Callable[[str | None, str], None]) -> None:
    element_id = el.get("id")
    fields = read_form_data(el)
    ids = Counter(f["id"] for f in fields)
    for f in fields:
        fid, ftype = f["id"], f["type"]
        where = f"campo «{fid}» del formulario"
        if not fid:
            error(element_id, "un campo de camunda:formData no tiene id")
            continue
        if ids[fid] > 1:
            error(element_id, f"{where}: el id está repetido")
        if ftype not in FORM_TYPES:
            error(element_id, f"{where}: tipo «{ftype}» desconocido (use string, long, boolean, date o enum)")
        if ftype == "enum" and not f["values"]:
            error(element_id, f"{where}: una lista (enum) necesita al menos un valor")
        default = f["defaultValue"]
        if default and not default.startswith(("${", "#{")):
            if ftype == "long" and not _INTEGER.match(default):
                error(element_id, f"{where}: el valor por defecto «{default}» no es un número entero")
            if ftype == "boolean" and default not in ("true", "false"):
                error(element_id, f"{where}: el valor por defecto «{default}» no es true ni false")
            if ftype == "enum" and default not in {v["id"] for v in f["values"]}:
                error(element_id, f"{where}: el valor por defecto «{default}» no es una de las opciones")
        for constraint in f["validation"]:
            cname, config = constraint["name"], constraint["config"]
            if cname not in CONSTRAINTS:
                error(element_id, f"{where}: restricción «{cname}» no soportada")
            elif cname in ("minlength", "maxlength") and not _INTEGER.match(config or ""):
                error(element_id, f"{where}: {cname} necesita un número entero, no «{config}»")
            elif cname in ("min", "max") and ftype != "date" and not _NUMBER.match(config or ""):
                error(element_id, f"{where}: {cname} necesita un número, no «{config}»")
    if fields and all(f["id"] for f in fields):
        try:
            schema_from_form_data(fields)
        except FormDefinitionError as exc:
            error(element_id, f"camunda:formData no válido: {exc}")


def _check_diagram(root: Any, elements: list[Any], warn: Callable[[str | None, str], None]) -> None:
    if root.find(f"{{{BPMNDI_NS}}}BPMNDiagram") is None:
        warn(None, "el archivo no tiene información de diagrama (BPMNDiagram): no se podrá dibujar")
        return
    shapes = {s.get("bpmnElement") for s in root.iter(f"{{{BPMNDI_NS}}}BPMNShape")}
    edges = {e.get("bpmnElement") for e in root.iter(f"{{{BPMNDI_NS}}}BPMNEdge")}
    for el in elements:
        if not _is_bpmn(el) or el.getparent() is None:
            continue
        name, element_id = _local(el), el.get("id")
        in_container = _is_bpmn(el.getparent()) and _local(el.getparent()) in CONTAINERS
        if name == "sequenceFlow" and element_id not in edges:
            warn(element_id, "el flujo de secuencia no tiene información de diagrama (BPMNEdge)")
        elif (name == "lane" or (in_container and name in SUPPORTED)) and element_id not in shapes:
            warn(element_id, f"bpmn:{name} no tiene información de diagrama (BPMNShape)")


def strip_data_stores(root: Any, file: str) -> list[Problem]:
    """Remove data stores (documentation only) so SpiffWorkflow does not refuse them."""
    problems: list[Problem] = []
    store_refs = {el.get("id") for el in root.iter(f"{{{BPMN_NS}}}dataStoreReference")}
    for store in list(root.iter(f"{{{BPMN_NS}}}dataStore")):
        if store.getparent() is root:
            problems.append(
                Problem(file, store.get("id"), "almacén de datos: es solo documental, se ignora", "warning")
            )
        store.getparent().remove(store)
    for assoc in root.xpath(".//bpmn:dataInputAssociation | .//bpmn:dataOutputAssociation", namespaces=NS):
        refs = assoc.xpath("./bpmn:sourceRef/text() | ./bpmn:targetRef/text()", namespaces=NS)
        if any(ref.strip() in store_refs for ref in refs):
            assoc.getparent().remove(assoc)
    return problems
