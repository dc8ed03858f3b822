"""The SMTP sender: settings from PHVA_SMTP_* variables, one message per call, errors as `MailError`."""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from email.header import Header
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import format_datetime, formatdate, make_msgid, parseaddr

from engine.errors import PhvaError

ON = frozenset({"on", "1", "true", "yes", "si", "sí"})
OFF = frozenset({"off", "0", "false", "no", ""})
Attachment = tuple[str, str, bytes]  # (file name, media type such as "application/pdf", content)


class MailError(PhvaError):
    """The message could not be built or the mail server did not take it; `message` says why in Spanish."""

    exit_code = 1
    http_status = 502


class _MailPolicy(EmailPolicy):
    """`email.policy.default`, except that a non-ASCII Subject is folded the compat32 way.

    Python 3.11's folder drops the space at a fold between two encoded words (about one Spanish subject
    in ten reaches the citizen with two words glued together); `email.header.Header` keeps it.
    """

    def fold(self, name: str, value: str) -> str:
        if name.lower() != "subject" or value.isascii():
            return str(super().fold(name, value))
        encoded = Header(str(value), "utf-8", self.max_line_length, name).encode(linesep=self.linesep)
        return f"{name}: {encoded}{self.linesep}"

    def fold_binary(self, name: str, value: str) -> bytes:
        if name.lower() != "subject" or value.isascii():
            return bytes(super().fold_binary(name, value))
        return self.fold(name, value).encode("ascii")


POLICY = _MailPolicy()  # smtplib writes it out with CRLF


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    sender: (
        str  # PHVA_MAIL_FROM (or PHVA_SMTP_FROM): the From address, e.g. "Alcaldía <pqrsd@alcaldia.gov.co>"
    )
    port: int = 25
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SmtpSettings | None:
        """None when PHVA_SMTP_HOST is unset: mail is off."""
        host = env.get("PHVA_SMTP_HOST", "").strip()
        if not host:
            return None
        # PHVA_SMTP_TLS and PHVA_MAIL_FROM are the names the notifications documentation uses; the older
        # PHVA_SMTP_STARTTLS and PHVA_SMTP_FROM still work.
        tls = "PHVA_SMTP_TLS" if "PHVA_SMTP_TLS" in env else "PHVA_SMTP_STARTTLS"
        starttls = _switch(env.get(tls, "off"), tls)
        user = env.get("PHVA_SMTP_USER", "").strip() or None
        given = env.get("PHVA_MAIL_FROM", "").strip() or env.get("PHVA_SMTP_FROM", "").strip()
        sender = given or (user if user and "@" in user else "")
        if "@" not in parseaddr(sender)[1]:
            named = (
                "PHVA_SMTP_FROM"
                if "PHVA_SMTP_FROM" in env and "PHVA_MAIL_FROM" not in env
                else "PHVA_MAIL_FROM"
            )
            raise MailError(
                f"Falta {named} (la dirección remitente, p. ej. pqrsd@entidad.gov.co) "
                "o no es una dirección de correo válida."
            )
        return cls(
            host=host,
            sender=sender,
            port=_port(env.get("PHVA_SMTP_PORT", ""), 587 if starttls else 25),
            user=user,
            password=env.get("PHVA_SMTP_PASSWORD") or None,
            starttls=starttls,
            timeout=_timeout(env.get("PHVA_SMTP_TIMEOUT", "")),
        )


def build_message(
    sender: str,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    *,
    sent_at: datetime | None = None,
) -> EmailMessage:
    """A UTF-8 message: plain text, an HTML alternative when given, then the attachments."""
    recipients = [to] if isinstance(to, str) else list(to)
    if not recipients:
        raise MailError("El correo no tiene destinatario.")
    for address in (sender, *recipients):
        if "@" not in parseaddr(address)[1] or "\r" in address or "\n" in address:
            raise MailError(f"«{address}» no es una dirección de correo válida.")
    message = EmailMessage(policy=POLICY)
    try:
        message["From"] = sender
        message["To"] = ", ".join(recipients)
        message["Subject"] = subject
    except ValueError as error:  # a line break in a header would let the text add headers of its own
        raise MailError("El asunto o una dirección del correo tiene saltos de línea.") from error
    message["Date"] = format_datetime(sent_at) if sent_at is not None else formatdate(usegmt=True)
    message["Message-ID"] = make_msgid(domain=parseaddr(sender)[1].rpartition("@")[2])
    message.set_content(text, cte="quoted-printable")  # 7-bit safe through any relay, still readable
    if html is not None:
        message.add_alternative(html, subtype="html", cte="quoted-printable")
    for name, media_type, content in attachments:
        maintype, _, subtype = media_type.partition("/")
        if not maintype or not subtype:
            raise MailError(f"Tipo de archivo no válido para el adjunto «{name}»: «{media_type}».")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=name)
    return message


def send(
    settings: SmtpSettings,
    to: str | Sequence[str],
    subject: str,
    text: str,
    html: str | None = None,
    attachments: Sequence[Attachment] = (),
    *,
    sent_at: datetime | None = None,
) -> str:
    """Send one message; returns its Message-ID (for the audit trail)."""
    message = build_message(settings.sender, to, subject, text, html, attachments, sent_at=sent_at)
    refused = _deliver(settings, message)
    if refused:  # the server took some recipients: those got it, so this is not worth retrying whole
        raise MailError(
            f"El servidor de correo rechazó a {', '.join(sorted(refused))}; "
            "a los demás destinatarios se envió."
        )
    return str(message["Message-ID"])


def _deliver(settings: SmtpSettings, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
    stage = "connect"
    try:
        with smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout) as smtp:
            if settings.starttls:
                stage = "starttls"
                smtp.starttls(context=ssl.create_default_context())
            if settings.user:
                stage = "login"
                smtp.login(settings.user, settings.password or "")
            stage = "send"
            return smtp.send_message(message)
    except (smtplib.SMTPException, OSError, UnicodeError) as error:
        raise MailError(_explain(error, settings, stage)) from error


def _explain(error: Exception, settings: SmtpSettings, stage: str) -> str:
    """The Spanish reason an official can act on; the technical chain stays in the logs."""
    server = f"el servidor de correo {settings.host}:{settings.port}"
    head = server[0].upper() + server[1:]
    if isinstance(error, smtplib.SMTPAuthenticationError):
        return f"{head} rechazó el usuario o la contraseña (PHVA_SMTP_USER, PHVA_SMTP_PASSWORD)."
    if isinstance(error, smtplib.SMTPNotSupportedError) and stage == "starttls":
        return f"{head} no ofrece STARTTLS; revise PHVA_SMTP_STARTTLS y PHVA_SMTP_PORT."
    if isinstance(error, smtplib.SMTPNotSupportedError) and stage == "login":
        return f"{head} no acepta usuario y contraseña en esta conexión; pruebe con PHVA_SMTP_STARTTLS=on."
    if isinstance(error, smtplib.SMTPNotSupportedError):
        return f"{head} no admite direcciones con tildes o eñes (SMTPUTF8)."
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return f"{head} rechazó el destinatario: {', '.join(sorted(error.recipients))}."
    if isinstance(error, smtplib.SMTPSenderRefused):
        return f"{head} rechazó el remitente {settings.sender} (PHVA_SMTP_FROM)."
    if isinstance(error, smtplib.SMTPResponseException):
        return f"{head} rechazó el correo (código {error.smtp_code})."
    if isinstance(error, TimeoutError) or isinstance(error.__context__, TimeoutError):  # smtplib rewraps it
        return f"{head} no respondió en {settings.timeout:g} segundos (PHVA_SMTP_TIMEOUT)."
    if isinstance(error, smtplib.SMTPServerDisconnected):
        return f"{head} cerró la conexión antes de recibir el correo."
    if isinstance(error, ssl.SSLError):
        return f"Falló la conexión cifrada (TLS) con {server}: certificado no válido o cifrado no admitido."
    if isinstance(error, ConnectionRefusedError):
        return f"No se pudo conectar con {server}: rechazó la conexión."
    if isinstance(error, socket.gaierror):
        return f"No se encontró el servidor de correo «{settings.host}» (PHVA_SMTP_HOST)."
    return f"No se pudo enviar el correo por {server}: error de red o del protocolo."


def _switch(raw: str, name: str) -> bool:
    value = raw.strip().lower()
    if value in ON or value in OFF:
        return value in ON
    raise MailError(f"{name} debe ser «on» u «off», no «{raw}».")


def _port(raw: str, default: int) -> int:
    try:
        value = int(raw.strip()) if raw.strip() else default
    except ValueError:
        value = 0
    if not 0 < value < 65536:
        raise MailError(f"PHVA_SMTP_PORT debe ser un número de puerto (1 a 65535), no «{raw}».")
    return value


def _timeout(raw: str) -> float:
    try:
        value = float(raw.strip()) if raw.strip() else 10.0
    except ValueError:
        value = 0.0
    if not value > 0:
        raise MailError(f"PHVA_SMTP_TIMEOUT debe ser un número de segundos mayor que cero, no «{raw}».")
    return value
