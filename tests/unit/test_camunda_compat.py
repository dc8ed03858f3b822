"""Deploy-time reading of Camunda 7 documents: what is normalized, what is refused, and nothing crashes."""

from __future__ import annotations

import pytest
from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException

from engine.modeling.camunda_compat import check_dmn_ids, normalize_bpmn, normalize_dmn
from engine.modeling.definitions import SourceFile, analyze
from engine.modeling.parser import PhvaParser
from engine.runtime.scripting import check_script
from tests.helpers import DATA, process_xml


def errors_of(xml: str, name: str = "x.bpmn") -> list[tuple[str | None, str]]:
    analysis = analyze([SourceFile(name, xml.encode())], check_script=check_script)
    assert not any("error interno" in p.message for p in analysis.report.problems)
    return [(p.element_id, p.message) for p in analysis.report.errors]


def test_flows_without_id_get_deterministic_ids_that_do_not_collide() -> None:
    root = etree.fromstring(
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:userTask id="t" name="T"/><bpmn:endEvent id="e"/>'
            '<bpmn:sequenceFlow sourceRef="s" targetRef="t"/><bpmn:sequenceFlow id="Flow_t_e" sourceRef="t" '
            'targetRef="e"/><bpmn:sequenceFlow sourceRef="t" targetRef="e"/>'
        ).encode()
    )
    normalize_bpmn(root)
    ids = [f.get("id") for f in root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}sequenceFlow")]
    assert ids == ["Flow_s_t", "Flow_t_e", "Flow_t_e_2"]


def test_loop_data_input_ref_reads_as_camunda_collection() -> None:
    root = etree.fromstring(
        (DATA / "camunda/MultiInstanceTest.testParallelUserTasksBasedOnCollection.bpmn").read_bytes()
    )
    normalize_bpmn(root)
    [loop] = root.iter("{http://www.omg.org/spec/BPMN/20100524/MODEL}multiInstanceLoopCharacteristics")
    camunda = "{http://camunda.org/schema/1.0/bpmn}"
    assert (loop.get(f"{camunda}collection"), loop.get(f"{camunda}elementVariable")) == (
        "assigneeList",
        "assignee",
    )


def test_dmn_cells_and_tables_get_ids_rules_must_have_their_own() -> None:
    root = etree.fromstring((DATA / "camunda/DataTypeTransformerTest-Input.dmn").read_bytes())
    normalize_dmn(root)
    entries = root.xpath("//*[local-name()='inputEntry' or local-name()='outputEntry']")
    assert entries and all(e.get("id") for e in entries)
    assert check_dmn_ids(root, "d.dmn") == []
    missing = etree.fromstring((DATA / "camunda/MissingIds.missingRuleId.dmn").read_bytes())
    [problem] = check_dmn_ids(missing, "m.dmn")
    assert problem.element_id == "missingRuleId" and "DMN-02013" in problem.message


@pytest.mark.parametrize(
    ("body", "element", "says"),
    [
        (
            '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="c" name="Espera">'
            "<bpmn:messageEventDefinition/></bpmn:intermediateCatchEvent>",
            "c",
            "falta messageRef",
        ),
        (
            '<bpmn:startEvent id="s"/><bpmn:receiveTask id="r" name="Recibir" messageRef="nada"/>',
            "r",
            "«nada», que no está declarado",
        ),
        (
            '<bpmn:startEvent id="s"/><bpmn:boundaryEvent id="b" attachedToRef="t"><bpmn:escalationEventDefinition '
            'escalationRef="esc"/></bpmn:boundaryEvent><bpmn:subProcess id="t" name="T"><bpmn:startEvent id="s2"/>'
            "</bpmn:subProcess>",
            "b",
            "el escalamiento «esc»",
        ),
        ('<bpmn:startEvent id="s"/><bpmn:userTask name="Sin id"/>', None, "«Sin id» no tiene id"),
    ],
)
def test_what_camunda_refuses_is_refused_naming_the_element(
    body: str, element: str | None, says: str
) -> None:
    found = errors_of(process_xml(body))
    assert any(e == element and says in m for e, m in found), found


def test_spiffworkflow_validation_with_a_node_is_a_validation_error_not_a_type_error() -> None:
    # SpiffWorkflow's event parsers call raise_validation_exception(..., node=…), which the stock one refused.
    xml = process_xml(
        '<bpmn:startEvent id="s"/><bpmn:intermediateCatchEvent id="c"><bpmn:signalEventDefinition '
        'signalRef="nada"/></bpmn:intermediateCatchEvent><bpmn:sequenceFlow id="f" sourceRef="s" targetRef="c"/>'
    )
    parser = PhvaParser()
    parser.add_bpmn_xml(etree.fromstring(xml.encode()).getroottree(), "x.bpmn")
    with pytest.raises(ValidationException, match="Signal"):
        parser.get_spec("prueba")


@pytest.mark.parametrize("task", ["serviceTask", "scriptTask", "receiveTask", "manualTask"])
def test_multi_instance_on_any_activity_reads_camunda_collection_and_serializes(task: str) -> None:
    extra = ' messageRef="m"' if task == "receiveTask" else ""
    script = "<bpmn:script>x = 1</bpmn:script>" if task == "scriptTask" else ""
    impl = ' camunda:expression="${calcular}"' if task == "serviceTask" else ""
    impl += ' scriptFormat="python"' if script else ""
    xml = process_xml(
        f'<bpmn:startEvent id="s"/><bpmn:{task} id="t" name="T"{extra}{impl}>'
        '<bpmn:multiInstanceLoopCharacteristics isSequential="true" '
        f'camunda:collection="items" camunda:elementVariable="item"/>{script}</bpmn:{task}>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>'
    ).replace("</bpmn:definitions>", '<bpmn:message id="m" name="llegó"/></bpmn:definitions>')
    analysis = analyze([SourceFile("x.bpmn", xml.encode())], check_script=check_script)
    assert analysis.report.ok, analysis.report.format()
    assert "SequentialMultiInstanceTask" in analysis.processes[0].spec_json


def test_a_name_expression_is_kept_only_for_user_tasks() -> None:
    xml = process_xml(
        '<bpmn:startEvent id="s" name="Inicio ${x}"/><bpmn:userTask id="t" name="Revisar ${x}"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>'
    )
    analysis = analyze([SourceFile("x.bpmn", xml.encode())], check_script=check_script)
    spec = analysis.processes[0].spec_json
    assert "juel_str(x)" in spec and spec.count("juel_str(x)") == 1
