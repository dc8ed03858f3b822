"""The generated diagrams read cleanly in bpmn-js: no label over another label, a shape or a line."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from lxml import etree

from tests.conftest import ROOT

MODELS = sorted((ROOT / "bpmn").glob("*.bpmn"))
NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
}
EXTERNAL = ("startEvent", "endEvent", "intermediateCatchEvent", "boundaryEvent", "exclusiveGateway")


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("layout_bpmn", ROOT / "tools" / "layout_bpmn.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("layout_bpmn", module)
    spec.loader.exec_module(module)
    return module


tool = load_tool()


def label_bounds(root: etree._Element, element_id: str) -> etree._Element:
    found = root.find(f".//bpmndi:BPMNShape[@bpmnElement='{element_id}']/bpmndi:BPMNLabel/dc:Bounds", NS)
    if found is None:
        found = root.find(f".//bpmndi:BPMNEdge[@bpmnElement='{element_id}']/bpmndi:BPMNLabel/dc:Bounds", NS)
    assert found is not None, element_id
    return found


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_no_label_covers_another_label_a_shape_or_a_line(path: Path) -> None:
    assert tool.label_overlaps(path.read_bytes()) == []


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_no_flow_runs_through_a_shape_it_does_not_connect(path: Path) -> None:
    assert tool.flow_crossings(path.read_bytes()) == []


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_named_event_gateway_and_flow_has_its_label_bounds(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    named = [el for tag in (*EXTERNAL, "sequenceFlow") for el in root.iterfind(f".//bpmn:{tag}[@name]", NS)]
    for element in named:
        assert float(label_bounds(root, element.get("id")).get("width")) > 0, element.get("id")


def test_check_finds_a_label_moved_onto_another_and_onto_a_task() -> None:
    root = etree.parse(str(ROOT / "bpmn" / "pqrsd.bpmn")).getroot()
    moved = label_bounds(root, "Gateway_Competente")
    for key in ("x", "y"):
        moved.set(key, label_bounds(root, "Gateway_Completa").get(key))
    task = root.find(".//bpmndi:BPMNShape[@bpmnElement='Task_Registrar']/dc:Bounds", NS)
    label = label_bounds(root, "Start_Pqrsd")
    label.set("x", task.get("x"))
    problems = tool.label_overlaps(etree.tostring(root))
    assert "Gateway_Completa: su etiqueta tapa la etiqueta de Gateway_Competente" in problems
    assert "Start_Pqrsd: su etiqueta tapa la figura de Task_Registrar" in problems


def test_a_gateway_label_without_bounds_is_checked_where_bpmn_js_puts_it_under_the_gateway() -> None:
    root = etree.parse(str(ROOT / "bpmn" / "pqrsd.bpmn")).getroot()
    shape = root.find(".//bpmndi:BPMNShape[@bpmnElement='Gateway_Urgente']", NS)
    shape.remove(shape.find("bpmndi:BPMNLabel", NS))  # its «Sí» flow leaves from the bottom, through there
    assert tool.label_overlaps(etree.tostring(root)) == [
        "Gateway_Urgente: su etiqueta tapa la línea de Flow_Urgente_MedidasUrgentes",
        "Flow_Urgente_MedidasUrgentes: su etiqueta tapa la etiqueta de Gateway_Urgente",
    ]


def test_a_task_name_too_long_for_its_shape_is_reported() -> None:
    root = etree.parse(str(ROOT / "bpmn" / "pqrsd.bpmn")).getroot()
    task = root.find(".//bpmn:userTask[@id='Task_Verificar']", NS)
    task.set(
        "name", "Verificar la competencia, la completitud, el nivel de atención y los anexos de la petición"
    )
    assert tool.label_overlaps(etree.tostring(root)) == [
        "Task_Verificar: el nombre no cabe en la figura sin tapar su icono o su marcador"
    ]


def test_wrapping_follows_bpmn_js() -> None:
    # lines as bpmn-js 18 draws them in Chromium (11 px Arial, 90 px wide)
    assert tool.wrap("¿Riesgo para la vida o la integridad?", 90, 11) == [
        "¿Riesgo para la ",
        "vida o la ",
        "integridad?",
    ]
    assert tool.wrap("Desistimiento tácito", 90, 11) == ["Desistimiento ", "tácito"]
