"""The "caracterización de proceso" sheet read from the BPMN that runs: header, PHVA rows, indicators, risks.

Process `camunda:properties` give the header (objetivo, alcance, lider, indicadores, riesgos); each activity's
properties give its row (phva, proveedor, entradas, salidas, cliente, indicador, riesgo) and its documentation
the activity text. Call activities are expanded into the rows of the called process, so the sheet of a cycle
spans all its stages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from engine.modeling.parser import BPMN_NS, NS, read_properties
from engine.modeling.xml import parse_xml

PHVA_ORDER = {"P": 0, "H": 1, "V": 2, "A": 3}
PHVA_NAMES = {"P": "Planear", "H": "Hacer", "V": "Verificar", "A": "Actuar"}
ROW_TASKS = frozenset(
    {"userTask", "serviceTask", "businessRuleTask", "sendTask", "receiveTask", "manualTask"}
)

# key -> the BPMN texts that define it (deployed version); None if the key is not deployed
SourceLookup = Callable[[str], list[bytes] | None]


@dataclass(frozen=True)
class Row:
    phva: str
    etapa: str
    actividad: str
    descripcion: str
    proveedor: str
    entradas: str
    salidas: str
    cliente: str


@dataclass
class Caracterizacion:
    key: str
    nombre: str
    objetivo: str
    alcance: str
    lider: str
    documentacion: str
    filas: list[Row] = field(default_factory=list)
    indicadores: list[str] = field(default_factory=list)
    riesgos: list[str] = field(default_factory=list)
    etapas: list[str] = field(default_factory=list)


class ProcessNotFound(LookupError):
    """The key (or a process it calls) is not among the deployed definitions."""


def build(key: str, sources: SourceLookup) -> Caracterizacion:
    process = _find(key, sources)
    props = _props(process)
    sheet = Caracterizacion(
        key=key,
        nombre=process.get("name") or key,
        objetivo=props.get("objetivo", ""),
        alcance=props.get("alcance", ""),
        lider=props.get("lider", ""),
        documentacion=_doc(process),
    )
    _collect(sheet, process, sources, props.get("phva", ""), visiting=[key])
    return sheet


def _find(key: str, sources: SourceLookup) -> Any:
    for text in sources(key) or []:
        root = parse_xml(text)
        for process in root.iterfind(f"{{{BPMN_NS}}}process"):
            if process.get("id") == key:
                return process
    raise ProcessNotFound(key)


def _props(node: Any) -> dict[str, str]:
    return {k: v for k, v in read_properties(node).items() if v}


def _doc(node: Any) -> str:
    doc = node.find(f"{{{BPMN_NS}}}documentation")
    return (doc.text or "").strip() if doc is not None else ""


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def _add(target: list[str], items: list[str]) -> None:
    target.extend(item for item in items if item not in target)


def _collect(
    sheet: Caracterizacion, process: Any, sources: SourceLookup, phva: str, visiting: list[str]
) -> None:
    props = _props(process)
    sheet.etapas.append(process.get("name") or process.get("id"))
    _add(sheet.indicadores, _split(props.get("indicadores", "")))
    _add(sheet.riesgos, _split(props.get("riesgos", "")))
    for node in _activities(process):
        tag = node.tag.rsplit("}", 1)[-1]
        if tag == "callActivity":
            called = node.get("calledElement") or ""
            if called in visiting:
                continue  # a process calling itself: list it once
            _collect(
                sheet, _find(called, sources), sources, _props(node).get("phva", phva), [*visiting, called]
            )
            continue
        own = _props(node)
        if tag not in ROW_TASKS and "phva" not in own:
            continue
        _add(sheet.indicadores, _split(own.get("indicador", "")))
        _add(sheet.riesgos, _split(own.get("riesgo", "")))
        sheet.filas.append(
            Row(
                phva=own.get("phva", phva),
                etapa=process.get("name") or process.get("id"),
                actividad=node.get("name") or node.get("id"),
                descripcion=_doc(node).split("\n\n", 1)[0].strip(),
                proveedor=own.get("proveedor", ""),
                entradas=own.get("entradas", ""),
                salidas=own.get("salidas", ""),
                cliente=own.get("cliente", ""),
            )
        )


def _activities(container: Any) -> Iterator[Any]:
    """Activities in document order (the order they are drawn and run); subprocess contents inline."""
    for node in container.xpath("./bpmn:*", namespaces=NS):
        tag = node.tag.rsplit("}", 1)[-1]
        if tag in ("subProcess", "transaction"):
            yield from _activities(node)
        elif tag in ROW_TASKS or tag in ("callActivity", "scriptTask"):
            yield node


def by_phva(rows: list[Row]) -> list[Row]:
    """Rows grouped P, H, V, A (stable inside each letter), as the published sheets show them."""
    return sorted(rows, key=lambda row: PHVA_ORDER.get(row.phva[:1].upper(), len(PHVA_ORDER)))
