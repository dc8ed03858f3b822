"""Durable timers fired by the scheduler's use cases, with a frozen clock, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from engine.bootstrap import create_context
from engine.cli.base import cli
from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.legal.calendar import BusinessCalendar
from engine.legal.expressions import expression_functions
from engine.legal.terms import seed_term_table
from engine.notifications.inbox import notification_page
from engine.runtime import timer_events
from engine.runtime.workflow import ProcessRun
from engine.scheduler import TimerScheduler
from engine.store.instances import load_instance
from engine.store.tables import AuditEvent, Timer
from engine.store.uow import UnitOfWork
from engine.workflow import incidents, instances, start_timers, tasks, timers, views
from engine.workflow.runs import load_run, save_run
from tests.helpers import deploy_files, task_named, task_names


def fire(ctx: Context, **kwargs: Any) -> timers.FiringReport:
    return timers.fire_due_timers(ctx, worker="prueba", **kwargs)


def timer_rows(ctx: Context, **where: Any) -> list[Timer]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(Timer).order_by(Timer.id)
        for column, value in where.items():
            query = query.where(getattr(Timer, column) == value)
        return detached(uow, uow.session.scalars(query))


def audits(ctx: Context, action: str) -> list[AuditEvent]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return detached(
            uow,
            uow.session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            ),
        )


def detached(uow: UnitOfWork, rows: Any) -> list[Any]:
    found = list(rows)
    uow.session.expunge_all()  # readable after the unit of work rolls back and closes
    return found


@pytest.fixture
def escalation(ctx: Context) -> int:
    deploy_files(ctx, "timers_escalation.bpmn")
    return instances.start_process(ctx, "escalamiento").id


# ---- firing -----------------------------------------------------------------------------------
def test_non_interrupting_boundary_timer_fires_once_after_due_and_is_audited(
    ctx: Context, escalation: int, clock: FrozenClock
) -> None:
    clock.advance(seconds=3)
    assert fire(ctx).fired == 0  # due exactly now: not yet passed
    clock.advance(milliseconds=10)
    report = fire(ctx)
    assert (report.fired, report.instances) == (1, 1)
    assert task_names(ctx, escalation) == ["Atender solicitud", "Escalar al supervisor"]
    [fired] = timer_rows(ctx, bpmn_id="Recordar")
    assert (fired.status, fired.fired_at) == ("fired", clock.now())
    [event] = audits(ctx, "timer_fired")
    assert (event.instance_id, event.actor) == (escalation, "prueba")
    assert "3 segundos sin atender" in event.summary
    clock.advance(hours=1)
    assert fire(ctx).fired == 0
    assert [t["activity"] for t in views.timers(ctx)] == ["Vencer"]


def test_interrupting_boundary_timer_cancels_its_task(
    ctx: Context, escalation: int, clock: FrozenClock
) -> None:
    clock.advance(days=1, seconds=1)
    assert fire(ctx).fired == 2  # both came due while nobody fired them: each once
    assert task_names(ctx, escalation) == ["Escalar al supervisor"]
    assert [(t.bpmn_id, t.status) for t in timer_rows(ctx)] == [("Recordar", "fired"), ("Vencer", "fired")]


def test_completing_the_task_first_cancels_its_timers(
    ctx: Context, escalation: int, clock: FrozenClock
) -> None:
    users.add_user(ctx, "root", roles="admin")
    tasks.complete_task(ctx, task_named(ctx, escalation, "Atender solicitud")["id"], "root", {})
    assert {t.status for t in timer_rows(ctx)} == {"cancelled"}
    clock.advance(days=2)
    assert fire(ctx).fired == 0


def test_catch_up_fires_every_overdue_timer_once_in_due_order(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_bulk.bpmn")
    start = clock.now()
    offsets = [50, 10, 30, 20, 40]
    ids = {
        instances.start_process(ctx, "lote", data={"vence": (start + timedelta(minutes=m)).isoformat()}).id: m
        for m in offsets
    }
    clock.advance(hours=2)  # everything was stopped past every due time
    report = fire(ctx)
    assert report.fired == 5
    assert [ids[e.instance_id] for e in audits(ctx, "timer_fired")] == sorted(offsets)
    assert report.lateness == sorted(((120 - m) * 60.0 for m in offsets), reverse=True)
    assert fire(ctx).fired == 0
    assert all(task_names(ctx, i) == ["Revisar"] for i in ids)


def test_batches_stop_at_the_limit_and_the_next_batch_goes_on(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_bulk.bpmn")
    for _ in range(5):
        instances.start_process(ctx, "lote", data={"vence": clock.now().isoformat()})
    clock.advance(seconds=1)
    assert [fire(ctx, limit=2).fired for _ in range(4)] == [2, 2, 1, 0]


def test_cycle_fires_each_occurrence_and_missed_ones_only_once(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_cycle.bpmn")
    started = instances.start_process(ctx, "recordatorios").id
    [first] = views.timers(ctx)
    assert (first["timer_type"], first["due_at"]) == (
        "cycle",
        (clock.now() + timedelta(minutes=10)).isoformat(),
    )
    clock.advance(minutes=11)
    assert fire(ctx).fired == 1
    [second] = views.timers(ctx)
    assert second["due_at"] == (clock.now() + timedelta(minutes=9)).isoformat()
    clock.advance(minutes=25)  # the 20' and 30' occurrences were missed while stopped
    assert fire(ctx).fired == 1
    assert task_names(ctx, started).count("Recordatorio") == 2
    assert views.timers(ctx) == []  # R3: the missed occurrence counts as spent


def test_timers_command_lists_overdue_timers_as_json(
    ctx: Context, escalation: int, clock: FrozenClock
) -> None:
    runner = CliRunner()
    listed = json.loads(runner.invoke(cli, ["timers", "--json"], obj=ctx).output)
    assert [(t["instance_id"], t["activity"], t["kind"]) for t in listed] == [
        (escalation, "Recordar", "boundary"),
        (escalation, "Vencer", "boundary"),
    ]
    clock.advance(seconds=5)
    overdue = json.loads(runner.invoke(cli, ["timers", "--overdue", "--json"], obj=ctx).output)
    assert [t["activity"] for t in overdue] == ["Recordar"]
    text = runner.invoke(cli, ["timers", "--overdue"], obj=ctx).output
    assert f"proceso {escalation}  Recordar  boundary  vence 2026-03-02T13:00:03+00:00" in text


# ---- event-based gateway (SpiffWorkflow #419) ---------------------------------------------------
def gateway_branch(ctx: Context, clock: FrozenClock, wait: timedelta) -> list[str]:
    started = instances.start_process(ctx, "espera_respuesta").id
    clock.advance(wait)
    fire(ctx)
    return task_names(ctx, started)


def advance_directly(ctx: Context, instance_id: int) -> None:
    with UnitOfWork(ctx.db) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        run = load_run(ctx, uow.session, ref)
        save_run(ctx, uow.session, ref, run, incident=run.advance(ctx.clock, ctx.services))
        uow.commit()


def test_upstream_gateway_bug_shares_one_due_time_between_both_timers(
    ctx: Context, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(MultipleEventDefinition, "has_fired", timer_events._stock_has_fired)
    deploy_files(ctx, "timers_gateway.bpmn")
    started = instances.start_process(ctx, "espera_respuesta").id
    assert views.timers(ctx) == []  # no due time per timer: nothing a scheduler could wake for
    # Stock SpiffWorkflow: the two-hour timer, evaluated first, sets the one-hour timer's due time too.
    clock.advance(hours=1, minutes=1)
    advance_directly(ctx, started)
    assert task_names(ctx, started) == []
    clock.advance(hours=1)
    advance_directly(ctx, started)
    assert task_names(ctx, started) == ["Cerrar caso"]  # the wrong branch, an hour late


def test_gateway_timers_each_keep_their_due_time_and_the_first_due_wins(
    ctx: Context, clock: FrozenClock
) -> None:
    deploy_files(ctx, "timers_gateway.bpmn")
    started = instances.start_process(ctx, "espera_respuesta").id
    due = {t["activity"]: t["due_at"] for t in views.timers(ctx)}
    assert due == {
        "UnaHora": (clock.now() + timedelta(hours=1)).isoformat(),
        "DosHoras": (clock.now() + timedelta(hours=2)).isoformat(),
    }
    assert {t["kind"] for t in views.timers(ctx)} == {"event_gateway"}
    clock.advance(hours=1, seconds=1)
    assert fire(ctx).fired == 1
    assert task_names(ctx, started) == ["Enviar recordatorio"]
    assert {t.bpmn_id: t.status for t in timer_rows(ctx)} == {"UnaHora": "fired", "DosHoras": "cancelled"}
    clock.advance(hours=2)
    assert fire(ctx).fired == 0


def test_gateway_with_both_timers_overdue_takes_only_the_earliest(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_gateway.bpmn")
    assert gateway_branch(ctx, clock, timedelta(hours=3)) == ["Enviar recordatorio"]
    assert {t.bpmn_id: t.status for t in timer_rows(ctx)} == {"UnaHora": "fired", "DosHoras": "cancelled"}
    assert len(audits(ctx, "timer_fired")) == 1


# ---- timer start events ---------------------------------------------------------------------
def test_timer_start_cycle_starts_one_instance_per_occurrence(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_start_cycle.bpmn")  # the deployment itself creates the start-timer row
    assert start_timers.sync_start_timers(ctx) == 0  # idempotent: several schedulers may sync
    [row] = views.timers(ctx)
    assert (row["instance_id"], row["kind"], row["activity"]) == (None, "start", "Programado")
    assert row["due_at"] == (clock.now() + timedelta(hours=1)).isoformat()
    clock.advance(hours=1, seconds=1)
    report = fire(ctx)
    assert (report.started, report.fired) == (1, 1)
    [instance] = views.instances(ctx, process_key="informe_periodico")
    assert task_names(ctx, instance["id"]) == ["Preparar informe"]
    [following] = views.timers(ctx)
    assert following["due_at"] == (clock.now() + timedelta(hours=1, seconds=-1)).isoformat()
    clock.advance(hours=5)  # two occurrences left, both missed: one start, then the cycle is spent
    assert fire(ctx).started == 1
    assert views.timers(ctx) == []
    assert len(views.instances(ctx, process_key="informe_periodico")) == 2


def test_timer_start_date_fires_once(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_start_date.bpmn")
    start_timers.sync_start_timers(ctx)
    [row] = views.timers(ctx)
    assert row["due_at"] == "2026-03-02T15:00:00+00:00"
    clock.set(datetime(2026, 3, 2, 15, 0, 1, tzinfo=UTC))
    assert fire(ctx).started == 1
    start_timers.sync_start_timers(ctx)
    clock.advance(days=30)
    assert fire(ctx).started == 0
    assert len(views.instances(ctx, process_key="informe_mensual")) == 1


def test_a_new_version_replaces_the_old_versions_start_timers(ctx: Context, clock: FrozenClock) -> None:
    deploy_files(ctx, "timers_start_cycle.bpmn")
    start_timers.sync_start_timers(ctx)
    from tests.helpers import DATA, deploy_xml

    xml = (DATA / "timers_start_cycle.bpmn").read_text().replace("R3/PT1H", "R/PT2H")
    deploy_xml(ctx, "timers_start_cycle.bpmn", xml)  # cancels v1's row and adds v2's in the same transaction
    assert start_timers.sync_start_timers(ctx) == 0
    assert [(t.definition_id, t.status) for t in timer_rows(ctx)] == [(1, "cancelled"), (2, "waiting")]
    [row] = views.timers(ctx)
    assert row["due_at"] == (clock.now() + timedelta(hours=2)).isoformat()


# ---- failures -----------------------------------------------------------------------------------
@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Make the next N firings raise (N is the list's only element)."""
    remaining = [0]
    stock = ProcessRun.advance

    def advance(self: ProcessRun, *args: Any, **kwargs: Any) -> Any:
        if remaining[0] > 0:
            remaining[0] -= 1
            raise ConnectionError("servicio de correo caído")
        return stock(self, *args, **kwargs)

    monkeypatch.setattr(ProcessRun, "advance", advance)
    yield remaining


def test_a_failed_firing_is_retried_with_backoff(
    ctx: Context, escalation: int, clock: FrozenClock, failing: list[int]
) -> None:
    failing[0] = 2
    clock.advance(seconds=4)
    assert fire(ctx).failed == 1
    [row] = timer_rows(ctx, bpmn_id="Recordar")
    assert (row.attempts, row.retry_at, row.status) == (1, clock.now() + timedelta(seconds=5), "waiting")
    assert "servicio de correo caído" in (row.last_error or "")
    assert fire(ctx).failed == 0  # backing off
    assert timers.next_due(ctx) == clock.now() + timedelta(seconds=5)
    clock.advance(seconds=5)
    assert fire(ctx).failed == 1
    clock.advance(seconds=10)  # the backoff doubles
    report = fire(ctx)
    assert (report.failed, report.fired) == (0, 1)
    assert task_names(ctx, escalation) == ["Atender solicitud", "Escalar al supervisor"]
    assert views.incidents(ctx) == []


def test_after_three_failures_an_incident_is_listed_and_retrying_it_fires_the_timer(
    ctx: Context, escalation: int, clock: FrozenClock, failing: list[int]
) -> None:
    failing[0] = 3
    users.add_user(ctx, "root", roles="admin")
    clock.advance(seconds=4)
    for wait in (0, 5, 10):
        clock.advance(seconds=wait)
        assert fire(ctx).failed == 1
    clock.advance(hours=1)
    assert fire(ctx).failed == 0  # out of attempts: the scheduler leaves it to a person
    runner = CliRunner()
    [incident] = json.loads(runner.invoke(cli, ["incidents", "--json"], obj=ctx).output)
    assert (incident["instance_id"], incident["activity"], incident["kind"]) == (
        escalation,
        "Recordar",
        "timer",
    )
    assert "falló 3 veces" in incident["message"] and "servicio de correo caído" in incident["message"]
    [notice] = [n for n in notification_page(ctx, "root").items if n.subject.startswith("Incidente")]
    assert "falló 3 veces" in notice.body and notice.link == f"/procesos/{escalation}"
    assert views.instance(ctx, escalation)["status"] == "running"  # the rest of the instance keeps working
    done = runner.invoke(cli, ["incidents", "retry", str(incident["id"])], obj=ctx)
    assert done.exit_code == 0, done.output
    assert task_names(ctx, escalation) == ["Atender solicitud", "Escalar al supervisor"]
    assert views.incidents(ctx) == []
    assert [t.status for t in timer_rows(ctx, bpmn_id="Recordar")] == ["fired"]


class ProcessDied(BaseException):
    """What a killed scheduler looks like from inside: the firing never returns to record anything."""


def test_a_firing_that_never_returns_counts_and_ends_as_an_incident_after_its_attempts(
    ctx: Context, escalation: int, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15 finding 1: the attempt is committed before the firing, so a crash cannot leave it at 0."""
    users.add_user(ctx, "root", roles="admin")
    deploy_files(ctx, "timers_escalation.bpmn")
    other = instances.start_process(ctx, "escalamiento").id
    clock.advance(seconds=4)
    stock = ProcessRun.advance

    def dies_on_first(self: ProcessRun, *args: Any, **kwargs: Any) -> Any:
        if self.workflow is not None and load_instance_id(ctx, self) == escalation:
            raise ProcessDied
        return stock(self, *args, **kwargs)

    monkeypatch.setattr(ProcessRun, "advance", dies_on_first)
    policy = timers.RetryPolicy(max_attempts=3, lease_seconds=30)
    for attempt in (1, 2, 3):
        with pytest.raises(ProcessDied):
            fire(ctx, policy=policy)
        [row] = timer_rows(ctx, instance_id=escalation, bpmn_id="Recordar")
        assert (row.attempts, row.status, row.claimed_by) == (attempt, "waiting", "prueba")
        assert row.retry_at == clock.now() + timedelta(seconds=30)  # the lease
        assert fire(ctx, policy=policy).fired == (1 if attempt == 1 else 0)  # the other one, not this again
        assert timers.next_due(ctx, policy) == clock.now() + timedelta(seconds=30)
        clock.advance(seconds=31)
    report = fire(ctx, policy=policy)  # a fourth claim finds its three firings never finished
    assert (report.fired, report.failed) == (0, 1)
    [row] = timer_rows(ctx, instance_id=escalation, bpmn_id="Recordar")
    assert (row.attempts, row.status, row.claimed_at, row.retry_at) == (3, "waiting", None, None)
    [incident] = views.incidents(ctx)
    assert (
        incident["instance_id"] == escalation
        and "no terminó de dispararse en 3 intentos" in incident["message"]
    )
    clock.advance(hours=1)
    assert fire(ctx, policy=policy).failed == 0  # left to a person, not fired again
    assert task_names(ctx, other) == ["Atender solicitud", "Escalar al supervisor"]
    monkeypatch.setattr(ProcessRun, "advance", stock)
    done = CliRunner().invoke(cli, ["incidents", "retry", str(incident["id"])], obj=ctx)
    assert done.exit_code == 0, done.output
    assert task_names(ctx, escalation) == ["Atender solicitud", "Escalar al supervisor"]
    [row] = timer_rows(ctx, instance_id=escalation, bpmn_id="Recordar")
    assert row.status == "fired"


def load_instance_id(ctx: Context, run: ProcessRun) -> int | None:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(select(Timer.instance_id, Timer.spiff_id).where(Timer.status == "waiting"))
        waiting = {spiff_id: instance_id for instance_id, spiff_id in rows}
    return next((waiting[str(t.id)] for t in run.workflow.get_tasks() if str(t.id) in waiting), None)


def test_a_normal_firing_keeps_no_claim_and_a_cut_one_is_handed_back_by_its_scheduler(
    ctx: Context, escalation: int, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock.advance(seconds=4)
    stock = ProcessRun.advance

    def outage(self: ProcessRun, *args: Any, **kwargs: Any) -> Any:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"))

    monkeypatch.setattr(ProcessRun, "advance", outage)
    with pytest.raises(OperationalError):
        fire(ctx)
    [row] = timer_rows(ctx, bpmn_id="Recordar")
    assert (row.attempts, row.claimed_by) == (1, "prueba")
    assert timers.release_claims_of(ctx, "prueba") == 1  # the database is back: not the timer's fault
    [row] = timer_rows(ctx, bpmn_id="Recordar")
    assert (row.attempts, row.claimed_at, row.retry_at) == (0, None, None)
    monkeypatch.setattr(ProcessRun, "advance", stock)
    assert fire(ctx).fired == 1  # at once, not after the lease
    [row] = timer_rows(ctx, bpmn_id="Recordar")
    assert (row.status, row.attempts, row.claimed_at, row.claimed_by) == ("fired", 1, None, "prueba")


# ---- business days --------------------------------------------------------------------------
def test_business_day_timer_and_due_date_come_from_the_calendar(ctx: Context, clock: FrozenClock) -> None:
    functions = expression_functions(BusinessCalendar.colombia(range(2025, 2028)), seed_term_table())
    legal = create_context(ctx.settings, clock=clock, functions=functions)
    try:
        deploy_files(legal, "timers_business_days.bpmn")
        data = {"tipo": "peticion_general", "fecha_recibo": "2026-03-02T08:00:00"}
        started = instances.start_process(legal, "respuesta_pqrsd", data=data).id
        [alert] = views.timers(legal)
        # 10 business days after Monday 2 March 2026: 16 March, end of the day in Bogotá.
        assert alert["due_at"] == "2026-03-17T04:59:59+00:00"
        assert alert["timer_type"] == "date"
        assert (
            task_named(legal, started, "Responder PQRSD")["due_at"]
            == datetime.fromisoformat(functions["vencimiento"]("peticion_general", "2026-03-02T08:00:00"))
            .astimezone(UTC)
            .isoformat()
        )
        clock.set(datetime(2026, 3, 17, 4, 59, 58, tzinfo=UTC))
        assert fire(legal).fired == 0
        clock.advance(seconds=2)
        assert fire(legal).fired == 1
        assert task_names(legal, started) == ["Alertar supervisor", "Responder PQRSD"]
    finally:
        legal.db.dispose()


# ---- the scheduler round --------------------------------------------------------------------
def test_scheduler_round_fires_due_timers_and_wakes_at_the_next_due_time(
    ctx: Context, escalation: int, clock: FrozenClock
) -> None:
    scheduler = TimerScheduler(ctx, worker="prueba")
    assert scheduler.tick() == clock.now() + timedelta(seconds=3)
    clock.advance(seconds=4)
    assert scheduler.tick() == clock.now() + timedelta(days=1, seconds=-4)
    assert task_names(ctx, escalation) == ["Atender solicitud", "Escalar al supervisor"]


def test_second_sqlite_scheduler_stands_by_and_takes_over(
    sqlite_ctx: Context, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    deploy_files(sqlite_ctx, "timers_escalation.bpmn")
    started = instances.start_process(sqlite_ctx, "escalamiento").id
    first, second = TimerScheduler(sqlite_ctx, worker="uno"), TimerScheduler(sqlite_ctx, worker="dos")
    first.tick()
    clock.advance(seconds=4)
    with caplog.at_level(logging.WARNING, logger="engine.scheduler"):
        assert second.tick() is None
        assert second.run_once() is None
    assert "queda en espera" in caplog.text
    assert task_names(sqlite_ctx, started) == ["Atender solicitud"]
    first.shutdown()
    assert second.tick() is not None
    assert [e.actor for e in audits(sqlite_ctx, "timer_fired")] == ["dos"]
    second.shutdown()


def test_a_timer_start_that_keeps_failing_becomes_an_incident_and_retrying_reschedules_it(
    ctx: Context, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    deploy_files(ctx, "timers_start_date.bpmn")
    start_timers.sync_start_timers(ctx)
    stock = timer_events.trigger_start_event

    def broken(*args: Any) -> None:
        raise RuntimeError("sin conexión")

    monkeypatch.setattr(timer_events, "trigger_start_event", broken)
    clock.set(datetime(2026, 3, 2, 15, 0, 1, tzinfo=UTC))
    for wait in (0, 5, 10):
        clock.advance(seconds=wait)
        assert fire(ctx).failed == 1
    [incident] = views.incidents(ctx)
    assert (incident["instance_id"], incident["activity"], incident["kind"]) == (None, "Programado", "timer")
    monkeypatch.setattr(timer_events, "trigger_start_event", stock)
    assert fire(ctx).started == 0
    assert incidents.retry_incident(ctx, incident["id"], actor="ana") == "programado"
    assert views.incidents(ctx) == []
    assert fire(ctx).started == 1
    assert len(views.instances(ctx, process_key="informe_mensual")) == 1
