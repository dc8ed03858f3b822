from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow

from engine.modeling import definitions
from engine.modeling.definitions import SourceFile, analyze, load_specs
from engine.modeling.expressions import value_to_python
from engine.modeling.formjs import parse_formjs
from engine.modeling.report import Problem, ValidationReport
from engine.runtime.scripting import check_script

DATA = Path(__file__).resolve().parents[1] / "data"
SOLICITUD = ("solicitud.bpmn", "encuesta.bpmn", "clasificar_solicitud.dmn", "encuesta_satisfaccion.form")


def source(name: str, content: bytes | None = None) -> SourceFile:
    return SourceFile(name, (DATA / name).read_bytes() if content is None else content)


def deploy_solicitud(**overrides: bytes) -> definitions.Analysis:
    files = [source(name, overrides.get(name)) for name in SOLICITUD]
    return analyze(files, check_script=check_script)


def blueprint(analysis: definitions.Analysis, key: str) -> definitions.ProcessBlueprint:
    return next(p for p in analysis.processes if p.key == key)


def extensions(key: str = "atender_solicitud") -> dict[str, dict[str, Any]]:
    spec, subprocess_specs = load_specs(blueprint(deploy_solicitud(), key).spec_json)
    found = {name: ts.extensions for name, ts in spec.task_specs.items() if hasattr(ts, "extensions")}
    for sub in subprocess_specs.values():
        found.update({n: ts.extensions for n, ts in sub.task_specs.items() if hasattr(ts, "extensions")})
    return found


# A minimal Camunda 7 file around `body`; diagram information is left out on purpose (warnings only).
def bpmn(body: str, *, executable: str = "true", extra: str = "", root_attrs: str = "") -> bytes:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs" targetNamespace="http://bpmn.io/schema/bpmn"
  {root_attrs}>
  {extra}
  <bpmn:process id="p" name="Proceso" isExecutable="{executable}">
    <bpmn:startEvent id="inicio" name="Inicio"/>
    {body}
  </bpmn:process>
</bpmn:definitions>""".encode()


def errors_of(report: ValidationReport) -> list[Problem]:
    return report.errors


def has_error(report: ValidationReport, file: str, element_id: str | None, *words: str) -> bool:
    return any(
        p.file == file and p.element_id == element_id and all(w.lower() in p.message.lower() for w in words)
        for p in report.errors
    )


# --- the realistic Camunda Modeler file -------------------------------------------------------------


def test_solicitud_deployment_is_accepted_without_warnings() -> None:
    analysis = deploy_solicitud()

    assert analysis.report.problems == []
    assert {p.key for p in analysis.processes} == {"atender_solicitud", "encuesta_satisfaccion"}
    assert [f.form_id for f in analysis.forms] == ["encuesta_satisfaccion"]


def test_process_metadata_is_exposed() -> None:
    process = blueprint(deploy_solicitud(), "atender_solicitud")

    assert process.name == "Atender solicitud"
    assert process.file == "solicitud.bpmn"
    assert process.version_tag == "1.0"
    assert process.history_time_to_live == "P180D"
    assert process.properties == {"etapa": "hacer", "politica": "servicio_al_ciudadano"}
    assert process.documentation is not None and process.documentation.startswith("Atención de una solicitud")
    assert process.called_processes == frozenset({"encuesta_satisfaccion"})
    assert {(t.bpmn_id, t.lane) for t in process.user_tasks} == {
        ("Activity_Revisar", "Atención al ciudadano"),
        ("Activity_Responder", "Ventanilla"),
        ("Activity_Notificar", "Atención al ciudadano"),
        ("Activity_Alertar", "Atención al ciudadano"),
    }
    assert blueprint(deploy_solicitud(), "encuesta_satisfaccion").form_refs == {"encuesta_satisfaccion"}


def test_user_task_keeps_camunda_attributes_and_form_data() -> None:
    revisar = extensions()["Activity_Revisar"]

    assert revisar["candidateGroups"] == "atencion_ciudadano"
    assert revisar["dueDate"] == "P15D"
    assert revisar["followUpDate"] == "P10D"
    assert revisar["priority"] == "50"
    assert revisar["expr"] == {
        "candidateGroups": value_to_python("atencion_ciudadano"),
        "dueDate": value_to_python("P15D"),
        "followUpDate": value_to_python("P10D"),
        "priority": value_to_python("50"),
    }
    assert "assignee" not in revisar
    fields = {f["id"]: f for f in revisar["formData"]}
    assert {k: f["type"] for k, f in fields.items()} == {
        "concepto": "string",
        "folios": "long",
        "aprobado": "boolean",
        "canal_respuesta": "enum",
        "fecha_respuesta": "date",
    }
    assert fields["concepto"]["validation"] == [
        {"name": "required", "config": None},
        {"name": "maxlength", "config": "500"},
    ]
    assert fields["folios"] == {
        "id": "folios",
        "label": "Número de folios",
        "type": "long",
        "defaultValue": "1",
        "values": [],
        "validation": [{"name": "min", "config": "1"}],
        "properties": {},
    }
    assert fields["canal_respuesta"]["values"] == [
        {"id": "correo", "name": "Correo electrónico"},
        {"id": "fisico", "name": "Correspondencia física"},
    ]
    assert revisar["inputOutput"] == {
        "inputs": [
            {"name": "radicado_revision", "value": {"expr": "radicado", "source": "${radicado}"}},
            {"name": "instrucciones", "value": {"text": "Verifique los anexos"}},
        ],
        "outputs": [{"name": "concepto_revision", "value": {"expr": "concepto", "source": "${concepto}"}}],
    }
    assert revisar["properties"] == {"semaforo_amarillo": "0.6"}
    json.dumps(revisar)  # JSON-native, as the serializer needs


def test_assignee_and_due_date_expressions_are_translated_once_at_deploy() -> None:
    responder = extensions()["Activity_Responder"]

    assert responder["assignee"] == "${solicitante}"
    assert responder["expr"] == {"assignee": "solicitante", "dueDate": "fecha_limite"}


def test_start_event_form_data_is_kept_as_start_form() -> None:
    start = extensions()["StartEvent_Solicitud"]

    assert [f["id"] for f in start["formData"]] == ["solicitante", "asunto", "tipo"]


def test_subprocess_properties_do_not_leak_from_its_children() -> None:
    found = extensions()

    assert found["Activity_Rechazar"]["properties"] == {"plantilla": "rechazo"}
    assert found["Activity_Notificar"]["properties"] == {"canal": "correo"}


def test_form_ref_is_kept_on_the_called_process_task() -> None:
    task = extensions("encuesta_satisfaccion")["Activity_ResponderEncuesta"]

    assert task["formRef"] == "encuesta_satisfaccion"
    assert task["formRefBinding"] == "latest"


def test_business_rule_task_keeps_result_variable() -> None:
    assert extensions()["Activity_Clasificar"]["resultVariable"] == "clasificacion"


def test_gateway_conditions_and_boundary_timer_run_as_python() -> None:
    spec, _ = load_specs(blueprint(deploy_solicitud(), "atender_solicitud").spec_json)
    conditions = {
        target: cond.args[0] for cond, target in spec.task_specs["Gateway_Aprobado"].cond_task_specs
    }
    timer = spec.task_specs["Event_Plazo"]

    assert eval(conditions["Activity_Responder"], {}, {"aprobado": True}) is True
    assert eval(conditions["Activity_Rechazar"], {}, {"aprobado": True}) is False
    assert timer.cancel_activity is False
    assert timer.event_definition.expression != "PT2H"


def test_spec_round_trips_through_load_specs_and_is_cached() -> None:
    process = blueprint(deploy_solicitud(), "atender_solicitud")

    spec, subprocess_specs = load_specs(process.spec_json)

    assert spec.name == "atender_solicitud"
    assert set(subprocess_specs) == {"Activity_Rechazar", "encuesta_satisfaccion"}
    assert load_specs(process.spec_json)[0] is spec
    assert BpmnWorkflow(spec, subprocess_specs).spec is spec


def test_same_content_gives_same_hash_and_a_changed_called_file_changes_the_callers() -> None:
    first, again = deploy_solicitud(), deploy_solicitud()
    changed_survey = (
        (DATA / "encuesta.bpmn").read_bytes().replace(b"Responder encuesta", b"Contestar encuesta")
    )
    changed = deploy_solicitud(**{"encuesta.bpmn": changed_survey})

    caller = blueprint(first, "atender_solicitud")
    assert caller.content_hash == blueprint(again, "atender_solicitud").content_hash
    assert [s.name for s in caller.sources] == ["clasificar_solicitud.dmn", "encuesta.bpmn", "solicitud.bpmn"]
    assert blueprint(changed, "atender_solicitud").content_hash != caller.content_hash
    assert blueprint(first, "encuesta_satisfaccion").sources == (source("encuesta.bpmn"),)


def test_changed_dmn_changes_the_callers_hash_only() -> None:
    dmn = (DATA / "clasificar_solicitud.dmn").read_bytes().replace(b"juridica", b"oficina_juridica")
    first, changed = deploy_solicitud(), deploy_solicitud(**{"clasificar_solicitud.dmn": dmn})

    assert (
        blueprint(first, "atender_solicitud").content_hash
        != blueprint(changed, "atender_solicitud").content_hash
    )
    assert (
        blueprint(first, "encuesta_satisfaccion").content_hash
        == blueprint(changed, "encuesta_satisfaccion").content_hash
    )


# --- unsafe or unreadable input -----------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">&lol3;</bpmn:definitions>"""

EXTERNAL_ENTITY = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL">
  <bpmn:documentation>&xxe;</bpmn:documentation>
</bpmn:definitions>"""


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (BILLION_LAUGHS, ["DOCTYPE", "seguridad"]),
        (EXTERNAL_ENTITY, ["DOCTYPE", "seguridad"]),
        (BILLION_LAUGHS.decode().encode("utf-16"), ["DOCTYPE"]),
        (b"", ["vacío"]),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", ["binario"]),
        (b"<bpmn:definitions>\xe9t\xe9</bpmn:definitions>", ["UTF-8"]),
        (b"esto no es xml", ["XML"]),
        (b'<?xml version="1.0"?>\n<a>\n<b></a>', ["XML mal formado", "línea 3"]),
    ],
    ids=["billion-laughs", "external-entity", "utf16-doctype", "empty", "binary", "latin1", "text", "syntax"],
)
def test_unsafe_or_unreadable_files_are_refused_with_a_reason(content: bytes, words: list[str]) -> None:
    report = analyze([SourceFile("malo.bpmn", content)]).report

    assert has_error(report, "malo.bpmn", None, *words), report.format()


def test_declared_latin1_encoding_is_read() -> None:
    content = bpmn('<bpmn:endEvent id="fin" name="Fin"/>').replace(b"UTF-8", b"ISO-8859-1")
    content = content.replace(b'name="Proceso"', 'name="Atención"'.encode("latin-1"))

    analysis = analyze([SourceFile("latin.bpmn", content)])

    assert analysis.report.ok, analysis.report.format()
    assert analysis.processes[0].name == "Atención"


def test_unknown_file_type_is_refused() -> None:
    report = analyze([SourceFile("notas.txt", b"hola")]).report

    assert has_error(report, "notas.txt", None, "tipo de archivo no soportado")


def test_camunda_8_file_is_refused_with_an_explanation() -> None:
    content = bpmn(
        "",
        root_attrs='xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" '
        'xmlns:modeler="http://camunda.org/schema/modeler/1.0" modeler:executionPlatform="Camunda Cloud"',
    )

    assert has_error(analyze([SourceFile("c8.bpmn", content)]).report, "c8.bpmn", None, "Camunda Platform 7")


def test_missing_bpmn_namespace_is_refused() -> None:
    content = b'<definitions id="d"><process id="p"/></definitions>'

    assert has_error(analyze([SourceFile("x.bpmn", content)]).report, "x.bpmn", None, "bpmn:definitions")


# --- model problems, each with file and element id ----------------------------------------------------


def test_no_executable_process_is_an_error() -> None:
    report = analyze([SourceFile("doc.bpmn", bpmn("", executable="false"))]).report

    assert has_error(report, "doc.bpmn", None, "no hay un proceso ejecutable")


@pytest.mark.parametrize(
    ("body", "element_id", "words"),
    [
        ('<bpmn:complexGateway id="compleja" name="C"/>', "compleja", ["complexGateway", "soportado"]),
        (
            '<bpmn:intermediateThrowEvent id="enlace" name="E"><bpmn:linkEventDefinition id="l" name="a"/>'
            "</bpmn:intermediateThrowEvent>",
            "enlace",
            ["link"],
        ),
        ('<bpmn:receiveTask id="comp" name="C" isForCompensation="true"/>', "comp", ["compensación", "receiveTask"]),
        (
            '<bpmn:endEvent id="senal" name="S"><bpmn:signalEventDefinition id="s"/></bpmn:endEvent>',
            "senal",
            ["signal"],
        ),
        ('<bpmn:sequenceFlow id="f" sourceRef="inicio" targetRef="fantasma"/>', "f", ["fantasma", "existe"]),
        (
            '<bpmn:exclusiveGateway id="g" name="G" default="f_no"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="inicio" targetRef="g"/>',
            "g",
            ["f_no", "por defecto"],
        ),
        (
            '<bpmn:boundaryEvent id="b" name="B" attachedToRef="nadie">'
            "<bpmn:timerEventDefinition><bpmn:timeDuration>PT1H</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:boundaryEvent>",
            "b",
            ["nadie"],
        ),
        (
            '<bpmn:callActivity id="c" name="C" calledElement="otro" camunda:calledElementBinding="deployment"/>',
            "c",
            ["otro", "mismo despliegue"],
        ),
        (
            '<bpmn:businessRuleTask id="r" name="R" camunda:decisionRef="tabla" camunda:decisionRefBinding="deployment"/>',
            "r",
            ["tabla", "mismo despliegue"],
        ),
        (
            '<bpmn:userTask id="u" name="U" camunda:formRef="formulario_x"/>',
            "u",
            ["formulario_x", "no está en el despliegue"],
        ),
        ('<bpmn:scriptTask id="s" name="S" scriptFormat="python"/>', "s", ["no tiene script"]),
        (
            '<bpmn:scriptTask id="s" name="S" scriptFormat="javascript"><bpmn:script>x = 1</bpmn:script>'
            "</bpmn:scriptTask>",
            "s",
            ["javascript"],
        ),
        (
            '<bpmn:scriptTask id="s" name="S" scriptFormat="python"><bpmn:script>import os</bpmn:script>'
            "</bpmn:scriptTask>",
            "s",
            ["script rechazado"],
        ),
        (
            '<bpmn:intermediateCatchEvent id="t" name="T"><bpmn:timerEventDefinition>'
            "<bpmn:timeDuration>dos horas</bpmn:timeDuration></bpmn:timerEventDefinition>"
            "</bpmn:intermediateCatchEvent>",
            "t",
            ["dos horas"],
        ),
        (
            '<bpmn:exclusiveGateway id="g" name="G"/><bpmn:endEvent id="fin" name="F"/>'
            '<bpmn:sequenceFlow id="f" sourceRef="g" targetRef="fin">'
            "<bpmn:conditionExpression>${a &amp;&amp;}</bpmn:conditionExpression></bpmn:sequenceFlow>",
            "f",
            ["Condición"],
        ),
        (
            '<bpmn:userTask id="u" name="U"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="monto" type="money"/></camunda:formData></bpmn:extensionElements>'
            "</bpmn:userTask>",
            "u",
            ["monto", "money"],
        ),
        (
            '<bpmn:userTask id="u" name="U"><bpmn:extensionElements><camunda:formData>'
            '<camunda:formField id="nombre" type="string"><camunda:validation>'
            '<camunda:constraint name="maxlength" config="mucho"/></camunda:validation></camunda:formField>'
            "</camunda:formData></bpmn:extensionElements></bpmn:userTask>",
            "u",
            ["nombre", "maxlength", "mucho"],
        ),
        (
            '<bpmn:userTask id="u" name="U" camunda:assignee="${a &amp;&amp;}"/>',
            "u",
            ["expresión", "${a &&}"],
        ),
    ],
    ids=[
        "complex-gateway", "link-event", "compensation", "signal-end", "dangling-flow", "default-flow",
        "boundary-attached", "called-element", "decision-ref", "form-ref", "empty-script", "javascript",
        "forbidden-script", "bad-timer", "bad-condition", "form-type", "form-constraint", "bad-assignee",
    ],
)  # fmt: skip
def test_model_problem_is_reported_with_file_and_element(
    body: str, element_id: str, words: list[str]
) -> None:
    report = analyze([SourceFile("modelo.bpmn", bpmn(body))], check_script=check_script).report

    assert has_error(report, "modelo.bpmn", element_id, *words), report.format()


def test_duplicate_ids_are_named() -> None:
    content = bpmn('<bpmn:task id="doble" name="A"/><bpmn:task id="doble" name="B"/>')

    assert has_error(analyze([SourceFile("d.bpmn", content)]).report, "d.bpmn", "doble", "doble", "repetido")


def test_all_problems_are_collected_not_only_the_first() -> None:
    body = (
        '<bpmn:complexGateway id="g1" name="G"/>'
        '<bpmn:callActivity id="c1" name="C" calledElement="nada" camunda:calledElementBinding="version"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="fantasma"/>'
    )

    report = analyze([SourceFile("m.bpmn", bpmn(body))]).report

    assert {p.element_id for p in report.errors} >= {"g1", "c1", "f1"}


def test_references_known_from_earlier_deployments_are_accepted() -> None:
    body = (
        '<bpmn:callActivity id="c" name="C" calledElement="otro"/>'
        '<bpmn:userTask id="u" name="U" camunda:formRef="previo"/>'
    )
    form = parse_formjs(json.dumps({"id": "previo", "components": []}))

    report = analyze(
        [SourceFile("m.bpmn", bpmn(body))], known_forms={"previo": form}, known_processes={"otro"}
    ).report

    assert report.ok, report.format()


def test_unknown_dmn_hit_policy_is_refused() -> None:
    dmn = (
        (DATA / "clasificar_solicitud.dmn")
        .read_bytes()
        .replace(b'hitPolicy="FIRST"', b'hitPolicy="CUALQUIERA"')
    )

    report = analyze([SourceFile("t.dmn", dmn)]).report

    assert has_error(report, "t.dmn", "clasificar_solicitud", "CUALQUIERA", "desconocida")


def test_vendor_extensions_missing_diagram_and_names_are_warnings() -> None:
    content = bpmn(
        '<bpmn:task id="sin_nombre" signavio:x="1"/>',
        root_attrs='xmlns:signavio="http://www.signavio.com" xmlns:bioc="http://bpmn.io/schema/bpmn/biocolor/1.0"',
        extra='<bpmndi:BPMNDiagram xmlns:bpmndi="http://www.omg.org/spec/BPMN/20100524/DI" id="D">'
        '<bpmndi:BPMNPlane id="P" bpmnElement="p"/></bpmndi:BPMNDiagram>',
    )

    report = analyze([SourceFile("w.bpmn", content)]).report
    warnings = {(p.element_id, p.message) for p in report.warnings}

    assert report.ok, report.format()
    assert any("signavio" in p.message for p in report.warnings)
    assert not any("bioc" in p.message for p in report.warnings)
    assert ("sin_nombre", "el elemento bpmn:task no tiene nombre") in warnings
    assert any(p.element_id == "inicio" and "BPMNShape" in p.message for p in report.warnings)


def test_service_task_implementation_and_io_kinds_are_kept() -> None:
    body = """
      <bpmn:serviceTask id="svc" name="Notificar" camunda:type="external" camunda:topic="notificar"/>
      <bpmn:sendTask id="snd" name="Enviar" camunda:class="co.gov.Enviar">
        <bpmn:extensionElements><camunda:inputOutput>
          <camunda:inputParameter name="lista"><camunda:list><camunda:value>a</camunda:value>
            <camunda:value>b</camunda:value></camunda:list></camunda:inputParameter>
          <camunda:inputParameter name="mapa">
            <camunda:map><camunda:entry key="k">v</camunda:entry></camunda:map>
          </camunda:inputParameter>
          <camunda:inputParameter name="calc"><camunda:script scriptFormat="python">1 + 1</camunda:script>
          </camunda:inputParameter>
          <camunda:inputParameter name="vacio"/>
        </camunda:inputOutput></bpmn:extensionElements>
      </bpmn:sendTask>
      <bpmn:endEvent id="fin" name="Fin"/>
      <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="svc"/>
      <bpmn:sequenceFlow id="f2" sourceRef="svc" targetRef="snd"/>
      <bpmn:sequenceFlow id="f3" sourceRef="snd" targetRef="fin"/>"""

    analysis = analyze([SourceFile("s.bpmn", bpmn(body))])
    spec, _ = load_specs(analysis.processes[0].spec_json)

    assert analysis.report.ok, analysis.report.format()
    assert spec.task_specs["svc"].extensions["implementation"] == {
        "type": "external",
        "value": None,
        "topic": "notificar",
    }
    send = spec.task_specs["snd"].extensions
    assert send["implementation"] == {"type": "class", "value": "co.gov.Enviar", "topic": None}
    assert send["inputOutput"]["inputs"] == [
        {"name": "lista", "value": {"list": [{"text": "a"}, {"text": "b"}]}},
        {"name": "mapa", "value": {"map": {"k": {"text": "v"}}}},
        {"name": "calc", "value": {"script": "1 + 1", "format": "python"}},
        {"name": "vacio", "value": {"null": True}},
    ]


def test_unexpected_failure_becomes_an_error_for_that_file(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(root: Any, file: str) -> list[Problem]:
        raise RuntimeError("fallo simulado")

    monkeypatch.setattr(definitions, "translate_tree", broken)

    report = analyze([SourceFile("a.bpmn", bpmn(""))]).report

    assert has_error(report, "a.bpmn", None, "error interno", "fallo simulado")


def test_bad_form_file_is_refused() -> None:
    report = analyze([SourceFile("f.form", b"{no es json")]).report

    assert has_error(report, "f.form", None, "formulario no válido")


def test_several_flows_out_of_a_task_are_an_implicit_split_as_in_camunda() -> None:
    body = (
        '<bpmn:task id="a" name="A"/><bpmn:endEvent id="x" name="X"/><bpmn:endEvent id="y" name="Y"/>'
        '<bpmn:sequenceFlow id="f0" sourceRef="inicio" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f1" sourceRef="a" targetRef="x"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="y"/>'
    )  # SpiffWorkflow refuses it; Camunda takes both flows (tests/integration/test_camunda_implicit_flows.py)
    assert analyze([SourceFile("modelo.bpmn", bpmn(body))], check_script=check_script).report.errors == []
