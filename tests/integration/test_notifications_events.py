"""Events that notify: a new task of a dependencia, a task assigned by a supervisor, an incident, and the
daily digest at its hour on business days only — through the real engine, the outbox and an SMTP server."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.notifications import events, outbox, preferences, rounds
from engine.store.notification_tables import Notification
from engine.store.uow import UnitOfWork
from engine.workflow import tasks, views
from tests.smtp_server import Server
from tests.web.conftest import deploy_solicitud, start_solicitud

BASE = "https://phva.alcaldia.example.gov.co"


def _setup(ctx: Context, server: Server) -> None:
    ctx.mail = server.settings
    ctx.settings = replace(ctx.settings, base_url=BASE)
    deploy_solicitud(ctx)
    users.add_user(ctx, "ana", groups="atencion_ciudadano", email="ana@alcaldia.example.gov.co")
    users.add_user(ctx, "sara", groups="atencion_ciudadano", roles="supervisor", email="sara@example.gov.co")
    users.add_user(ctx, "root", roles="admin", email="root@alcaldia.example.gov.co")


def _inbox_of(ctx: Context, username: str) -> list[tuple[str, str | None]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        query = select(Notification.event, Notification.link).where(Notification.recipient == username)
        return [tuple(row) for row in uow.session.execute(query.order_by(Notification.id))]  # type: ignore[misc]


def _review_task(ctx: Context) -> int:
    instance_id = start_solicitud(ctx)
    items, _ = views.tasks(ctx, views.task_filter_for(users.get_user(ctx, "ana"), instance_id=instance_id))
    return int(items[0]["id"])


def test_a_new_dependencia_task_reaches_its_members_in_the_app(
    ctx: Context, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _setup(ctx, server)
    task_id = _review_task(ctx)
    assert _inbox_of(ctx, "ana") == [(events.GROUP_TASK, f"/tareas/{task_id}")]
    assert _inbox_of(ctx, "sara") == [(events.GROUP_TASK, f"/tareas/{task_id}")]
    assert _inbox_of(ctx, "root") == []
    assert outbox.send_due(ctx).sent == 0  # a group task stays in the app by default


def test_an_assignment_by_a_supervisor_is_mailed_to_the_assignee_with_a_link_to_the_task(
    ctx: Context, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _setup(ctx, server)
    task_id = _review_task(ctx)
    tasks.assign_task(ctx, task_id, "sara", "ana")
    assert _inbox_of(ctx, "ana")[-1] == (events.TASK_ASSIGNED, f"/tareas/{task_id}")
    assert outbox.send_due(ctx).sent == 1
    [(envelope, message)] = server.inbox.received
    assert envelope.rcpt_tos == ["ana@alcaldia.example.gov.co"]
    assert str(message["Subject"]) == "Tarea asignada: Revisar solicitud"
    text = message.get_body(("plain",)).get_content()
    assert "sara le asignó la tarea «Revisar solicitud»." in text
    assert f"{BASE}/tareas/{task_id}" in text


def test_claiming_notifies_nobody_and_preferences_silence_the_mail(
    ctx: Context, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _setup(ctx, server)
    preferences.set_preferences(ctx, "ana", {events.TASK_ASSIGNED: events.APP})
    task_id = _review_task(ctx)
    tasks.claim_task(ctx, task_id, "sara")
    tasks.unclaim_task(ctx, task_id, "sara")
    assert [e for e, _ in _inbox_of(ctx, "sara")] == [events.GROUP_TASK]
    tasks.assign_task(ctx, task_id, "sara", "ana")
    assert _inbox_of(ctx, "ana")[-1][0] == events.TASK_ASSIGNED
    assert outbox.send_due(ctx).sent == 0 and server.inbox.received == []


def test_an_assignment_stands_when_the_mail_server_is_down(
    ctx: Context, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _setup(ctx, server)
    ctx.mail = replace(server.settings, port=1)  # nothing listens there
    task_id = _review_task(ctx)
    tasks.assign_task(ctx, task_id, "sara", "ana")
    assert outbox.send_due(ctx).retrying == 1
    assert views.task(ctx, task_id)["assignee"] == "ana"


def _due_and_overdue(ctx: Context, clock: FrozenClock) -> tuple[int, int]:
    """Two review tasks of ana (due P15D from their start): due 3 and 10 March 2026."""
    clock.set(datetime(2026, 2, 16, 13, 0, tzinfo=UTC))
    overdue = _review_task(ctx)
    tasks.claim_task(ctx, overdue, "ana")
    clock.set(datetime(2026, 2, 23, 13, 0, tzinfo=UTC))
    soon = _review_task(ctx)
    tasks.claim_task(ctx, soon, "ana")
    return overdue, soon


def test_the_digest_goes_at_its_hour_on_business_days_once(
    ctx: Context, clock: FrozenClock, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _setup(ctx, server)
    overdue, soon = _due_and_overdue(ctx, clock)
    clock.set(datetime(2026, 3, 7, 14, 0, tzinfo=UTC))  # Saturday 9:00 in Bogotá: no digest
    assert rounds.run_digest(ctx) is None
    clock.set(datetime(2026, 3, 9, 11, 59, tzinfo=UTC))  # Monday 6:59: before its hour
    assert rounds.run_digest(ctx) is None
    clock.set(datetime(2026, 3, 9, 12, 0, tzinfo=UTC))  # Monday 7:00
    assert rounds.run_digest(ctx) == 1
    assert rounds.run_digest(ctx) is None  # once a day, however many rounds
    assert outbox.send_due(ctx).sent == 1
    [(envelope, message)] = server.inbox.received
    assert envelope.rcpt_tos == ["ana@alcaldia.example.gov.co"]
    assert str(message["Subject"]) == "Resumen diario: 1 vencida(s), 1 por vencer"
    text = message.get_body(("plain",)).get_content()
    vencidas, por_vencer = text.split("Por vencer en los próximos 3 días hábiles (1):")
    assert f"{BASE}/tareas/{overdue}" in vencidas and "Vencidas (1):" in vencidas
    assert f"{BASE}/tareas/{soon}" in por_vencer
    assert [e for e, _ in _inbox_of(ctx, "ana")].count(events.DIGEST) == 0  # the digest is mail by default


def test_the_digest_skips_a_holiday(
    ctx: Context, clock: FrozenClock, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _setup(ctx, server)
    _due_and_overdue(ctx, clock)
    clock.set(datetime(2026, 3, 23, 13, 0, tzinfo=UTC))  # Monday 23 March 2026, San José (holiday), 8:00
    assert rounds.run_digest(ctx) is None
    clock.set(datetime(2026, 3, 24, 13, 0, tzinfo=UTC))
    assert rounds.run_digest(ctx) == 1


def test_an_incident_is_told_to_the_administrators(ctx: Context, start_server: Callable[..., Server]) -> None:
    server = start_server()
    _setup(ctx, server)
    from engine.notifications.alerts import notify_incidents
    from engine.store.notifications import add_notifications  # noqa: F401  (the table exists)

    with UnitOfWork(ctx.db) as uow:
        notify_incidents(uow.session, ctx, 7, ["El script de 'Clasificar' falló: división por cero"])
        uow.commit()
    assert _inbox_of(ctx, "root") == [(events.INCIDENT, "/procesos/7")]
    assert outbox.send_due(ctx).sent == 1
    assert "división por cero" in server.inbox.received[0][1].get_body(("plain",)).get_content()
