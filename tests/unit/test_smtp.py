import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from email import message_from_bytes, policy
from typing import Any

import pytest
from aiosmtpd.smtp import AuthResult, Envelope, LoginPassword, Session

from engine.errors import PhvaError
from engine.mail.smtp import MailError, SmtpSettings, build_message, send
from tests.smtp_server import Server, free_port

SENDER = "Alcaldía de Ejemplo <pqrsd@alcaldia.example.gov.co>"
CITIZEN = "maria.guiza@example.co"
SUBJECT = "Acuse de recibo de su petición 2026-000123 — «subsidio»"
BODY = "Señora María:\n\nSu petición quedó radicada con el número 2026-000123. ¿Preguntas? ¡Escríbanos!\n"
PDF = b"%PDF-1.7\n" + bytes(range(256)) + b"\n%%EOF\n"  # every byte value: the attachment must survive as is


@pytest.fixture
def server(start_server: Callable[..., Server]) -> Server:
    return start_server()


# ---- settings ---------------------------------------------------------------------------------
def test_mail_is_off_without_a_host() -> None:
    assert SmtpSettings.from_env({}) is None
    assert SmtpSettings.from_env({"PHVA_SMTP_HOST": "  ", "PHVA_SMTP_FROM": "a@b.co"}) is None


def test_settings_defaults_port_25_without_starttls_and_587_with_it() -> None:
    plain = SmtpSettings.from_env({"PHVA_SMTP_HOST": "smtp.example.co", "PHVA_SMTP_FROM": SENDER})
    tls = SmtpSettings.from_env({
        "PHVA_SMTP_HOST": "smtp.example.co", "PHVA_SMTP_STARTTLS": "on", "PHVA_SMTP_USER": "pqrsd@example.co",
        "PHVA_SMTP_PASSWORD": "s3creta", "PHVA_SMTP_TIMEOUT": "2.5",
    })  # fmt: skip

    assert plain == SmtpSettings(host="smtp.example.co", sender=SENDER, port=25, starttls=False, timeout=10.0)
    assert tls == SmtpSettings(
        host="smtp.example.co", sender="pqrsd@example.co", port=587, user="pqrsd@example.co",
        password="s3creta", starttls=True, timeout=2.5,
    )  # fmt: skip
    assert "s3creta" not in repr(tls)


def test_an_explicit_port_wins_over_the_starttls_default() -> None:
    settings = SmtpSettings.from_env(
        {
            "PHVA_SMTP_HOST": "h",
            "PHVA_SMTP_FROM": "a@b.co",
            "PHVA_SMTP_PORT": "2525",
            "PHVA_SMTP_STARTTLS": "ON",
        }
    )

    assert settings is not None and (settings.port, settings.starttls) == (2525, True)


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("PHVA_SMTP_PORT", "veinticinco", "PHVA_SMTP_PORT"),
        ("PHVA_SMTP_PORT", "70000", "PHVA_SMTP_PORT"),
        ("PHVA_SMTP_TIMEOUT", "0", "PHVA_SMTP_TIMEOUT"),
        ("PHVA_SMTP_STARTTLS", "quizás", "«on» u «off»"),
        ("PHVA_SMTP_FROM", "sin-arroba", "PHVA_SMTP_FROM"),
    ],
)
def test_invalid_settings_say_which_variable_is_wrong(variable: str, value: str, message: str) -> None:
    env = {"PHVA_SMTP_HOST": "smtp.example.co", "PHVA_SMTP_FROM": "pqrsd@example.co", variable: value}

    with pytest.raises(MailError, match=message) as raised:
        SmtpSettings.from_env(env)
    assert isinstance(raised.value, PhvaError)


# ---- sending ----------------------------------------------------------------------------------
def test_send_delivers_utf8_spanish_text_html_and_the_pdf_attachment(server: Server) -> None:
    message_id = send(
        server.settings, CITIZEN, SUBJECT, BODY, html="<p>Señora María: su petición quedó radicada.</p>",
        attachments=[("acuse-2026-000123-petición.pdf", "application/pdf", PDF)],
        sent_at=datetime(2026, 3, 2, 13, 5, tzinfo=UTC),
    )  # fmt: skip

    [(envelope, message)] = server.inbox.received
    assert envelope.mail_from == "pqrsd@alcaldia.example.gov.co"
    assert envelope.rcpt_tos == [CITIZEN]
    assert message["To"] == CITIZEN
    assert message["From"] == SENDER
    assert message["Subject"] == SUBJECT
    assert message["Message-ID"] == message_id and message_id.endswith("@alcaldia.example.gov.co>")
    assert message["Date"] == "Mon, 02 Mar 2026 13:05:00 +0000"
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    assert text.get_content_charset() == "utf-8"
    assert text.get_content().replace("\r\n", "\n") == BODY  # SMTP carries CRLF lines
    assert isinstance(envelope.content, bytes) and envelope.content.isascii()  # 7-bit: safe through any relay
    assert "Señora María" in html.get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "acuse-2026-000123-petición.pdf"
    assert attachment.get_content() == PDF


def test_send_to_several_recipients(server: Server) -> None:
    send(server.settings, [CITIZEN, "archivo@alcaldia.example.gov.co"], SUBJECT, BODY)

    [(envelope, message)] = server.inbox.received
    assert envelope.rcpt_tos == [CITIZEN, "archivo@alcaldia.example.gov.co"]
    assert message["To"] == f"{CITIZEN}, archivo@alcaldia.example.gov.co"
    assert list(message.iter_attachments()) == []


def test_send_signs_in_when_a_user_is_configured(start_server: Callable[..., Server]) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(
        server: Any, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append((data.login, data.password))
        return AuthResult(success=data.password == b"clave-correcta", handled=False)

    running = start_server(authenticator=authenticator, auth_require_tls=False)
    good = replace(running.settings, user="pqrsd", password="clave-correcta")

    send(good, CITIZEN, SUBJECT, BODY)
    with pytest.raises(MailError, match="rechazó el usuario o la contraseña"):
        send(replace(good, password="otra"), CITIZEN, SUBJECT, BODY)

    assert logins[0] == (b"pqrsd", b"clave-correcta")
    assert set(logins[1:]) == {(b"pqrsd", b"otra")}  # smtplib tries each mechanism the server offers
    assert len(running.inbox.received) == 1


def test_a_refused_connection_is_a_mail_error_in_spanish() -> None:
    settings = SmtpSettings(host="127.0.0.1", port=free_port(), sender=SENDER, timeout=5)

    with pytest.raises(MailError, match="rechazó la conexión") as raised:
        send(settings, CITIZEN, SUBJECT, BODY)
    assert raised.value.message.startswith("No se pudo conectar con el servidor de correo 127.0.0.1:")
    assert raised.value.http_status == 502


def test_a_server_that_never_answers_times_out() -> None:
    with socket.socket() as silent:  # the kernel completes the handshake; nobody ever sends the greeting
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        settings = SmtpSettings(host="127.0.0.1", port=silent.getsockname()[1], sender=SENDER, timeout=0.3)

        with pytest.raises(MailError, match=r"no respondió en 0\.3 segundos"):
            send(settings, CITIZEN, SUBJECT, BODY)


def test_starttls_against_a_server_without_it_is_a_mail_error(server: Server) -> None:
    with pytest.raises(MailError, match="no ofrece STARTTLS"):
        send(replace(server.settings, starttls=True), CITIZEN, SUBJECT, BODY)
    assert server.inbox.received == []


def test_a_refused_recipient_is_a_mail_error(server: Server) -> None:
    server.inbox.refuse.add("nadie@example.co")

    with pytest.raises(MailError, match=r"rechazó el destinatario: nadie@example\.co"):
        send(server.settings, "nadie@example.co", SUBJECT, BODY)
    with pytest.raises(MailError, match="a los demás destinatarios se envió"):
        send(server.settings, [CITIZEN, "nadie@example.co"], SUBJECT, BODY)

    [(envelope, _)] = server.inbox.received
    assert envelope.rcpt_tos == [CITIZEN]


@pytest.mark.parametrize(
    "subject",
    [
        SUBJECT,
        "Respuesta a su petición 2026-000123: «solicitud de información» sobre el subsidio de vivienda "
        "— ¿cuándo llega? ¡Gracias! — árbol camión índice ñandú pingüino útil",
    ],
)
def test_spanish_subjects_keep_every_space_when_folded(subject: str) -> None:
    message = build_message(SENDER, CITIZEN, subject, BODY)
    wire = message.as_bytes(policy=message.policy.clone(linesep="\r\n"))  # as smtplib writes it

    headers = wire.split(b"\r\n\r\n")[0]
    assert wire.isascii() and max(len(line) for line in headers.split(b"\r\n")) <= 78
    assert message_from_bytes(wire, policy=policy.default)["Subject"] == subject


@pytest.mark.parametrize(
    ("to", "subject", "message"),
    [
        (CITIZEN, "Acuse\nBcc: todos@example.co", "saltos de línea"),
        ("sin-arroba", SUBJECT, "no es una dirección de correo válida"),
        ([], SUBJECT, "no tiene destinatario"),
    ],
)
def test_bad_headers_are_refused_before_connecting(to: str | list[str], subject: str, message: str) -> None:
    with pytest.raises(MailError, match=message):
        build_message(SENDER, to, subject, BODY)
