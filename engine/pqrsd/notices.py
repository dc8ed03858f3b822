"""What the peticionario receives when a case is filed: the acuse (or the verbal constancia), by e-mail."""

from __future__ import annotations

import logging

from engine.context import Context
from engine.identity.users import find_user
from engine.mail.smtp import MailError, send
from engine.pqrsd import acuse
from engine.pqrsd.records import CaseRecord
from engine.store.audit import audit
from engine.store.uow import UnitOfWork

log = logging.getLogger(__name__)


def receipt_html(ctx: Context, record: CaseRecord) -> str:
    return acuse.to_html(_receipt(ctx, record))


def receipt_pdf(ctx: Context, record: CaseRecord) -> bytes:
    return acuse.to_pdf(_receipt(ctx, record))


def _receipt(ctx: Context, record: CaseRecord) -> acuse.Receipt:
    """The acuse; for a verbal petition, with its Decreto 1166 constancia."""
    code, entity, tz = record["codigo_consulta"] or "", ctx.settings.entity_name, ctx.settings.timezone
    return acuse.receipt(record, code, entity, official=_official(ctx, record), timezone=tz)


def _official(ctx: Context, record: CaseRecord) -> str | None:
    """Who received a verbal petition, by the name the constancia prints (None: not a verbal petition)."""
    if not (acuse.is_verbal(record) and record["received_by"]):
        return None
    user = find_user(ctx, record["received_by"])
    return user.display_name if user is not None else record["received_by"]


def send_receipt(ctx: Context, record: CaseRecord, *, actor: str | None) -> bool:
    """Mail the receipt when the peticionario gave an address and mail is configured; audited either way.

    Sent after the radicación committed: a mail server that fails never undoes a radicado.
    """
    if ctx.mail is None or not record["email"] or record["anonymous"]:
        return False
    radicado = record["radicado"]
    try:
        message_id = send(
            ctx.mail,
            record["email"],
            f"Acuse de recibo de su PQRSD {radicado}",
            f"{ctx.settings.entity_name} recibió su petición y le asignó el radicado {radicado}.\n"
            f"Vence el {record['due_date'] or '(término suspendido)'}. Código de consulta: "
            f"{record['codigo_consulta']}.\nEl acuse va adjunto en PDF.",
            html=receipt_html(ctx, record),
            attachments=[(f"acuse-{radicado}.pdf", "application/pdf", receipt_pdf(ctx, record))],
            sent_at=ctx.clock.now(),
        )
    except MailError as error:
        log.warning("No se envió el acuse de %s: %s", radicado, error.message)
        _audit(ctx, record, actor, "pqrsd_acuse_fallido", f"No se pudo enviar el acuse: {error.message}")
        return False
    _audit(ctx, record, actor, "pqrsd_acuse_enviado", f"Envió el acuse a {record['email']} ({message_id})")
    return True


def _audit(ctx: Context, record: CaseRecord, actor: str | None, action: str, summary: str) -> None:
    with UnitOfWork(ctx.db) as uow:
        audit(uow.session, ctx, instance_id=record["instance_id"], action=action, actor=actor, summary=summary,
              after={"radicado": record["radicado"]})  # fmt: skip
        uow.commit()
