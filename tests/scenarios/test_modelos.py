"""bpmn/ and forms/ as Camunda Modeler opens them: valid, fully drawn, without overlapping shapes."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest
from lxml import etree

from engine.context import Context
from engine.workflow import deployments
from tests.conftest import ROOT

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "bpmndi": "http://www.omg.org/spec/BPMN/20100524/DI",
    "dc": "http://www.omg.org/spec/DD/20100524/DC",
    "di": "http://www.omg.org/spec/DD/20100524/DI",
    "camunda": "http://camunda.org/schema/1.0/bpmn",
}
FLOW_NODES = (
    "startEvent",
    "endEvent",
    "userTask",
    "serviceTask",
    "scriptTask",
    "businessRuleTask",
    "callActivity",
    "exclusiveGateway",
    "parallelGateway",
    "intermediateCatchEvent",
    "boundaryEvent",
    "subProcess",
)
MODELS = sorted((ROOT / "bpmn").glob("*.bpmn"))


def test_deploy_check_accepts_every_file_without_warnings(sqlite_ctx: Context) -> None:
    outcome = deployments.deploy(
        sqlite_ctx, deployments.read_sources([ROOT / "bpmn", ROOT / "forms"]), check_only=True
    )
    assert outcome.report.problems == [], outcome.report.format()


@pytest.mark.parametrize("path", MODELS, ids=lambda p: p.stem)
def test_every_element_is_drawn_named_and_clear_of_the_others(path: Path) -> None:
    root = etree.parse(str(path)).getroot()
    shapes = {s.get("bpmnElement"): s.find("dc:Bounds", NS) for s in root.iterfind(".//bpmndi:BPMNShape", NS)}
    edges = {
        e.get("bpmnElement"): e.findall("di:waypoint", NS) for e in root.iterfind(".//bpmndi:BPMNEdge", NS)
    }
    nodes = [n for tag in FLOW_NODES for n in root.iterfind(f".//bpmn:{tag}", NS)]
    for element in [*nodes, *root.iterfind(".//bpmn:lane", NS)]:
        assert element.get("id") in shapes, element.get("id")
        assert (element.get("name") or "").strip(), f"{element.get('id')} sin nombre"
    for flow in root.iterfind(".//bpmn:sequenceFlow", NS):
        assert len(edges.get(flow.get("id"), [])) >= 2, flow.get("id")
    for plane in root.iterfind(".//bpmndi:BPMNPlane", NS):
        boxes = {
            s.get("bpmnElement"): _box(s.find("dc:Bounds", NS))
            for s in plane.iterfind("bpmndi:BPMNShape", NS)
            if s.get("bpmnElement")
            in {n.get("id") for n in nodes if etree.QName(n).localname != "boundaryEvent"}
        }
        for (a, box_a), (b, box_b) in combinations(boxes.items(), 2):
            assert not _overlap(box_a, box_b), f"{a} se superpone con {b}"


def test_user_tasks_have_a_form_documentation_and_a_dependencia() -> None:
    forms = {p.stem for p in (ROOT / "forms").glob("*.form")}
    for path in MODELS:
        root = etree.parse(str(path)).getroot()
        lanes = {
            ref.text: lane
            for lane in root.iterfind(".//bpmn:lane", NS)
            for ref in lane.findall("bpmn:flowNodeRef", NS)
        }
        for task in root.iterfind(".//bpmn:userTask", NS):
            where = f"{path.stem}:{task.get('id')}"
            assert task.get(f"{{{NS['camunda']}}}formRef") in forms, where
            assert task.findtext("bpmn:documentation", namespaces=NS), where
            group = task.get(f"{{{NS['camunda']}}}candidateGroups")
            assert group, where
            lane = lanes.get(task.get("id"))
            if lane is not None and not group.startswith("${"):
                assert group in (lane.findtext("bpmn:documentation", namespaces=NS) or ""), where


def _box(bounds: etree._Element) -> tuple[float, float, float, float]:
    return tuple(float(bounds.get(k)) for k in ("x", "y", "width", "height"))  # type: ignore[return-value]


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> bool:
    return a[0] < b[0] + b[2] and b[0] < a[0] + a[2] and a[1] < b[1] + b[3] and b[1] < a[1] + a[3]
