"""JUEL as Camunda models write it, camunda:inputOutput and listeners at run time (issue 13, §2 and §8).

Each test replays what Camunda 7 does with the same model: the variables and tasks its own engine tests
assert. Every step runs through the use cases (deploy, start, complete) on a real database.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.store.instances import load_instance
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, tasks
from engine.workflow.runs import load_run
from engine.workflow.task_views import task_page
from tests.helpers import DATA, deploy_xml, flow, open_tasks, process_xml, staff


@pytest.fixture(autouse=True)
def people(ctx: Context) -> None:
    staff(ctx)


def variables(ctx: Context, instance_id: int) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        return load_run(ctx, uow.session, ref).data()


def refusals(ctx: Context, xml: str) -> list[tuple[str | None, str]]:
    outcome = deployments.deploy(ctx, [SourceFile("m.bpmn", xml.encode())])
    assert not outcome.report.ok and outcome.deployment_id is None
    return [(p.element_id, p.message) for p in outcome.report.errors]


def gateway(condition: str, data: dict[str, Any], ctx: Context) -> str:
    body = f"""
    <bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="no"/>
    <bpmn:userTask id="si" name="Sí"/><bpmn:userTask id="nop" name="No"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="si">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression"><![CDATA[{condition}]]></bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="g" targetRef="nop"/>
    {flow("si>e1", "nop>e2").replace('id="f', 'id="x')}"""
    deploy_xml(ctx, "g.bpmn", process_xml(body, pid="gw"))
    started = instances.start_process(ctx, "gw", data=data, business_key="BK-7")
    return str(open_tasks(ctx, started.id)[0]["name"])


@pytest.mark.parametrize(
    ("condition", "data", "taken"),
    [
        ("${estado.equals('aprobado')}", {"estado": "aprobado"}, "Sí"),
        ("${estado.equals('aprobado')}", {"estado": "rechazado"}, "No"),
        ("${monto.equals(1)}", {"monto": 1.0}, "No"),  # Java: Double.equals(Long) is false
        ("${lista.isEmpty()}", {"lista": []}, "Sí"),
        ("${lista.size() == 2 && lista.contains('b')}", {"lista": ["a", "b"]}, "Sí"),
        (
            "${nombre.trim().toUpperCase().startsWith('AN') && nombre.trim().length() == 3}",
            {"nombre": " ana "},
            "Sí",
        ),
        ("${correo.endsWith('@gov.co') || correo.contains('alcaldia')}", {"correo": "x@alcaldia.org"}, "Sí"),
        ("${execution.getVariable('monto') > 100}", {"monto": 150}, "Sí"),
        ("${execution.getProcessBusinessKey() == 'BK-7'}", {}, "Sí"),
        ("${execution.processBusinessKey.startsWith('BK')}", {}, "Sí"),
        ("${continue}", {"continue": True}, "Sí"),
        ("${!class.isEmpty()}", {"class": "x"}, "Sí"),
        ("${mapa.containsKey('k') && mapa.get('k') == 2}", {"mapa": {"k": 2}}, "Sí"),
        ("${dateTime().plusDays(1).toDate().after(now())}", {}, "Sí"),
        ("${fecha.before(dateTime().toDate())}", {"fecha": "2020-01-01T00:00:00+00:00"}, "Sí"),
    ],
)
def test_juel_method_calls_decide_a_gateway_as_camunda_does(
    ctx: Context, condition: str, data: dict[str, Any], taken: str
) -> None:
    assert gateway(condition, data, ctx) == taken


def test_an_unknown_juel_method_is_refused_at_deploy_naming_the_flow(ctx: Context) -> None:
    body = """<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="no"/>
    <bpmn:endEvent id="e1"/><bpmn:endEvent id="e2"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:sequenceFlow id="yes" sourceRef="g" targetRef="e1">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${bean.doSomething(execution)}</bpmn:conditionExpression>
    </bpmn:sequenceFlow><bpmn:sequenceFlow id="no" sourceRef="g" targetRef="e2"/>"""
    problems = refusals(ctx, process_xml(body))
    assert [element for element, _ in problems] == ["yes"]
    assert "doSomething" in problems[0][1]


def test_due_date_from_joda_idiom_follows_the_engine_clock(ctx: Context, clock: FrozenClock) -> None:
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Revisar ${{factura}}" camunda:candidateGroups="atencion_ciudadano"
        camunda:dueDate="${{dateTime().plusWeeks(1).toDate()}}" camunda:followUpDate="${{dateTime().plusHours(4)}}">
      <bpmn:documentation>Factura ${{factura}} de ${{execution.getVariable('acreedor')}}</bpmn:documentation>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>{flow("s>t", "t>e")}"""
    deploy_xml(ctx, "d.bpmn", process_xml(body))
    started = instances.start_process(ctx, "prueba", data={"factura": "F-1", "acreedor": "Pizza SAS"})
    task = open_tasks(ctx, started.id)[0]
    assert task["name"] == "Revisar F-1"
    assert task["due_at"] == (clock.now() + timedelta(weeks=1)).isoformat()
    assert task["follow_up_at"] == (clock.now() + timedelta(hours=4)).isoformat()
    assert task_page(ctx, task["id"], "root")["documentation"] == "Factura F-1 de Pizza SAS"


def test_service_task_expression_sets_variables_through_the_execution(ctx: Context) -> None:
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="st" name="Marcar" camunda:expression="${{execution.setVariable('revisado', monto > 10)}}"/>
    <bpmn:serviceTask id="st2" name="Calcular" camunda:expression="${{monto * 2}}" camunda:resultVariable="doble"/>
    <bpmn:endEvent id="e"/>{flow("s>st", "st>st2", "st2>e")}"""
    deploy_xml(ctx, "x.bpmn", process_xml(body))
    started = instances.start_process(ctx, "prueba", data={"monto": 20})
    assert started.status == "completed"
    assert variables(ctx, started.id) == {"monto": 20, "revisado": True, "doble": 40}


INPUT_OUTPUT = """<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Aprobar" camunda:assignee="ana">
      <bpmn:extensionElements>
        <camunda:inputOutput>
          <camunda:inputParameter name="texto">hola</camunda:inputParameter>
          <camunda:inputParameter name="doble">${monto * 2}</camunda:inputParameter>
          <camunda:inputParameter name="lista"><camunda:list><camunda:value>a</camunda:value>
            <camunda:value>${monto}</camunda:value></camunda:list></camunda:inputParameter>
          <camunda:inputParameter name="mapa"><camunda:map><camunda:entry key="k">${texto2}</camunda:entry>
            <camunda:entry key="fijo">v</camunda:entry></camunda:map></camunda:inputParameter>
          <camunda:inputParameter name="monto">${monto + 1}</camunda:inputParameter>
          <camunda:inputParameter name="vacio"/>
          <camunda:outputParameter name="resultado">${doble + monto}</camunda:outputParameter>
          <camunda:outputParameter name="aprobadoPor">${decision.equals('si') ? 'ana' : 'nadie'}</camunda:outputParameter>
        </camunda:inputOutput>
        <camunda:properties><camunda:property name="phva:variables" value="decision"/></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>"""


def test_input_parameters_are_local_and_outputs_reach_the_process(ctx: Context) -> None:
    # Camunda: inputs are local variables of the activity (an input named like a process variable
    # shadows it), outputs are computed with the locals visible and set on the process; locals go.
    deploy_xml(ctx, "io.bpmn", process_xml(INPUT_OUTPUT + flow("s>t", "t>e")))
    started = instances.start_process(ctx, "prueba", data={"monto": 5, "texto2": "x"})
    task = open_tasks(ctx, started.id)[0]
    seen = task_page(ctx, task["id"], "root")["data"]
    assert seen == {
        "monto": 6, "texto2": "x", "texto": "hola", "doble": 10, "lista": ["a", 5],
        "mapa": {"k": "x", "fijo": "v"}, "vacio": None,
    }  # fmt: skip
    tasks.complete_task(ctx, task["id"], "ana", {"decision": "si"})
    assert variables(ctx, started.id) == {
        "monto": 5,
        "texto2": "x",
        "decision": "si",
        "resultado": 16,
        "aprobadoPor": "ana",
    }


LISTENERS = """<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Revisar" camunda:assignee="ana">
      <bpmn:extensionElements>
        <camunda:executionListener event="start" expression="${execution.setVariable('inicio', 'si')}"/>
        <camunda:taskListener event="create" expression="${task.setVariable('creada', task.getTaskDefinitionKey())}"/>
        <camunda:taskListener event="complete" class="org.example.AlCompletar"/>
        <camunda:executionListener event="end">
          <camunda:script scriptFormat="python">fin = decision + '!'</camunda:script>
        </camunda:executionListener>
        <camunda:properties><camunda:property name="phva:variables" value="decision"/></camunda:properties>
      </bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="e"/>"""


def test_listeners_run_expressions_scripts_and_registered_handlers(ctx: Context) -> None:
    ctx.services.register("org.example.AlCompletar", lambda data: {"completada": data["decision"]})
    outcome = deploy_xml(ctx, "l.bpmn", process_xml(LISTENERS + flow("s>t", "t>e")))
    warnings = [p.message for p in outcome.report.problems if p.element_id == "t"]
    assert any("org.example.AlCompletar" in m for m in warnings)
    started = instances.start_process(ctx, "prueba")
    task = open_tasks(ctx, started.id)[0]
    assert task_page(ctx, task["id"], "root")["data"] == {"inicio": "si", "creada": "t"}
    tasks.complete_task(ctx, task["id"], "ana", {"decision": "no"})
    assert variables(ctx, started.id) == {
        "inicio": "si",
        "creada": "t",
        "decision": "no",
        "completada": "no",
        "fin": "no!",
    }


def test_java_class_without_a_registered_handler_is_refused_naming_it(ctx: Context) -> None:
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:serviceTask id="archivar" name="Archivar" camunda:class="org.example.ArchiveService"/>
    <bpmn:userTask id="t" name="T" camunda:assignee="ana">
      <bpmn:extensionElements><camunda:taskListener event="create" delegateExpression="${{miListener}}"/>
      </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>{flow("s>archivar", "archivar>t", "t>e")}"""
    problems = refusals(ctx, process_xml(body))
    assert {element for element, _ in problems} == {"archivar", "t"}
    assert any("org.example.ArchiveService" in m for _, m in problems)
    assert any("miListener" in m for _, m in problems)


def test_groovy_and_javascript_are_refused_all_at_once_with_the_way_out(ctx: Context) -> None:
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:scriptTask id="calc" name="Calcular" scriptFormat="groovy"><bpmn:script>x = 1</bpmn:script></bpmn:scriptTask>
    <bpmn:userTask id="t" name="T" camunda:assignee="ana">
      <bpmn:extensionElements>
        <camunda:taskListener event="create"><camunda:script scriptFormat="javascript">task.setAssignee('x');</camunda:script></camunda:taskListener>
        <camunda:inputOutput><camunda:inputParameter name="y"><camunda:script scriptFormat="groovy">1+1</camunda:script></camunda:inputParameter></camunda:inputOutput>
      </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>{flow("s>calc", "calc>t", "t>e")}"""
    problems = refusals(ctx, process_xml(body))
    by_element = {element: message for element, message in problems}
    assert set(by_element) == {"calc", "t"} and len(problems) == 3
    assert "groovy" in by_element["calc"] and 'scriptFormat="python"' in by_element["calc"]
    assert "«calc»" in by_element["calc"] and "phva:handler" in by_element["calc"]
    assert any("javascript" in m and "«t:create»" in m for e, m in problems if e == "t")


def test_a_groovy_script_task_runs_the_handler_registered_under_its_id(ctx: Context) -> None:
    ctx.services.register("calc", lambda data: {"x": data["a"] + 1})
    ctx.services.register("otro", lambda data: {"y": 2})
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:scriptTask id="calc" name="Calcular" scriptFormat="groovy"><bpmn:script>x = a + 1</bpmn:script></bpmn:scriptTask>
    <bpmn:scriptTask id="calc2" name="Otro" scriptFormat="javascript">
      <bpmn:extensionElements><camunda:properties><camunda:property name="phva:handler" value="otro"/>
      </camunda:properties></bpmn:extensionElements><bpmn:script>var y = 2;</bpmn:script></bpmn:scriptTask>
    <bpmn:endEvent id="e"/>{flow("s>calc", "calc>calc2", "calc2>e")}"""
    outcome = deploy_xml(ctx, "g.bpmn", process_xml(body))
    assert any(p.element_id == "calc" and p.severity == "warning" for p in outcome.report.problems)
    started = instances.start_process(ctx, "prueba", data={"a": 1})
    assert started.status == "completed"
    assert variables(ctx, started.id) == {"a": 1, "x": 2, "y": 2}


def test_flows_without_condition_on_an_exclusive_gateway_count_as_true(ctx: Context) -> None:
    # Camunda's ExclusiveGatewayActivityBehavior takes the first non-default flow whose condition is
    # missing or true, in the order of the file; the default flow only when none is.
    body = """<bpmn:startEvent id="s"/><bpmn:exclusiveGateway id="g" default="d"/>
    <bpmn:userTask id="a" name="A"/><bpmn:userTask id="b" name="B"/><bpmn:userTask id="c" name="C"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="g"/>
    <bpmn:sequenceFlow id="d" sourceRef="g" targetRef="c"/>
    <bpmn:sequenceFlow id="cond" sourceRef="g" targetRef="a">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">${x > 1}</bpmn:conditionExpression></bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="plain" sourceRef="g" targetRef="b"/>
    <bpmn:sequenceFlow id="plain2" sourceRef="g" targetRef="c"/>"""
    deploy_xml(ctx, "g.bpmn", process_xml(body))
    for x, expected in ((5, ["A"]), (0, ["B"])):
        started = instances.start_process(ctx, "prueba", data={"x": x})
        assert [t["name"] for t in open_tasks(ctx, started.id)] == expected


def test_assignment_listener_runs_when_the_task_is_claimed(ctx: Context) -> None:
    # invoice.v2's approveInvoice: task.setVariable('approver', task.getAssignee()) on assignment.
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Aprobar" camunda:candidateGroups="atencion_ciudadano">
      <bpmn:extensionElements>
        <camunda:taskListener event="assignment" expression="${{task.setVariable('approver', task.assignee)}}"/>
      </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>{flow("s>t", "t>e")}"""
    deploy_xml(ctx, "a.bpmn", process_xml(body))
    started = instances.start_process(ctx, "prueba")
    task = open_tasks(ctx, started.id)[0]
    assert "approver" not in task_page(ctx, task["id"], "root")["data"]
    tasks.claim_task(ctx, task["id"], "ana")
    assert task_page(ctx, task["id"], "root")["data"] == {"approver": "ana"}
    assert open_tasks(ctx, started.id)[0]["assignee"] == "ana"
    tasks.assign_task(ctx, task["id"], "sofia", "beto")
    assert task_page(ctx, task["id"], "root")["data"] == {"approver": "beto"}


def test_assignment_listener_with_a_creation_assignee_is_refused(ctx: Context) -> None:
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="T" camunda:assignee="ana">
      <bpmn:extensionElements>
        <camunda:taskListener event="assignment" expression="${{task.setVariable('x', 1)}}"/>
      </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>{flow("s>t", "t>e")}"""
    [(element, message)] = refusals(ctx, process_xml(body))
    assert element == "t" and "camunda:assignee" in message


def test_input_parameters_apply_to_each_instance_of_a_multi_instance(ctx: Context) -> None:
    # InputOutputTest.testSequentialMIActivityIoSupport: the input is evaluated per instance.
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Revisar ${{etiqueta}}" camunda:assignee="ana">
      <bpmn:extensionElements><camunda:inputOutput>
        <camunda:inputParameter name="etiqueta">${{item.toUpperCase()}}-${{loopCounter}}</camunda:inputParameter>
      </camunda:inputOutput></bpmn:extensionElements>
      <bpmn:multiInstanceLoopCharacteristics isSequential="true" camunda:collection="items"
          camunda:elementVariable="item"/>
    </bpmn:userTask><bpmn:endEvent id="e"/>{flow("s>t", "t>e")}"""
    deploy_xml(ctx, "mi.bpmn", process_xml(body))
    started = instances.start_process(ctx, "prueba", data={"items": ["a", "b"]})
    seen = []
    for _ in range(2):
        [task] = open_tasks(ctx, started.id)
        seen.append(task["name"])
        tasks.complete_task(ctx, task["id"], "ana", {})
    assert seen == ["Revisar A-0", "Revisar B-1"]
    assert "etiqueta" not in variables(ctx, started.id)


INVOICE = ("invoice.v2.bpmn", "reviewInvoice.bpmn", "invoiceBusinessDecisions.dmn")


def invoice_files() -> list[SourceFile]:
    return [SourceFile(n, (DATA / "camunda" / "corpus" / n).read_bytes()) for n in INVOICE]


def test_camunda_invoice_is_refused_naming_its_javascript_and_java(ctx: Context) -> None:
    outcome = deployments.deploy(ctx, invoice_files())
    problems = [(p.element_id, p.message) for p in outcome.report.errors]
    assert outcome.deployment_id is None
    assert {e for e, _ in problems} == {"approveInvoice", "ServiceTask_1"}, problems
    assert sum("javascript" in m for _, m in problems) == 2  # the create and the assignment listeners
    assert any("approveInvoice:create" in m for _, m in problems)
    assert any("ArchiveInvoiceService" in m for _, m in problems)


def test_camunda_invoice_runs_with_its_scripts_and_java_mapped_to_handlers(ctx: Context) -> None:
    # InvoiceTestCase.testHappyPathV2 and testApproveInvoiceAssignment, with the JavaScript listeners and
    # the Java ArchiveInvoiceService registered as Python handlers under the names deploy asked for.
    archived: list[str] = []
    ctx.services.register("approveInvoice:create", lambda data: None)
    ctx.services.register("approveInvoice:assignment", lambda data: {"approver": data["task_assignee"]})
    ctx.services.register(
        "org.camunda.bpm.example.invoice.service.ArchiveInvoiceService",
        lambda data: archived.append(data["invoiceNumber"]) or None,
    )
    outcome = deployments.deploy(ctx, invoice_files())
    assert outcome.report.ok, outcome.report.format()
    for group in ("accounting", "sales"):
        users.add_user(ctx, f"u_{group}", groups=group)
    start = {"creditor": "Great Pizza for Everyone Inc.", "amount": 300.0,
             "invoiceCategory": "Travel Expenses", "invoiceNumber": "GPFE-23232323"}  # fmt: skip
    started = instances.start_process(ctx, "invoice", data=start)
    [approve] = open_tasks(ctx, started.id)
    assert approve["bpmn_id"] == "approveInvoice"
    assert sorted(approve["candidate_groups"]) == ["accounting", "sales"]
    assert approve["due_at"] == (ctx.clock.now() + timedelta(weeks=1)).isoformat()
    tasks.claim_task(ctx, approve["id"], "u_sales")
    assert task_page(ctx, approve["id"], "root")["data"]["approver"] == "u_sales"
    tasks.complete_task(ctx, approve["id"], "u_sales", {"approved": True})
    [transfer] = open_tasks(ctx, started.id)
    assert transfer["bpmn_id"] == "prepareBankTransfer"
    tasks.complete_task(ctx, transfer["id"], "u_accounting", {})
    assert archived == ["GPFE-23232323"]
    assert variables(ctx, started.id)["approver"] == "u_sales"


def test_a_failing_listener_is_an_incident_on_its_task_not_an_unexpected_error(ctx: Context) -> None:
    body = f"""<bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Revisar" camunda:assignee="ana">
      <bpmn:extensionElements>
        <camunda:executionListener event="start" expression="${{execution.setVariable('n', lista.size())}}"/>
      </bpmn:extensionElements></bpmn:userTask>
    <bpmn:endEvent id="e"/>{flow("s>t", "t>e")}"""
    deploy_xml(ctx, "f.bpmn", process_xml(body))
    started = instances.start_process(ctx, "prueba", data={"lista": None})
    assert started.status == "incident" and open_tasks(ctx, started.id) == []
    assert started.incident is not None and "«Revisar»" in started.incident and "size" in started.incident
