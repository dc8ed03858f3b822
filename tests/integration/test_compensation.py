"""Compensation as Camunda 7 runs it (CompensateEventTest; issue 13 §6): handlers of the completed activities,
latest completion first, only `activityRef`'s when the throw names one, none for an activity not completed,
a user-task handler in the inbox like any task. Each step saves and reloads the instance (SQLite and
PostgreSQL), so the subscriptions survive the state compaction between requests."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from engine.context import Context
from engine.identity import users
from engine.store.instances import load_instance
from engine.store.tables import AuditEvent
from engine.store.uow import UnitOfWork
from engine.workflow import instances, tasks, views
from engine.workflow.runs import load_run
from tests.helpers import complete_named, deploy_xml, flow, open_tasks, process_xml, task_names


def handler(activity: str, kind: str = "script", extra: str = "") -> str:
    """A compensation boundary event on `activity` and its handler `undo_<activity>`."""
    undo = f"undo_{activity}"
    if kind == "script":
        body = (
            f'<bpmn:scriptTask id="{undo}" name="Deshacer {activity}" isForCompensation="true" '
            f'scriptFormat="python"><bpmn:script>undone = undone + ["{activity}"]</bpmn:script>'
            "</bpmn:scriptTask>"
        )
    else:
        body = f'<bpmn:userTask id="{undo}" name="Deshacer {activity}" isForCompensation="true" {extra}/>'
    return (
        f'<bpmn:boundaryEvent id="comp_{activity}" attachedToRef="{activity}">'
        "<bpmn:compensateEventDefinition/></bpmn:boundaryEvent>"
        f'{body}<bpmn:association id="as_{activity}" sourceRef="comp_{activity}" targetRef="{undo}"/>'
    )


def throw(element_id: str, activity_ref: str | None = None) -> str:
    ref = f' activityRef="{activity_ref}"' if activity_ref else ""
    return (
        f'<bpmn:intermediateThrowEvent id="{element_id}" name="Compensar">'
        f"<bpmn:compensateEventDefinition{ref}/></bpmn:intermediateThrowEvent>"
    )


def user_task(element_id: str) -> str:
    return f'<bpmn:userTask id="{element_id}" name="{element_id.capitalize()}"/>'


# A and B in parallel, then «Revisar», then a throw (optionally for one activity), then «Cierre».
def parallel(activity_ref: str | None = None) -> str:
    return process_xml(
        '<bpmn:startEvent id="inicio"/><bpmn:parallelGateway id="abrir"/><bpmn:parallelGateway id="unir"/>'
        + user_task("a")
        + user_task("b")
        + handler("a")
        + handler("b")
        + user_task("revisar")
        + throw("compensar", activity_ref)
        + user_task("cierre")
        + '<bpmn:endEvent id="fin"/>'
        + flow("inicio>abrir", "abrir>a", "abrir>b", "a>unir", "b>unir", "unir>revisar", "revisar>compensar",
               "compensar>cierre", "cierre>fin"),
        pid="reservas",
    )  # fmt: skip


def variables(ctx: Context, instance_id: int) -> dict[str, Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        return load_run(ctx, uow.session, ref).data()


@pytest.fixture(autouse=True)
def root(ctx: Context) -> None:
    users.add_user(ctx, "root", roles="admin")


def test_handlers_run_latest_completion_first(ctx: Context) -> None:
    deploy_xml(ctx, "reservas.bpmn", parallel())
    started = instances.start_process(ctx, "reservas", data={"undone": []})
    complete_named(ctx, started.id, "B")  # B completes before A: A is undone first
    complete_named(ctx, started.id, "A")
    complete_named(ctx, started.id, "Revisar")

    assert task_names(ctx, started.id) == ["Cierre"]
    assert variables(ctx, started.id)["undone"] == ["a", "b"]


def test_handlers_follow_the_order_of_completion_not_of_the_model(ctx: Context) -> None:
    deploy_xml(ctx, "reservas.bpmn", parallel())
    started = instances.start_process(ctx, "reservas", data={"undone": []})
    complete_named(ctx, started.id, "A")
    complete_named(ctx, started.id, "B")
    complete_named(ctx, started.id, "Revisar")

    assert variables(ctx, started.id)["undone"] == ["b", "a"]


def test_activity_ref_compensates_only_that_activity(ctx: Context) -> None:
    deploy_xml(ctx, "reservas.bpmn", parallel(activity_ref="b"))
    started = instances.start_process(ctx, "reservas", data={"undone": []})
    complete_named(ctx, started.id, "A")
    complete_named(ctx, started.id, "B")
    complete_named(ctx, started.id, "Revisar")
    complete_named(ctx, started.id, "Cierre")

    detail = views.instance(ctx, started.id)
    assert detail["status"] == "completed"
    assert variables(ctx, started.id)["undone"] == ["b"]
    assert "undo_a" not in detail["completed_activities"]


def test_an_activity_not_completed_is_not_compensated(ctx: Context) -> None:
    # A, and in parallel B then the throw: A is still open when the throw runs
    xml = process_xml(
        '<bpmn:startEvent id="inicio"/><bpmn:parallelGateway id="abrir"/><bpmn:parallelGateway id="unir"/>'
        + user_task("a") + user_task("b") + handler("a") + handler("b") + throw("compensar")
        + '<bpmn:endEvent id="fin"/>'
        + flow("inicio>abrir", "abrir>a", "abrir>b", "b>compensar", "compensar>unir", "a>unir", "unir>fin"),
        pid="pendiente",
    )  # fmt: skip
    deploy_xml(ctx, "pendiente.bpmn", xml)
    started = instances.start_process(ctx, "pendiente", data={"undone": []})
    complete_named(ctx, started.id, "B")
    assert variables(ctx, started.id)["undone"] == ["b"]
    complete_named(ctx, started.id, "A")

    detail = views.instance(ctx, started.id)
    assert detail["status"] == "completed"
    assert "undo_b" in detail["completed_activities"]
    assert "undo_a" not in detail["completed_activities"]


def test_a_second_throw_does_not_compensate_the_same_instance_again(ctx: Context) -> None:
    xml = process_xml(
        '<bpmn:startEvent id="inicio"/>' + user_task("a") + handler("a") + throw("primera") + throw("segunda")
        + '<bpmn:endEvent id="fin"/>' + flow("inicio>a", "a>primera", "primera>segunda", "segunda>fin"),
        pid="dos_veces",
    )  # fmt: skip
    deploy_xml(ctx, "dos_veces.bpmn", xml)
    started = instances.start_process(ctx, "dos_veces", data={"undone": []})
    complete_named(ctx, started.id, "A")

    assert views.instance(ctx, started.id)["status"] == "completed"
    assert variables(ctx, started.id)["undone"] == ["a"]


def test_a_user_task_handler_is_in_the_inbox_and_the_throw_waits_for_it(ctx: Context) -> None:
    users.add_user(ctx, "tesorero", groups="tesoreria")
    xml = process_xml(
        '<bpmn:startEvent id="inicio"/>' + user_task("pagar")
        + handler("pagar", kind="user", extra='camunda:candidateGroups="tesoreria"')
        + user_task("revisar") + user_task("aprobar") + user_task("firmar") + throw("compensar", "pagar")
        + '<bpmn:endEvent id="fin" name="Fin"/>'
        + flow("inicio>pagar", "pagar>revisar", "revisar>aprobar", "aprobar>firmar",
               "firmar>compensar", "compensar>fin"),
        pid="pago",
    )  # fmt: skip
    deploy_xml(ctx, "pago.bpmn", xml)
    started = instances.start_process(ctx, "pago")
    complete_named(ctx, started.id, "Pagar")
    complete_named(ctx, started.id, "Revisar")
    complete_named(ctx, started.id, "Aprobar")  # «Pagar» is compacted out of the saved state by now
    complete_named(ctx, started.id, "Firmar")

    tesorero = users.get_user(ctx, "tesorero")
    inbox, _ = views.tasks(ctx, views.task_filter_for(tesorero, candidate_me=True))
    assert [t["bpmn_id"] for t in inbox] == ["undo_pagar"]
    assert views.instance(ctx, started.id)["status"] == "running"  # the throw waits for its handler

    tasks.complete_task(ctx, inbox[0]["id"], "tesorero", {})

    detail = views.instance(ctx, started.id)
    assert detail["status"] == "completed"
    assert open_tasks(ctx, started.id) == []
    assert {"undo_pagar", "compensar", "fin"} <= set(detail["completed_activities"])
    with UnitOfWork(ctx.db, write=False) as uow:
        completions = uow.session.execute(
            select(AuditEvent.actor).where(
                AuditEvent.instance_id == started.id, AuditEvent.action == "task_completed"
            )
        ).all()
    assert [actor for (actor,) in completions] == ["root", "root", "root", "root", "tesorero"]


def test_compensation_of_a_subprocess_s_own_activities_runs_inside_it(ctx: Context) -> None:
    xml = process_xml(
        '<bpmn:startEvent id="inicio"/><bpmn:subProcess id="sub" name="Sub">'
        '<bpmn:startEvent id="sub_inicio"/>' + user_task("a") + handler("a") + throw("compensar")
        + '<bpmn:endEvent id="sub_fin"/>' + flow("sub_inicio>a", "a>compensar", "compensar>sub_fin")
        + "</bpmn:subProcess>" + user_task("despues") + '<bpmn:endEvent id="fin"/>'
        + '<bpmn:sequenceFlow id="g1" sourceRef="inicio" targetRef="sub"/>'
        + '<bpmn:sequenceFlow id="g2" sourceRef="sub" targetRef="despues"/>'
        + '<bpmn:sequenceFlow id="g3" sourceRef="despues" targetRef="fin"/>',
        pid="con_sub",
    )  # fmt: skip
    deploy_xml(ctx, "con_sub.bpmn", xml)
    started = instances.start_process(ctx, "con_sub", data={"undone": []})
    complete_named(ctx, started.id, "A")

    assert task_names(ctx, started.id) == ["Despues"]
    assert variables(ctx, started.id)["undone"] == ["a"]


def test_service_task_handlers_run_one_after_another_with_the_earlier_ones_variables(ctx: Context) -> None:
    ctx.services.register("org.example.Anular", lambda data: {"anulaciones": data.get("anulaciones", 0) + 1})
    service = (
        '<bpmn:serviceTask id="undo_cobrar" name="Anular cobro" isForCompensation="true" '
        'camunda:class="org.example.Anular"/>'
    )
    xml = process_xml(
        '<bpmn:startEvent id="inicio"/>'
        '<bpmn:userTask id="cobrar" name="Cobrar"><bpmn:multiInstanceLoopCharacteristics isSequential="true">'
        "<bpmn:loopCardinality>3</bpmn:loopCardinality></bpmn:multiInstanceLoopCharacteristics></bpmn:userTask>"
        '<bpmn:boundaryEvent id="comp_cobrar" attachedToRef="cobrar"><bpmn:compensateEventDefinition/>'
        f"</bpmn:boundaryEvent>{service}"
        '<bpmn:association id="as_cobrar" sourceRef="comp_cobrar" targetRef="undo_cobrar"/>'
        '<bpmn:endEvent id="fin"><bpmn:compensateEventDefinition/></bpmn:endEvent>'
        + flow("inicio>cobrar", "cobrar>fin"),
        pid="cobros",
    )
    deploy_xml(ctx, "cobros.bpmn", xml)
    started = instances.start_process(ctx, "cobros")
    for _ in range(3):
        complete_named(ctx, started.id, "Cobrar")

    assert views.instance(ctx, started.id)["status"] == "completed"
    assert variables(ctx, started.id)["anulaciones"] == 3
