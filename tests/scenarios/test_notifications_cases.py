"""A PQRSD's deadlines notify whoever holds it, once per due date: at the 2/3 alert and when it is overdue;
the acuse goes through the outbox, and a mail server that fails never undoes a radicado."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from engine.mail.smtp import SmtpSettings
from engine.notifications import events, outbox, rounds
from engine.pqrsd import radicacion
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store.notification_tables import MailOutbox, Notification
from engine.store.tables import Incident
from engine.store.uow import UnitOfWork
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import CLERK, RADICADO, peticion
from tests.smtp_server import SENDER, Server


def _told(sc: Scenario) -> list[tuple[str, str, str | None]]:
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        query = select(Notification.recipient, Notification.event, Notification.link).order_by(
            Notification.id
        )
        rows = uow.session.execute(
            query.where(Notification.event.in_([events.CASE_DUE_SOON, events.CASE_OVERDUE]))
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]


def _scan(sc: Scenario, when: datetime) -> int | None:
    sc.clock.set(when)
    return rounds.scan_cases(sc.ctx, CLOSED_STATUSES)


def test_the_alert_and_the_due_moment_are_told_once_to_the_dependencia(sc: Scenario) -> None:
    radicacion.file_pqrsd(sc.ctx, peticion(), actor=CLERK)
    assert _scan(sc, datetime(2026, 3, 2, 14, 0, tzinfo=UTC)) == 0
    assert _scan(sc, datetime(2026, 3, 2, 14, 0, 30, tzinfo=UTC)) is None  # scans at most once a minute
    assert _scan(sc, datetime(2026, 3, 17, 14, 0, tzinfo=UTC)) == 1  # 2/3 of 15 business days used
    link = f"/pqrsd/{RADICADO}"
    assert _told(sc) == [(CLERK, events.CASE_DUE_SOON, link)]
    assert _scan(sc, datetime(2026, 3, 18, 14, 0, tzinfo=UTC)) == 0  # told once
    assert _scan(sc, datetime(2026, 3, 26, 14, 0, tzinfo=UTC)) == 1
    assert _told(sc) == [(CLERK, events.CASE_DUE_SOON, link), (CLERK, events.CASE_OVERDUE, link)]
    assert _scan(sc, datetime(2026, 3, 27, 14, 0, tzinfo=UTC)) == 0
    assert len(_told(sc)) == 2


def test_a_case_filed_already_overdue_is_told_at_the_next_scan(sc: Scenario) -> None:
    assert _scan(sc, datetime(2026, 4, 20, 14, 0, tzinfo=UTC)) == 0  # the scans already run
    sc.clock.set(datetime(2026, 4, 20, 14, 5, tzinfo=UTC))
    radicacion.file_pqrsd(sc.ctx, peticion(), actor=CLERK)  # received 2 March, filed late
    assert _scan(sc, datetime(2026, 4, 20, 14, 10, tzinfo=UTC)) == 1
    assert _told(sc) == [(CLERK, events.CASE_OVERDUE, f"/pqrsd/{RADICADO}")]


def test_the_acuse_waits_in_the_outbox_when_the_server_is_down_and_the_radicado_stands(
    sc: Scenario, start_server: Callable[..., Server]
) -> None:
    sc.ctx.mail = SmtpSettings(host="127.0.0.1", port=1, sender=SENDER, timeout=2)
    sc.ctx.settings = replace(sc.ctx.settings, mail_max_attempts=2)
    case = radicacion.file_pqrsd(sc.ctx, peticion(), actor=CLERK)
    assert case["radicado"] == RADICADO
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        [row] = uow.session.execute(select(MailOutbox.__table__))
    assert (row.recipient, row.status, row.attempts, row.event) == ("maria.perez@example.co", "pending", 1,
                                                                     events.CITIZEN)  # fmt: skip
    sc.clock.advance(minutes=1)
    assert outbox.send_due(sc.ctx).failed == 1
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        [incident] = uow.session.execute(select(Incident.__table__).where(Incident.kind == "mail"))
    assert incident.instance_id == case["instance_id"]
    assert f"Acuse de recibo de su PQRSD {RADICADO}" in incident.message
    server = start_server()
    sc.ctx.mail = server.settings
    from engine.workflow.incidents import retry_incident

    retry_incident(sc.ctx, incident.id, actor="admin")
    assert outbox.send_due(sc.ctx).sent == 1
    [(envelope, message)] = server.inbox.received
    assert envelope.rcpt_tos == ["maria.perez@example.co"]
    [attachment] = list(message.iter_attachments())
    assert attachment.get_payload(decode=True).startswith(b"%PDF")
