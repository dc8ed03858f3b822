"""The outbox sender, one step of every scheduler round: due messages out through SMTP, each marked sent once.

A message is claimed (status 'sending', attempts + 1, a lease) and committed before it is sent, so two
senders never send it both: on PostgreSQL the claim skips rows another sender holds; on SQLite one
scheduler is active. The attempt's end is written only if the claim is still ours. A failed attempt
waits `mail_retry_seconds` × 2^(attempts-1); after `mail_max_attempts` the message is failed and an
incident of kind "mail" says why in Spanish. Sending never runs inside a workflow's transaction, so a
mail server that fails never blocks nor undoes the action that wrote the message.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session

from engine.context import Context
from engine.mail.smtp import MailError, send
from engine.store import notifications as store
from engine.store.audit import audit
from engine.store.incidents import open_incident
from engine.store.notifications import OutgoingMail
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)  # a 'sending' message whose sender died is taken again after this
MAIL_REF = "mail:"  # a mail incident points at its outbox row


@dataclass
class SendReport:
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def send_due(ctx: Context, *, limit: int = 50, keys: Sequence[str] = ()) -> SendReport:
    """Send what is due now (only messages with these keys, if given); nothing when mail is off."""
    report = SendReport()
    if ctx.mail is None:
        return report
    now = ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        claimed = store.claim_mail(uow.session, now, now + LEASE, limit, keys)
        uow.commit()
    for mail in claimed:
        _attempt(ctx, mail, report)
    if claimed:
        log.info("Correo: %d enviado(s), %d por reintentar, %d fallido(s).", report.sent, report.retrying,
                 report.failed)  # fmt: skip
    return report


def _attempt(ctx: Context, mail: OutgoingMail, report: SendReport) -> None:
    assert ctx.mail is not None
    attachments = [
        (a["name"], a["media_type"], base64.b64decode(a["base64"])) for a in mail.attachments or ()
    ]
    try:
        message_id = send(ctx.mail, mail.recipient, mail.subject, mail.body_text, mail.body_html,
                          attachments, sent_at=ctx.clock.now())  # fmt: skip
    except MailError as error:
        _failed_attempt(ctx, mail, error.message, report)
        return
    now = ctx.clock.now()
    with UnitOfWork(ctx.db) as uow:
        if store.settle_mail(uow.session, mail, status="sent", sent_at=now, message_id=message_id,
                             last_error=None):  # fmt: skip
            _audit_citizen_mail(ctx, uow, mail, f"Envió «{mail.subject}» a {mail.recipient} ({message_id})")
        uow.commit()
    report.sent += 1


def _failed_attempt(ctx: Context, mail: OutgoingMail, reason: str, report: SendReport) -> None:
    now = ctx.clock.now()
    final = mail.attempts >= ctx.settings.mail_max_attempts
    with UnitOfWork(ctx.db) as uow:
        if final:
            if store.settle_mail(uow.session, mail, status="failed", last_error=reason):
                message = (f"No se pudo enviar el correo «{mail.subject}» a {mail.recipient} tras "
                           f"{mail.attempts} intento(s): {reason}")  # fmt: skip
                open_incident(uow.session, kind="mail", instance_id=mail.instance_id,
                              reference=f"{MAIL_REF}{mail.id}", bpmn_id=None, message=message, now=now)  # fmt: skip
                _audit_citizen_mail(ctx, uow, mail, message)
                report.failed += 1
        else:
            delay = timedelta(seconds=ctx.settings.mail_retry_seconds * 2 ** (mail.attempts - 1))
            if store.settle_mail(uow.session, mail, status="pending", next_attempt_at=now + delay,
                                 last_error=reason):  # fmt: skip
                report.retrying += 1
        uow.commit()
    log.warning("No se envió el correo %d a %s (intento %d): %s", mail.id, mail.recipient, mail.attempts,
                reason)  # fmt: skip


def _audit_citizen_mail(ctx: Context, uow: UnitOfWork, mail: OutgoingMail, summary: str) -> None:
    """Mail to a peticionario is part of the case's record (the acuse); staff notices are not."""
    if mail.event == "ciudadano":
        audit(uow.session, ctx, instance_id=mail.instance_id, action="correo_ciudadano", actor=None,
              summary=summary)  # fmt: skip


def requeue(session: Session, ctx: Context, reference: str | None) -> bool:
    """Retrying a mail incident (in its transaction): the message goes out again from the first attempt."""
    if not (reference or "").startswith(MAIL_REF):
        return False
    return store.requeue_mail(session, int((reference or "").removeprefix(MAIL_REF)), ctx.clock.now())
