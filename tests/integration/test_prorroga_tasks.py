"""Issue 11: a prórroga (art. 14 par.) moves the due date of the case's open tasks with its term, and their
escalation ladders are measured against the new date — the supervisor is not warned at the old one."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.pqrsd import radicacion
from engine.pqrsd.radicacion import radicar_pqrsd
from engine.store.notification_tables import Notification
from engine.store.uow import UnitOfWork
from engine.workflow import tasks
from tests.helpers import accepts, deploy_xml, process_xml, task_named
from tests.integration.test_ladder_firing import at, run, steps

# The answer runs beside a branch that asks for the prórroga and applies it through the case's service task.
MODEL = process_xml(
    f"""
    <bpmn:startEvent id="Radicada"/>
    <bpmn:parallelGateway id="Split"/>
    <bpmn:userTask id="Responder" name="Responder" camunda:candidateGroups="atencion_ciudadano">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="escalamiento" value="50%:avisar_responsable; 100%:avisar_supervisor"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:userTask id="Pedir" name="Pedir la prórroga" camunda:candidateGroups="atencion_ciudadano">
      {accepts("motivo_prorroga", "nueva_fecha_respuesta")}
    </bpmn:userTask>
    <bpmn:serviceTask id="Aplicar" name="Aplicar la prórroga" camunda:type="external" camunda:topic="pqrsd_prorrogar"/>
    <bpmn:endEvent id="Respondida"/>
    <bpmn:endEvent id="Prorrogada"/>
    {"".join(f'<bpmn:sequenceFlow id="s{i}" sourceRef="{a}" targetRef="{b}"/>' for i, (a, b) in enumerate([
        ("Radicada", "Split"), ("Split", "Responder"), ("Split", "Pedir"), ("Responder", "Respondida"),
        ("Pedir", "Aplicar"), ("Aplicar", "Prorrogada")]))}
    """,
    pid="pqrsd",
    name="PQRSD con prórroga",
)  # fmt: skip
OLD_DUE = at("2026-03-24T23:59:59")  # 15 business days from Monday 2 March (23 March is San José)
NEW_DUE = at("2026-04-14T23:59:59")  # asked for; the legal maximum is 16 April


def _supervisor_warnings(ctx: Context) -> list[str]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list(
            uow.session.scalars(
                select(Notification.subject).where(
                    Notification.recipient == "sofia", Notification.event == "escalamiento"
                )
            )
        )


def test_a_prorroga_moves_the_open_tasks_due_date_and_their_ladder_to_the_new_term(
    ctx: Context, clock: FrozenClock
) -> None:
    users.add_user(ctx, "ana", groups="atencion_ciudadano")
    users.add_user(ctx, "sofia", groups="atencion_ciudadano", roles="supervisor")
    deploy_xml(ctx, "pqrsd.bpmn", MODEL)
    case = radicar_pqrsd(ctx, "peticion_general", clock.now(), actor="ana")
    instance_id = int(case["instance_id"])
    answer = task_named(ctx, instance_id, "Responder")
    assert datetime.fromisoformat(str(answer["due_at"])) == OLD_DUE
    run(ctx)
    before = {s.when_text: s.fire_at for s in steps(ctx)}
    assert before["100%"] == OLD_DUE

    clock.set(at("2026-03-16T09:00:00"))  # before the term runs out, as the law asks
    ask = task_named(ctx, instance_id, "Pedir la prórroga")
    tasks.complete_task(ctx, int(ask["id"]), "ana", {"motivo_prorroga": "Se espera el concepto de jurídica",
                                                      "nueva_fecha_respuesta": "2026-04-14"})  # fmt: skip

    assert radicacion.consultar(ctx, str(case["radicado"]))["due_at"] == "2026-04-14T23:59:59-05:00"
    answer = task_named(ctx, instance_id, "Responder")
    assert datetime.fromisoformat(str(answer["due_at"])) == NEW_DUE
    assert {s.status for s in steps(ctx, task_id=answer["id"]) if s.status != "fired"} == {"pending"}
    run(ctx)
    after = {s.when_text: s.fire_at for s in steps(ctx, task_id=answer["id"])}
    assert after["100%"] == NEW_DUE and after["50%"] > before["50%"]

    clock.set(OLD_DUE + timedelta(hours=1))  # the old due date passes: nobody is warned
    run(ctx)
    assert [w for w in _supervisor_warnings(ctx) if "50 %" not in w] == []
    clock.set(NEW_DUE + timedelta(minutes=1))
    run(ctx)
    [warning] = [w for w in _supervisor_warnings(ctx) if "50 %" not in w]
    assert "«Responder»" in warning
