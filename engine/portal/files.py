"""Files a citizen gives through the portal (with the filing, or completing it after a requerimiento): checked by
content with `attachments.check_files` before anything is written, then stored on the case in the caller's
transaction, marked as the petitioner's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict

from sqlalchemy.orm import Session

from engine.context import Context
from engine.pqrsd.attachments import Upload
from engine.pqrsd.files import FileStore
from engine.store import attachments as attachment_store
from engine.store.audit import audit
from engine.store.legal_tables import PqrsdCase

PORTAL_ACTOR = "ciudadano (portal)"  # no user name can have a space or brackets: never a staff account


def store_on_case(
    ctx: Context, session: Session, case: PqrsdCase, uploads: Sequence[Upload], *, purpose: str, why: str
) -> list[str]:
    """The names of the stored files; the bytes are written first, so a committed row always finds them."""
    if not uploads:
        return []
    store = FileStore.from_settings(ctx.settings)
    for upload in uploads:
        store.put(upload.content)
    known = attachment_store.names_on_case(session, case.id, [u.checked.sha256 for u in uploads])
    fresh = [u for u in uploads if u.checked.sha256 not in known]  # the same file again: already there
    attachment_store.add_attachments(session, [
        {**asdict(u.checked), "case_id": case.id, "purpose": purpose, "description": None, "task_id": None,
         "uploaded_at": ctx.clock.now(), "uploaded_by": PORTAL_ACTOR}
        for u in fresh
    ])  # fmt: skip
    names = [u.checked.name for u in uploads]
    audit(session, ctx, instance_id=case.instance_id, action="pqrsd_anexo", actor=PORTAL_ACTOR,
          summary=f"El peticionario anexó {', '.join(f'«{n}»' for n in names)} {why}",
          after={"anexos": [{"nombre": u.checked.name, "sha256": u.checked.sha256, "bytes": u.checked.size}
                            for u in fresh]})  # fmt: skip
    return names
