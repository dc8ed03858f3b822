"""deploy --check refuses open, getattr and type in expressions, as it already does in scripts (issue 15 §1)."""

from __future__ import annotations

import pytest

from engine.modeling.definitions import SourceFile, analyze
from engine.runtime.scripting import check_script
from tests.helpers import flow, process_xml

DMN = """<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="https://www.omg.org/spec/DMN/20191111/MODEL/" id="d" name="d" namespace="http://camunda.org/schema/1.0/dmn">
  <decision id="decidir" name="Decidir">
    <decisionTable id="tabla">
      <input id="entrada" label="Monto"><inputExpression id="ie" typeRef="integer"><text>monto</text></inputExpression></input>
      <output id="salida" name="ruta" typeRef="string"/>
      <rule id="r1"><inputEntry id="e1" expressionLanguage="python"><text>{cell}</text></inputEntry>
        <outputEntry id="o1"><text>"a"</text></outputEntry></rule>
    </decisionTable>
  </decision>
</definitions>"""


def _condition_model(condition: str) -> bytes:
    body = (
        '<bpmn:startEvent id="inicio"/><bpmn:exclusiveGateway id="decidir" default="no"/>'
        '<bpmn:userTask id="si_tarea" name="Sí"/><bpmn:userTask id="no_tarea" name="No"/>'
        '<bpmn:sequenceFlow id="si" sourceRef="decidir" targetRef="si_tarea">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>'
        '</bpmn:sequenceFlow><bpmn:sequenceFlow id="no" sourceRef="decidir" targetRef="no_tarea"/>'
        + flow("inicio>decidir")
    )
    return process_xml(body).encode()


def _timer_model(expression: str) -> bytes:
    body = (
        '<bpmn:startEvent id="inicio"/><bpmn:intermediateCatchEvent id="esperar"><bpmn:timerEventDefinition>'
        f'<bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{expression}</bpmn:timeDuration>'
        '</bpmn:timerEventDefinition></bpmn:intermediateCatchEvent><bpmn:endEvent id="fin"/>'
        + flow("inicio>esperar", "esperar>fin")
    )
    return process_xml(body).encode()


def _assignee_model(expression: str) -> bytes:
    body = (
        f'<bpmn:startEvent id="inicio"/><bpmn:userTask id="revisar" camunda:assignee="{expression}"/>'
        '<bpmn:endEvent id="fin"/>' + flow("inicio>revisar", "revisar>fin")
    )
    return process_xml(body).encode()


def _messages(name: str, content: bytes) -> list[str]:
    report = analyze([SourceFile(name, content)], check_script=check_script).report
    return [f"{p.element_id}: {p.message}" for p in report.errors]


@pytest.mark.parametrize("called", ["open", "getattr", "type"])
@pytest.mark.parametrize(
    ("name", "model"),
    [
        ("condicion.bpmn", lambda call: _condition_model(f"${{{call} != null}}")),
        ("condicion_python.bpmn", lambda call: _condition_model(f"{call} is not None")),
        ("temporizador.bpmn", lambda call: _timer_model(f"${{{call}}}")),
        ("asignacion.bpmn", lambda call: _assignee_model(f"${{{call}}}")),
        ("tabla.dmn", lambda call: DMN.format(cell=f"{call} is not None").encode()),
    ],
    ids=["juel-condition", "python-condition", "timer", "assignee", "dmn-python-cell"],
)
def test_deploy_check_refuses_forbidden_calls_in_expressions(called: str, name: str, model) -> None:  # type: ignore[no-untyped-def]
    calls = {"open": "open('/etc/passwd')", "getattr": "getattr(monto, 'real')", "type": "type(monto)"}
    messages = _messages(name, model(calls[called]))
    assert any(f"usa '{called}', que no está permitido" in m for m in messages), messages


def test_ordinary_expressions_still_deploy() -> None:
    assert _messages("bien.bpmn", _condition_model("${monto > 10 and not empty(nombre)}")) == []
    assert _messages("bien.bpmn", _timer_model("PT2H")) == []
