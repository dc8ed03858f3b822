"""Camunda Modeler files, translated in place, run on SpiffWorkflow as Camunda would run them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from lxml import etree
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions import timer as spiff_timer
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.modeling.expressions import EXPRESSION_HELPERS
from engine.modeling.report import Problem
from engine.modeling.translate import translate_tree

BPMN_HEAD = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:modeler="http://camunda.org/schema/modeler/1.0" id="Definitions_1"
  targetNamespace="http://bpmn.io/schema/bpmn" exporter="Camunda Modeler" exporterVersion="5.20.0"
  modeler:executionPlatform="Camunda Platform" modeler:executionPlatformVersion="7.20.0">
  <bpmn:process id="proceso" isExecutable="true">
"""
BPMN_TAIL = "  </bpmn:process>\n</bpmn:definitions>\n"
DMN13 = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def bpmn(body: str) -> etree._Element:
    return etree.fromstring((BPMN_HEAD + body + BPMN_TAIL).encode())


def flow(flow_id: str, source: str, target: str, condition: str | None = None, attrs: str = "") -> str:
    if condition is None:
        return f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}" />'
    return (
        f'<bpmn:sequenceFlow id="{flow_id}" sourceRef="{source}" targetRef="{target}">'
        f'<bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"{attrs}>{condition}'
        "</bpmn:conditionExpression>"
        "</bpmn:sequenceFlow>"
    )


def gateway(conditions: dict[str, str], default: str | None = None) -> etree._Element:
    """Start → exclusive gateway → one end event per outgoing flow (End_<name>)."""
    targets = list(conditions) + ([default] if default else [])
    body = ['<bpmn:startEvent id="StartEvent_1" />', flow("Flow_inicio", "StartEvent_1", "Gateway_1")]
    default_attr = f' default="Flow_{default}"' if default else ""
    body.append(f'<bpmn:exclusiveGateway id="Gateway_1"{default_attr} />')
    for name in targets:
        text = conditions.get(name)
        escaped = (
            None if text is None else text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        )
        body += [
            flow(f"Flow_{name}", "Gateway_1", f"End_{name}", escaped),
            f'<bpmn:endEvent id="End_{name}" />',
        ]
    return bpmn("\n".join(body))


def engine() -> PythonScriptEngine:
    return PythonScriptEngine(environment=TaskDataEnvironment(EXPRESSION_HELPERS))


def start(
    bpmn_root: etree._Element, data: dict[str, Any], dmn_roots: tuple[etree._Element, ...] = ()
) -> BpmnWorkflow:
    parser = CamundaParser()
    parser.add_bpmn_xml(bpmn_root, "proceso.bpmn")
    for dmn_root in dmn_roots:
        parser.add_dmn_xml(dmn_root, "decision.dmn")
    workflow = BpmnWorkflow(parser.get_spec("proceso"), script_engine=engine())
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(data)
    workflow.do_engine_steps()
    return workflow


def translated(root: etree._Element, file: str = "proceso.bpmn") -> etree._Element:
    assert translate_tree(root, file) == []
    return root


def ends_reached(workflow: BpmnWorkflow) -> list[str]:
    return [
        t.task_spec.bpmn_id
        for t in workflow.get_tasks(state=TaskState.COMPLETED)
        if t.task_spec.bpmn_id and t.task_spec.bpmn_id.startswith("End_")
    ]


# -- gateways
@pytest.mark.parametrize(("aprobado", "end"), [(True, "End_si"), (False, "End_no")])
def test_negated_boolean_condition_routes_false_branch(aprobado: bool, end: str) -> None:
    root = translated(gateway({"si": "${aprobado}", "no": "${!aprobado}"}))
    workflow = start(root, {"aprobado": aprobado})
    assert workflow.completed
    assert ends_reached(workflow) == [end]


@pytest.mark.parametrize(
    ("monto", "tipo", "end"),
    [(1500, "queja", "End_revision"), (500, "queja", "End_normal"), (1500, "peticion", "End_normal")],
)
def test_compound_condition_routes_large_complaints_to_review(monto: int, tipo: str, end: str) -> None:
    root = translated(gateway({"revision": '${monto > 1000 && tipo == "queja"}'}, default="normal"))
    assert ends_reached(start(root, {"monto": monto, "tipo": tipo})) == [end]


def test_condition_on_nested_form_data_routes_by_dotted_path() -> None:
    root = translated(gateway({"tutela": "${solicitud.tipo eq 'tutela' or empty solicitud.anexos}"}, "otro"))
    assert ends_reached(start(root, {"solicitud": {"tipo": "tutela", "anexos": ["a"]}})) == ["End_tutela"]
    assert ends_reached(start(root, {"solicitud": {"tipo": "peticion", "anexos": ["a"]}})) == ["End_otro"]


def test_plain_python_condition_keeps_working() -> None:
    root = translated(gateway({"si": "aprobado == True", "no": "not aprobado"}))
    assert ends_reached(start(root, {"aprobado": True})) == ["End_si"]


def test_untranslated_juel_condition_fails_at_run_time() -> None:
    with pytest.raises(Exception, match="Error evaluating expression"):
        start(gateway({"si": "${aprobado}", "no": "${!aprobado}"}), {"aprobado": True})


# -- timers
def timer_process(kind: str, text: str) -> etree._Element:
    return bpmn(
        "\n".join(
            [
                '<bpmn:startEvent id="StartEvent_1" />',
                flow("Flow_1", "StartEvent_1", "Espera"),
                '<bpmn:intermediateCatchEvent id="Espera" name="Esperar">',
                '<bpmn:timerEventDefinition id="TimerEventDefinition_1">',
                f'<bpmn:{kind} xsi:type="bpmn:tFormalExpression">{text}</bpmn:{kind}>',
                "</bpmn:timerEventDefinition>",
                "</bpmn:intermediateCatchEvent>",
                flow("Flow_2", "Espera", "End_fin"),
                '<bpmn:endEvent id="End_fin" />',
            ]
        )
    )


def waiting_timer(workflow: BpmnWorkflow) -> Any:
    [task] = [t for t in workflow.get_tasks(state=TaskState.WAITING) if t.task_spec.bpmn_id == "Espera"]
    return task


class _ThreeHoursLater(datetime):
    @classmethod
    def now(cls, tz: Any = None) -> Any:
        return datetime.now(tz) + timedelta(hours=3)


def test_iso_duration_timer_waits_two_hours_then_fires(monkeypatch: pytest.MonkeyPatch) -> None:
    before = datetime.now(UTC)
    workflow = start(translated(timer_process("timeDuration", "PT2H")), {})
    due = datetime.fromisoformat(waiting_timer(workflow).internal_data["event_value"])
    assert before + timedelta(hours=2) <= due <= datetime.now(UTC) + timedelta(hours=2)
    assert not workflow.completed
    monkeypatch.setattr(spiff_timer, "datetime", _ThreeHoursLater)
    workflow.refresh_timers()
    workflow.do_engine_steps()
    assert ends_reached(workflow) == ["End_fin"]


def test_duration_timer_from_a_process_variable() -> None:
    workflow = start(translated(timer_process("timeDuration", "${plazo}")), {"plazo": "P15D"})
    due = datetime.fromisoformat(waiting_timer(workflow).internal_data["event_value"])
    assert abs(due - datetime.now(UTC) - timedelta(days=15)) < timedelta(minutes=1)


@pytest.mark.parametrize("text", ["2030-01-01T00:00:00Z", "2029-12-31T19:00:00-05:00"])
def test_iso_date_timer_waits_until_that_instant(text: str) -> None:
    workflow = start(translated(timer_process("timeDate", text)), {})
    stored = waiting_timer(workflow).internal_data["event_value"]
    assert spiff_timer.TimerEventDefinition.get_datetime(stored) == datetime(2030, 1, 1, tzinfo=UTC)


def test_past_date_timer_fires_at_once() -> None:
    workflow = start(translated(timer_process("timeDate", "2020-01-01T00:00:00-05:00")), {})
    workflow.refresh_timers()
    workflow.do_engine_steps()
    assert ends_reached(workflow) == ["End_fin"]


def test_iso_cycle_timer_is_scheduled_three_times() -> None:
    root = bpmn(
        "\n".join(
            [
                '<bpmn:startEvent id="StartEvent_1" />',
                flow("Flow_1", "StartEvent_1", "Revisar"),
                '<bpmn:userTask id="Revisar" name="Revisar" camunda:assignee="juan" />',
                flow("Flow_2", "Revisar", "End_fin"),
                '<bpmn:endEvent id="End_fin" />',
                '<bpmn:boundaryEvent id="Espera" cancelActivity="false" attachedToRef="Revisar">',
                '<bpmn:timerEventDefinition id="TimerEventDefinition_1">'
                '<bpmn:timeCycle xsi:type="bpmn:tFormalExpression">R3/PT10S</bpmn:timeCycle>'
                "</bpmn:timerEventDefinition></bpmn:boundaryEvent>",
                flow("Flow_3", "Espera", "End_recordatorio"),
                '<bpmn:endEvent id="End_recordatorio" />',
            ]
        )
    )
    workflow = start(translated(root), {})
    stored = waiting_timer(workflow).internal_data["event_value"]
    assert (stored["cycles"], stored["duration"]) == (3, 10.0)


def test_untranslated_iso_duration_fails_at_run_time() -> None:
    with pytest.raises(Exception, match="Error evaluating expression"):
        start(timer_process("timeDuration", "PT2H"), {})


# -- DMN
def dmn(
    rules: list[tuple[list[str], str]], namespace: str = DMN13, tipo: str = "solicitud.tipo"
) -> etree._Element:
    rows = []
    for number, (inputs, output) in enumerate(rules, start=1):
        cells = "".join(
            f'<inputEntry id="In_{number}_{i}"><text>{c}</text></inputEntry>' for i, c in enumerate(inputs)
        )
        rows.append(
            f'<rule id="Rule_{number}">{cells}'
            f'<outputEntry id="Out_{number}"><text>{output}</text></outputEntry></rule>'
        )
    text = f"""<?xml version="1.0" encoding="UTF-8"?>
<definitions xmlns="{namespace}" id="Definitions_ruta" name="DRD" namespace="http://camunda.org/schema/1.0/dmn"
  exporter="Camunda Modeler" exporterVersion="5.20.0">
  <decision id="ruta_pqrsd" name="Ruta PQRSD">
    <decisionTable id="DecisionTable_1" hitPolicy="FIRST">
      <input id="Input_tipo" label="Tipo"><inputExpression id="InputExpression_1" typeRef="string">
        <text>{tipo}</text></inputExpression></input>
      <input id="Input_dias" label="Días"><inputExpression id="InputExpression_2" typeRef="integer">
        <text>dias</text></inputExpression></input>
      <output id="Output_1" label="Ruta" name="ruta" typeRef="string" />
      {"".join(rows)}
    </decisionTable>
  </decision>
</definitions>"""
    return etree.fromstring(text.encode())


RUTA_RULES = [
    (['"queja","reclamo"', "[1..5]"], '"rapida"'),
    (['"queja","reclamo"', "&gt; 5"], '"lenta"'),
    (['not("denuncia")', "-"], '"general"'),
    (["-", ""], '"otra"'),
]


def decision_process() -> etree._Element:
    return bpmn(
        "\n".join(
            [
                '<bpmn:startEvent id="StartEvent_1" />',
                flow("Flow_1", "StartEvent_1", "Decidir"),
                '<bpmn:businessRuleTask id="Decidir" camunda:resultVariable="ruta" '
                'camunda:decisionRef="ruta_pqrsd" camunda:mapDecisionResult="singleEntry" />',
                flow("Flow_2", "Decidir", "End_fin"),
                '<bpmn:endEvent id="End_fin" />',
            ]
        )
    )


def decide(table: etree._Element, tipo: str, dias: int | None) -> Any:
    workflow = start(translated(decision_process()), {"solicitud": {"tipo": tipo}, "dias": dias}, (table,))
    assert workflow.completed
    return workflow.data.get("ruta")


@pytest.mark.parametrize(
    ("tipo", "dias", "ruta"),
    [
        ("reclamo", 3, "rapida"),
        ("queja", 1, "rapida"),
        ("queja", 5, "rapida"),
        ("queja", 9, "lenta"),
        ("queja", None, "general"),
        ("peticion", 3, "general"),
        ("denuncia", 3, "otra"),
    ],
)
def test_feel_lists_negations_and_ranges_match_after_translation(
    tipo: str, dias: int | None, ruta: str
) -> None:
    table = dmn(RUTA_RULES)
    assert translate_tree(table, "decision.dmn") == []
    assert decide(table, tipo, dias) == ruta


@pytest.mark.parametrize(
    "namespace",
    [DMN13, "http://www.omg.org/spec/DMN/20180521/MODEL/", "http://www.omg.org/spec/DMN/20151101/dmn.xsd"],
)
def test_older_dmn_namespaces_are_translated_too(namespace: str) -> None:
    table = dmn(RUTA_RULES, namespace)
    assert translate_tree(table, "decision.dmn") == []
    assert decide(table, "reclamo", 2) == "rapida"


def test_untranslated_feel_list_silently_never_matches() -> None:
    table = dmn([(['"queja","reclamo"', "-"], '"rapida"'), (["-", "-"], '"otra"')], tipo="solicitud['tipo']")
    assert decide(table, "queja", 1) == "otra"


def test_empty_output_cell_stays_empty_and_outputs_may_be_expressions() -> None:
    table = dmn([(['"queja"', "-"], "dias * 2"), (["-", "-"], "")])
    assert translate_tree(table, "decision.dmn") == []
    assert decide(table, "queja", 4) == 8
    empty = table.findall(f".//{{{DMN13}}}outputEntry")[1]
    # left empty, so phva's runtime leaves it out of the rule's result as Camunda does (engine/runtime/decisions.py;
    # corpus: DmnBusinessRuleTaskResultMappingTest)
    assert not (empty.findtext(f"{{{DMN13}}}text") or "").strip()


def test_juel_input_expression_is_translated() -> None:
    table = dmn([(['"queja"', "-"], '"si"'), (["-", "-"], '"no"')])
    expression = table.find(f".//{{{DMN13}}}inputExpression")
    assert expression is not None
    expression.set("expressionLanguage", "juel")
    expression[0].text = "${solicitud.tipo}"
    assert translate_tree(table, "decision.dmn") == []
    assert decide(table, "queja", 0) == "si"


def test_bad_dmn_cells_are_reported_against_their_rule() -> None:
    table = dmn([(['"queja"', "[1..5"], '"a"'), (["_secreto", "-"], "?")])
    problems = translate_tree(table, "decision.dmn")
    assert [(p.element_id, p.severity) for p in problems] == [
        ("Rule_1", "error"),
        ("Rule_2", "error"),
        ("Rule_2", "error"),
    ]
    assert [p.message.split(":")[0] for p in problems] == [
        "Regla 1, entrada «Días»",
        "Regla 2, entrada «Tipo»",
        "Regla 2, salida «Ruta»",
    ]
    assert "Expresión inválida '[1..5': el intervalo debe cerrar" in problems[0].message
    assert "'_secreto'" in problems[1].message
    assert "solo se usa en las celdas de entrada" in problems[2].message
    cells = [text.text for text in table.iter(f"{{{DMN13}}}text")]
    assert "[1..5" in cells and "_secreto" in cells and "?" in cells


def test_dmn_input_without_expression_and_cells_in_javascript_are_reported() -> None:
    table = dmn([(['"queja"', "-"], '"a"')])
    table.find(f".//{{{DMN13}}}inputExpression/{{{DMN13}}}text").text = " "
    table.find(f".//{{{DMN13}}}outputEntry").set("expressionLanguage", "javascript")
    problems = translate_tree(table, "decision.dmn")
    assert [p.element_id for p in problems] == ["Input_tipo", "Rule_1"]
    assert "no tiene expresión" in problems[0].message
    assert "'javascript' no está soportado" in problems[1].message


# -- problems and scope
def test_untranslatable_texts_are_reported_and_left_as_they_were() -> None:
    root = bpmn(
        "\n".join(
            [
                '<bpmn:startEvent id="StartEvent_1" />',
                flow("Flow_malo", "StartEvent_1", "End_a", "${a &amp;&amp;}"),
                flow("Flow_vacio", "StartEvent_1", "End_a", "  "),
                flow("Flow_js", "StartEvent_1", "End_a", "a == 1", ' language="javascript"'),
                flow("Flow_bien", "StartEvent_1", "End_a", "${a}"),
                '<bpmn:intermediateCatchEvent id="Timer_malo"><bpmn:timerEventDefinition id="Def_1">'
                "<bpmn:timeDuration>PT2X</bpmn:timeDuration></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
                '<bpmn:intermediateCatchEvent id="Timer_vacio"><bpmn:timerEventDefinition id="Def_2">'
                "<bpmn:timeDate /></bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>",
                '<bpmn:intermediateCatchEvent id="Timer_sin_tiempo"><bpmn:timerEventDefinition id="Def_3" />'
                "</bpmn:intermediateCatchEvent>",
                '<bpmn:endEvent id="End_a" />',
            ]
        )
    )
    problems = translate_tree(root, "proceso.bpmn")
    assert all(
        isinstance(p, Problem) and p.file == "proceso.bpmn" and p.severity == "error" for p in problems
    )
    assert {p.element_id: p.message for p in problems} == {
        "Flow_malo": "Condición: Expresión inválida '${a &&}': falta un operando después de '&&'",
        "Flow_vacio": "Condición: la expresión está vacía",
        "Flow_js": "Condición: el lenguaje de script 'javascript' no está soportado; use una expresión ${…}",
        "Timer_malo": "Temporizador (timeDuration): Expresión inválida 'PT2X': "
        "no es una duración ISO-8601 válida (p. ej. PT2H, P15D, PT0.5S)",
        "Timer_vacio": "Temporizador (timeDate): El temporizador no tiene expresión de tiempo (timeDate)",
        "Timer_sin_tiempo": "Temporizador: no define timeDate, timeDuration ni timeCycle",
    }
    texts = {e.getparent().get("id"): e.text for e in root.iter("{*}conditionExpression")}
    assert texts == {"Flow_malo": "${a &&}", "Flow_vacio": "  ", "Flow_js": "a == 1", "Flow_bien": "a"}
    assert next(root.iter("{*}timeDuration")).text == "PT2X"


def test_python_condition_is_validated_and_external_scripts_are_reported() -> None:
    root = bpmn(
        "\n".join(
            [
                '<bpmn:startEvent id="StartEvent_1" />',
                flow("Flow_py", "StartEvent_1", "End_a", "monto &gt; 5", ' language="python"'),
                flow("Flow_py_malo", "StartEvent_1", "End_a", "x.__class__", ' language="python"'),
                flow(
                    "Flow_ext", "StartEvent_1", "End_a", "x", ' language="groovy" camunda:resource="c.groovy"'
                ),
                '<bpmn:endEvent id="End_a" />',
            ]
        )
    )
    problems = translate_tree(root, "proceso.bpmn")
    assert [p.element_id for p in problems] == ["Flow_py_malo", "Flow_ext"]
    assert "camunda:resource" in problems[1].message


def test_multi_instance_cardinality_and_completion_condition_are_translated() -> None:
    root = bpmn(
        '<bpmn:userTask id="Revisar"><bpmn:multiInstanceLoopCharacteristics>'
        '<bpmn:loopCardinality xsi:type="bpmn:tFormalExpression">${revisores}</bpmn:loopCardinality>'
        '<bpmn:completionCondition xsi:type="bpmn:tFormalExpression">${listo}</bpmn:completionCondition>'
        "</bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
    )
    assert translate_tree(root, "proceso.bpmn") == []
    assert [next(root.iter(f"{{*}}{tag}")).text for tag in ("loopCardinality", "completionCondition")] == [
        "revisores",
        "listo",
    ]


def test_camunda_attributes_are_not_touched() -> None:
    root = bpmn('<bpmn:userTask id="Revisar" camunda:assignee="${responsable}" camunda:dueDate="P2D" />')
    assert translate_tree(root, "proceso.bpmn") == []
    task = next(root.iter("{*}userTask"))
    assert dict(task.attrib) == {
        "id": "Revisar",
        "{http://camunda.org/schema/1.0/bpmn}assignee": "${responsable}",
        "{http://camunda.org/schema/1.0/bpmn}dueDate": "P2D",
    }


def test_translating_twice_changes_nothing() -> None:
    root = gateway({"si": '${monto > 1000 && tipo == "queja"}'}, "no")
    table = dmn(RUTA_RULES)
    translate_tree(root, "proceso.bpmn")
    translate_tree(table, "decision.dmn")
    once = (etree.tostring(root), etree.tostring(table))
    assert translate_tree(root, "proceso.bpmn") == [] and translate_tree(table, "decision.dmn") == []
    assert (etree.tostring(root), etree.tostring(table)) == once


def test_other_documents_are_left_alone() -> None:
    root = etree.fromstring(b"<form><text>${x &amp;&amp;}</text></form>")
    assert translate_tree(root, "x.xml") == []
    assert root[0].text == "${x &&}"
