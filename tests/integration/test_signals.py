"""Signals broadcast by name across instances, as Camunda 7's SignalEventTest and SignalEventTests assert
(issue 13 §6). The models are Camunda's own, in the corpus (tests/data/camunda/corpus)."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from engine.context import Context
from engine.errors import BadInput, Forbidden
from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.store.event_tables import SignalWait
from engine.store.instances import load_instance
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, signals, tasks, views
from engine.workflow.runs import load_run
from tests.helpers import deploy_xml, open_tasks, process_xml

CORPUS = Path(__file__).parents[1] / "data" / "camunda" / "corpus"


def deploy(ctx: Context, *stems: str) -> None:
    files = [SourceFile(f"{s}.bpmn", (CORPUS / f"{s}.bpmn").read_bytes()) for s in stems]
    outcome = deployments.deploy(ctx, files)
    assert outcome.report.ok, outcome.report.format()


def status(ctx: Context, instance_id: int) -> str:
    return str(views.instance(ctx, instance_id)["status"])


def task_ids(ctx: Context, instance_id: int) -> list[str]:
    return sorted(t["bpmn_id"] for t in open_tasks(ctx, instance_id))


def subscriptions(ctx: Context) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return int(uow.session.scalar(select(func.count()).select_from(SignalWait)) or 0)


@pytest.fixture(autouse=True)
def root(ctx: Context) -> None:
    users.add_user(ctx, "root", roles="admin")


def test_a_thrown_signal_reaches_every_waiting_instance(ctx: Context) -> None:
    # SignalEventTests.testSignalCatchIntermediate: two catching instances, one throw ends both
    deploy(ctx, "SignalEventTests.catchAlertSignal", "SignalEventTests.throwAlertSignal")
    first = instances.start_process(ctx, "catchSignal")
    second = instances.start_process(ctx, "catchSignal")
    assert subscriptions(ctx) == 2
    thrower = instances.start_process(ctx, "throwSignal")
    assert [status(ctx, i) for i in (first.id, second.id, thrower.id)] == ["completed"] * 3
    assert subscriptions(ctx) == 0


def test_a_signal_end_event_broadcasts_when_its_instance_ends(ctx: Context) -> None:
    # SignalEndEventTest.testCatchSignalEndEvent
    deploy(ctx, "SignalEndEventTest.catchSignalEndEvent", "SignalEndEventTest.processWithSignalEndEvent")
    catcher = instances.start_process(ctx, "catchSignalEndEvent")
    assert task_ids(ctx, catcher.id) == []
    instances.start_process(ctx, "processWithSignalEndEvent")
    assert task_ids(ctx, catcher.id) == ["taskAfterSignalCatch"]


def test_a_boundary_signal_interrupts_its_task_and_another_waits_on(ctx: Context) -> None:
    # SignalEventTests.testSignalCatchDifferentSignals: 'abort' moves on past the intermediate catch,
    # 'alert' (the boundary on «task») ends the instance
    deploy(ctx, "SignalEventTests.catchMultipleSignals", "SignalEventTests.throwAbortSignal")
    started = instances.start_process(ctx, "catchSignal")
    assert task_ids(ctx, started.id) == ["task"]
    instances.start_process(ctx, "throwAbort")
    assert task_ids(ctx, started.id) == ["task", "taskAfterAbort"]
    signals.send_signal(ctx, "alert", actor="root")
    assert task_ids(ctx, started.id) == ["taskAfterAbort"]
    task = open_tasks(ctx, started.id)[0]
    tasks.complete_task(ctx, task["id"], "root", {})
    assert status(ctx, started.id) == "completed"


def test_a_non_interrupting_boundary_signal_keeps_the_task(ctx: Context) -> None:
    # SignalEventTest.testNonInterruptingSignal
    deploy(ctx, "SignalEventTest.testNonInterruptingSignal")
    started = instances.start_process(ctx, "nonInterruptingSignalEvent")
    outcome = signals.send_signal(ctx, "alert", actor="root")
    assert outcome.delivered == [started.id] and outcome.started == []
    assert task_ids(ctx, started.id) == ["theUserTask", "theUserTask2"]


def test_a_signal_start_event_starts_the_latest_version(ctx: Context) -> None:
    # SignalEventTest.testSignalStartEvent: a broadcast starts one instance per process with that start
    deploy(ctx, "SignalEventTest.signalStartEvent")
    outcome = signals.send_signal(ctx, "alert", actor="root")
    assert len(outcome.started) == 1
    assert task_ids(ctx, outcome.started[0]) == ["task"]
    assert signals.broadcast_signal(ctx, "alert") == 1  # another one each time
    assert signals.broadcast_signal(ctx, "otra") == 0  # reaching nobody is not an error


def test_an_api_signal_carries_its_variables(ctx: Context) -> None:
    deploy(ctx, "SignalEventTest.signalStartEvent")
    outcome = signals.send_signal(ctx, "alert", payload={"motivo": "corte"}, actor="root")
    with UnitOfWork(ctx.db, write=False) as uow:
        ref = load_instance(uow.session, outcome.started[0])
        assert ref is not None
        assert load_run(ctx, uow.session, ref).data()["motivo"] == "corte"


def test_a_signal_boundary_on_a_subprocess_interrupts_it(ctx: Context) -> None:
    # SignalEventTest.testSignalBoundaryOnSubProcess
    deploy(ctx, "SignalEventTest.testSignalBoundaryOnSubProcess")
    started = instances.start_process(ctx, "signalEventOnSubprocess")
    signals.send_signal(ctx, "stopSignal", actor="root")
    assert status(ctx, started.id) == "completed"


def test_an_event_subprocess_started_by_a_signal(ctx: Context) -> None:
    xml = process_xml(
        """
    <bpmn:startEvent id="inicio"/>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="atender"/>
    <bpmn:userTask id="atender" name="Atender"/>
    <bpmn:sequenceFlow id="f2" sourceRef="atender" targetRef="fin"/>
    <bpmn:endEvent id="fin"/>
    <bpmn:subProcess id="alerta" triggeredByEvent="true">
      <bpmn:startEvent id="alertaInicio" isInterrupting="false">
        <bpmn:signalEventDefinition signalRef="s_alerta"/>
      </bpmn:startEvent>
      <bpmn:sequenceFlow id="f3" sourceRef="alertaInicio" targetRef="revisar"/>
      <bpmn:userTask id="revisar" name="Revisar alerta"/>
      <bpmn:sequenceFlow id="f4" sourceRef="revisar" targetRef="alertaFin"/>
      <bpmn:endEvent id="alertaFin"/>
    </bpmn:subProcess>""",
        pid="con_alerta",
    ).replace("</bpmn:definitions>", '<bpmn:signal id="s_alerta" name="alerta"/></bpmn:definitions>')
    deploy_xml(ctx, "con_alerta.bpmn", xml)
    started = instances.start_process(ctx, "con_alerta")
    signals.send_signal(ctx, "alerta", actor="root")
    signals.send_signal(ctx, "alerta", actor="root")  # non-interrupting: once per signal
    assert task_ids(ctx, started.id) == ["atender", "revisar", "revisar"]


def test_only_admins_and_the_mensajes_role_broadcast(ctx: Context) -> None:
    deploy(ctx, "SignalEventTests.catchAlertSignal")
    started = instances.start_process(ctx, "catchSignal", actor="ana")
    users.add_user(ctx, "ana", roles="funcionario")
    users.add_user(ctx, "integracion", roles="mensajes")
    with pytest.raises(Forbidden):
        signals.send_signal(ctx, "alert", user=users.get_user(ctx, "ana"))
    assert status(ctx, started.id) == "running"
    signals.send_signal(ctx, "alert", user=users.get_user(ctx, "integracion"))
    assert status(ctx, started.id) == "completed"


@pytest.mark.parametrize("name", ["", "   ", "x" * 300])
def test_a_bad_signal_name_is_refused(ctx: Context, name: str) -> None:
    with pytest.raises(BadInput):
        signals.send_signal(ctx, name)


def test_phva_signal_broadcasts_from_the_command_line(ctx: Context) -> None:
    from click.testing import CliRunner

    from web.cli import cli

    deploy(ctx, "SignalEventTests.catchAlertSignal")
    started = instances.start_process(ctx, "catchSignal")
    env = {
        "PHVA_DATABASE_URL": ctx.settings.database_url,
        "PHVA_INSTANCE_DIR": str(ctx.settings.instance_dir),
    }
    runner = CliRunner()
    done = runner.invoke(cli, ["signal", "alert", "--data", '{"motivo": "x"}', "--json"], env=env)
    assert done.exit_code == 0, done.output
    assert f'"delivered_to": [\n    {started.id}\n  ]' in done.output
    assert status(ctx, started.id) == "completed"
    bad = runner.invoke(cli, ["signal", "alert", "--data", "[1"], env=env)
    assert bad.exit_code == 2 and "--data" in bad.output
