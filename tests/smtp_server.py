"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the tests that send mail."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope, Session

from engine.mail.smtp import SmtpSettings

SENDER = "Alcaldía de Ejemplo <pqrsd@alcaldia.example.gov.co>"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what it receives and refuses the addresses it is told to."""

    refuse: set[str] = field(default_factory=set)
    received: list[tuple[Envelope, EmailMessage]] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return "550 5.1.1 No existe ese buzón"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Session, envelope: Envelope) -> str:
        assert isinstance(envelope.content, bytes)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((envelope, message))
        return "250 Message accepted for delivery"


@dataclass
class Server:
    inbox: Inbox
    settings: SmtpSettings


@pytest.fixture
def start_server() -> Iterator[Callable[..., Server]]:
    """Starts a real SMTP server (aiosmtpd) on 127.0.0.1; keyword arguments go to aiosmtpd's SMTP."""
    controllers: list[Controller] = []

    def start(**smtp_options: Any) -> Server:
        inbox = Inbox()
        controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), **smtp_options)
        controller.start()
        controllers.append(controller)
        return Server(inbox, SmtpSettings(host="127.0.0.1", port=controller.port, sender=SENDER, timeout=5))

    yield start
    for controller in controllers:
        controller.stop()
