"""What the peticionario receives when a case is filed: the acuse (or the verbal constancia), by e-mail through
the outbox."""

from __future__ import annotations

import base64

from sqlalchemy.orm import Session

from engine.context import Context
from engine.identity.users import find_user
from engine.notifications import events, outbox
from engine.notifications.notify import queue_mail
from engine.pqrsd import acuse
from engine.pqrsd.records import CaseRecord


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


def queue_receipt(session: Session, ctx: Context, record: CaseRecord) -> None:
    """Put the acuse in the outbox, in the radicación's transaction, when the peticionario gave an address
    and mail is configured: it is sent after the commit (a failing mail server never undoes a radicado)
    and retried by the scheduler; the case's history records how it went."""
    if ctx.mail is None or not record["email"] or record["anonymous"]:
        return
    radicado = record["radicado"]
    pdf = receipt_pdf(ctx, record)
    queue_mail(
        session, ctx, addresses={record["email"]: None}, event=events.CITIZEN,
        subject=f"Acuse de recibo de su PQRSD {radicado}",
        text=f"{ctx.settings.entity_name} recibió su petición y le asignó el radicado {radicado}.\n"
        f"Vence el {record['due_date'] or '(término suspendido)'}. Código de consulta: "
        f"{record['codigo_consulta']}.\nEl acuse va adjunto en PDF.\n",
        html=receipt_html(ctx, record),
        attachments=[{"name": f"acuse-{radicado}.pdf", "media_type": "application/pdf",
                      "base64": base64.b64encode(pdf).decode("ascii")}],
        key=receipt_key(radicado), instance_id=record["instance_id"],
    )  # fmt: skip


def receipt_key(radicado: str) -> str:
    return f"acuse:{radicado}"


def send_receipt(ctx: Context, record: CaseRecord) -> None:
    """Send the queued acuse at once, so the peticionario has it before leaving the page; if the mail
    server fails, the scheduler's sender retries it."""
    outbox.send_due(ctx, keys=[receipt_key(record["radicado"])])
