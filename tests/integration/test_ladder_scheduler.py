"""Escalation ladders through the real scheduler: exactly once with two schedulers at the same time, every
step's notice delivered once to a real SMTP server with the 100 % step reassigning, a calendar closure moving
the steps of a PQRSD's task, and what arming costs the save that creates a task."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.pqrsd import recalculation
from engine.pqrsd.radicacion import radicar_pqrsd
from engine.scheduler import TimerScheduler
from engine.store.ladder_tables import LadderStep
from engine.store.notification_tables import Notification
from engine.store.tables import AuditEvent, Task
from engine.store.uow import UnitOfWork
from engine.workflow import instances, ladders
from tests.conftest import build_context
from tests.helpers import deploy_files, deploy_xml, task_named
from tests.integration.test_ladder_firing import CREATED, DUE, EXPECTED, at, calendar_for, steps
from tests.smtp_server import Server
from tests.sql_count import counting

ADDRESSES = {
    "ana": "ana@alcaldia.example.gov.co",
    "beto": "beto@alcaldia.example.gov.co",
    "sofia": "sofia@alcaldia.example.gov.co",
    "jefa": "jefa@alcaldia.example.gov.co",
}


def _staff(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="atencion_ciudadano", email=ADDRESSES["ana"])
    users.add_user(ctx, "beto", groups="atencion_ciudadano", email=ADDRESSES["beto"])
    users.add_user(ctx, "sofia", groups="atencion_ciudadano", roles="supervisor", email=ADDRESSES["sofia"])
    users.add_user(ctx, "jefa", groups="supervision", roles="supervisor", email=ADDRESSES["jefa"])


def _count(ctx: Context, query: object) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return int(uow.session.scalar(query) or 0)  # type: ignore[call-overload]


def test_two_schedulers_at_once_fire_every_step_exactly_once(
    ctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    _staff(ctx)
    clock.set(CREATED)
    deploy_files(ctx, "ladder_respuesta.bpmn")
    started = [instances.start_process(ctx, "respuesta_escalada", data={"vence": DUE}).id for _ in range(25)]
    assert ladders.run_round(ctx, calendar_for(ctx)).scheduled == len(started) * 4  # moments known, none due
    clock.set(datetime(2026, 4, 6, 15, 0, tzinfo=UTC))  # every step of every task is due
    other = build_context(ctx.db.url, tmp_path / "segundo", clock)
    barrier = threading.Barrier(2)
    reports: dict[str, ladders.LadderReport] = {}
    errors: list[BaseException] = []

    def scheduler(name: str, context: Context) -> None:
        try:
            barrier.wait()
            reports[name] = ladders.run_round(context, calendar_for(context), worker=name, limit=1000)
        except BaseException as error:  # reported by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=scheduler, args=(n, c)) for n, c in (("uno", ctx), ("dos", other))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    other.db.dispose()
    assert errors == []
    total = len(started) * 4
    assert reports["uno"].fired + reports["dos"].fired == total  # a step fired twice would count twice
    assert reports["uno"].failed + reports["dos"].failed == 0
    assert {s.status for s in steps(ctx)} == {"fired"}
    assert _count(ctx, select(func.count()).where(AuditEvent.action == "escalamiento")) == total
    # each step's notice reached its people once: 3 for the dependencia, 1 supervisor, 1 jefe (+ the reassignment)
    per_step = _count(
        ctx, select(func.count()).select_from(Notification).where(Notification.event == "escalamiento")
    )
    assert per_step == len(started) * (3 + 1 + 1)
    assert _count(ctx, select(func.count()).where(Task.assignee == "sofia", Task.state == "ready")) == len(
        started
    )


def test_every_step_reaches_the_smtp_server_once_and_the_100_percent_step_reassigns(
    ctx: Context, clock: FrozenClock, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    ctx.mail = server.settings
    ctx.settings = replace(ctx.settings, base_url="https://phva.alcaldia.example.gov.co")
    _staff(ctx)
    clock.set(CREATED)
    deploy_files(ctx, "ladder_respuesta.bpmn")
    instance_id = instances.start_process(ctx, "respuesta_escalada", data={"vence": DUE}).id
    task_id = task_named(ctx, instance_id, "Responder la solicitud")["id"]
    scheduler = TimerScheduler(ctx, worker="programador de prueba")

    def round_at(moment: datetime) -> list[tuple[list[str], str, str]]:
        """What the round delivered, but the daily digest (its own feature, due on the same mornings)."""
        clock.set(moment)
        before = len(server.inbox.received)
        scheduler.run_once()
        return [
            (sorted(envelope.rcpt_tos), str(message["Subject"]), message.get_body(("plain",)).get_content())
            for envelope, message in server.inbox.received[before:]
            if not str(message["Subject"]).startswith("Resumen diario")
        ]

    assert round_at(EXPECTED["50%"] - timedelta(seconds=1)) == []
    first = round_at(EXPECTED["50%"])
    assert sorted(to for tos, _, _ in first for to in tos) == sorted(
        ADDRESSES[u] for u in ("ana", "beto", "sofia")
    )
    assert {subject for _, subject, _ in first} == {
        "Escalamiento: «Responder la solicitud» al 50 % de su término"
    }
    body = first[0][2]
    assert "ya usó el 50 % de su término; vence el viernes 27 de marzo de 2026" in body
    assert f"https://phva.alcaldia.example.gov.co/tareas/{task_id}" in body
    [(to, subject, _)] = round_at(EXPECTED["2/3"])
    assert (to, subject) == (
        [ADDRESSES["sofia"]],
        "Escalamiento: «Responder la solicitud» al 2/3 de su término",
    )
    [(to, subject, body)] = round_at(EXPECTED["100%"])
    assert (to, subject) == ([ADDRESSES["sofia"]], "Tarea asignada: Responder la solicitud")
    assert (
        "escalamiento automático «100%:reasignar_supervisor»: la tarea venció el viernes 27 de marzo" in body
    )
    assert task_named(ctx, instance_id, "Responder la solicitud")["assignee"] == "sofia"
    [(to, subject, body)] = round_at(EXPECTED["100%+2d"])
    assert (to, subject) == (
        [ADDRESSES["jefa"]],
        "Escalamiento: «Responder la solicitud» vencida hace 2 días hábiles",
    )
    assert "Responsable: sofia" in body
    assert round_at(EXPECTED["100%+2d"] + timedelta(days=3)) == []  # nothing twice


PQRSD_WITH_LADDER = """<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn" id="Defs_pqrsd" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="pqrsd" name="PQRSD con escalamiento" isExecutable="true">
    <bpmn:startEvent id="Radicada" name="Radicada"/>
    <bpmn:userTask id="Responder" name="Responder" camunda:candidateGroups="atencion_ciudadano">
      <bpmn:extensionElements><camunda:properties>
        <camunda:property name="escalamiento" value="50%:avisar_responsable; 100%:avisar_supervisor"/>
      </camunda:properties></bpmn:extensionElements>
    </bpmn:userTask>
    <bpmn:endEvent id="Fin" name="Fin"/>
    <bpmn:sequenceFlow id="f1" sourceRef="Radicada" targetRef="Responder"/>
    <bpmn:sequenceFlow id="f2" sourceRef="Responder" targetRef="Fin"/>
  </bpmn:process>
</bpmn:definitions>"""


def test_a_calendar_closure_moves_the_steps_of_a_pqrsd_task_with_its_legal_due_date(
    ctx: Context, clock: FrozenClock
) -> None:
    _staff(ctx)
    deploy_xml(ctx, "pqrsd.bpmn", PQRSD_WITH_LADDER)
    case = radicar_pqrsd(ctx, "peticion_general", clock.now(), actor="ana")  # 15 business days from 2 March
    [task] = [t for t in _ready(ctx) if t.name == "Responder"]
    assert task.due_at == at("2026-03-24T23:59:59")  # the case's legal due date (23 March is San José)
    ladders.run_round(ctx, calendar_for(ctx))
    before = {s.when_text: s.fire_at for s in steps(ctx)}
    assert before["100%"] == task.due_at
    recalculation.close_day(ctx, date(2026, 3, 10), reason="Jornada de inventario", actor="ana")
    [task] = [t for t in _ready(ctx) if t.name == "Responder"]
    assert task.due_at == at("2026-03-25T23:59:59")  # one business day later, as the case
    assert {s.status for s in steps(ctx)} == {"pending"}
    ladders.run_round(ctx, calendar_for(ctx))
    after = {s.when_text: s.fire_at for s in steps(ctx)}
    assert after["100%"] == task.due_at
    assert after["50%"] > before["50%"]
    assert case["due_at"] == "2026-03-24T23:59:59-05:00"  # the case as filed; the closure moved it a day


def _ready(ctx: Context) -> list[Task]:
    with UnitOfWork(ctx.db, write=False) as uow:
        found = list(uow.session.scalars(select(Task).where(Task.state == "ready")))
        uow.session.expunge_all()
    return found


@pytest.mark.parametrize("with_ladder", [False, True])
def test_arming_costs_the_save_one_update_and_one_multi_row_insert(
    sqlite_ctx: Context, clock: FrozenClock, with_ladder: bool
) -> None:
    ctx = sqlite_ctx
    xml = (Path(__file__).parents[1] / "data" / "ladder_respuesta.bpmn").read_text()
    if not with_ladder:
        xml = xml.replace('name="escalamiento"', 'name="otra_propiedad"')
    deploy_xml(ctx, "ladder_respuesta.bpmn", xml)
    instances.start_process(ctx, "respuesta_escalada", data={"vence": DUE})  # warms the caches
    with counting(ctx.db) as count:
        instances.start_process(ctx, "respuesta_escalada", data={"vence": DUE})
    ladder_statements = [s for s in count.statements if "ladder_steps" in s]
    if with_ladder:
        assert [s.split()[0] for s in ladder_statements] == ["UPDATE", "INSERT"], count
        assert _count(ctx, select(func.count()).select_from(LadderStep)) == 8
    else:
        assert ladder_statements == [], count
