"""The outbox sender: real SMTP delivery, retries with backoff while the server is down, exactly once with
two senders on PostgreSQL, and a final failure recorded as an incident of kind "mail"."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.mail.smtp import SmtpSettings
from engine.notifications import events, outbox
from engine.notifications.notify import notify
from engine.store.notification_tables import MailOutbox
from engine.store.tables import Incident
from engine.store.uow import UnitOfWork
from tests.smtp_server import SENDER, Inbox, Server, free_port


def _notify_ana(ctx: Context, n: int = 1) -> None:
    with UnitOfWork(ctx.db) as uow:
        for i in range(n):
            notify(uow.session, ctx, event=events.TASK_ASSIGNED, subject=f"Le asignaron la tarea {i}",
                   body=f"Le asignaron «Proyectar respuesta {i}».", link=f"/tareas/{i}", users=["ana"],
                   task_id=i)  # fmt: skip
        uow.commit()


def _outbox(ctx: Context) -> list[Any]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list(uow.session.execute(select(MailOutbox.__table__).order_by(MailOutbox.id)))


def _with_mail(ctx: Context, settings: SmtpSettings) -> None:
    ctx.mail = settings
    ctx.settings = replace(ctx.settings, base_url="https://phva.alcaldia.example.gov.co")
    users.add_user(ctx, "ana", groups="juridica", email="ana@alcaldia.example.gov.co")


def test_a_notice_reaches_the_smtp_server_once_in_spanish_with_an_absolute_link(
    ctx: Context, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _with_mail(ctx, server.settings)
    _notify_ana(ctx)
    assert outbox.send_due(ctx).sent == 1
    assert outbox.send_due(ctx).sent == 0  # sent once
    [(envelope, message)] = server.inbox.received
    assert envelope.rcpt_tos == ["ana@alcaldia.example.gov.co"]
    assert str(message["Subject"]) == "Le asignaron la tarea 0"
    text = message.get_body(("plain",)).get_content()
    assert "Le asignaron «Proyectar respuesta 0»." in text
    assert "https://phva.alcaldia.example.gov.co/tareas/0" in text
    assert "https://phva.alcaldia.example.gov.co/notificaciones/preferencias" in text
    html = message.get_body(("html",)).get_content()
    assert 'href="https://phva.alcaldia.example.gov.co/tareas/0"' in html
    [row] = _outbox(ctx)
    assert (row.status, row.attempts, row.message_id) == ("sent", 1, str(message["Message-ID"]))


def test_retries_back_off_while_the_server_is_down_then_deliver(ctx: Context, clock: FrozenClock) -> None:
    port = free_port()
    _with_mail(ctx, SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, timeout=2))
    _notify_ana(ctx)
    assert outbox.send_due(ctx).retrying == 1
    [row] = _outbox(ctx)
    assert row.status == "pending" and row.next_attempt_at == clock.now() + timedelta(seconds=60)
    assert "rechazó la conexión" in (row.last_error or "")
    clock.advance(seconds=59)
    assert outbox.send_due(ctx).retrying == 0  # not before its backoff
    clock.advance(seconds=1)
    assert outbox.send_due(ctx).retrying == 1
    [row] = _outbox(ctx)
    assert row.next_attempt_at == clock.now() + timedelta(seconds=120)  # doubled
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.advance(seconds=120)
        assert outbox.send_due(ctx).sent == 1
    finally:
        controller.stop()
    assert len(inbox.received) == 1
    [row] = _outbox(ctx)
    assert (row.status, row.attempts) == ("sent", 3)


def test_the_last_failed_attempt_opens_a_mail_incident_and_retrying_it_sends_again(
    ctx: Context, clock: FrozenClock, start_server: Callable[..., Server]
) -> None:
    port = free_port()
    _with_mail(ctx, SmtpSettings(host="127.0.0.1", port=port, sender=SENDER, timeout=2))
    ctx.settings = replace(ctx.settings, mail_max_attempts=2)
    _notify_ana(ctx)
    outbox.send_due(ctx)
    clock.advance(seconds=60)
    assert outbox.send_due(ctx).failed == 1
    clock.advance(days=1)
    assert outbox.send_due(ctx).failed == 0  # failed for good: no more attempts
    [row] = _outbox(ctx)
    assert row.status == "failed"
    with UnitOfWork(ctx.db, write=False) as uow:
        [incident] = uow.session.execute(select(Incident.__table__))
    assert incident.kind == "mail" and incident.instance_id is None and incident.resolved_at is None
    assert incident.message.startswith(
        "No se pudo enviar el correo «Le asignaron la tarea 0» a ana@alcaldia.example.gov.co tras 2 intento(s)"
    )
    assert "rechazó la conexión" in incident.message
    from engine.workflow.incidents import retry_incident

    ctx.mail = start_server().settings
    assert retry_incident(ctx, incident.id, actor="admin") == "reenviando"
    assert outbox.send_due(ctx).sent == 1
    [row] = _outbox(ctx)
    assert row.status == "sent"


@pytest.mark.postgres
def test_two_senders_on_postgresql_send_each_message_exactly_once(
    pg_ctx: Context, start_server: Callable[..., Server]
) -> None:
    server = start_server()
    _with_mail(pg_ctx, server.settings)
    _notify_ana(pg_ctx, 40)
    barrier = threading.Barrier(2)
    sent: list[int] = []

    def sender() -> None:
        barrier.wait()
        while (report := outbox.send_due(pg_ctx, limit=3)).sent:
            sent.append(report.sent)

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    subjects = sorted(str(m["Subject"]) for _, m in server.inbox.received)
    assert subjects == sorted(f"Le asignaron la tarea {i}" for i in range(40))
    assert sum(sent) == 40
    assert {r.status for r in _outbox(pg_ctx)} == {"sent"}
