"""Filing a PQRSD from the portal: the human check, the address's rate limit, every field and file checked
together, then the one radicación service (`radicacion.file_pqrsd`, channel «Formulario web»); the files, the
characterization and the request count follow in one more transaction."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.exc import IntegrityError

from engine.context import Context
from engine.errors import BadInput, PhvaError
from engine.portal import form, human_check, limits
from engine.portal.files import PORTAL_ACTOR, store_on_case
from engine.pqrsd import attachments, radicacion, views
from engine.pqrsd.attachments import Upload
from engine.pqrsd.filing import parse_filing
from engine.pqrsd.records import CaseRecord
from engine.store import cases as case_store
from engine.store import portal as portal_store
from engine.store.uow import UnitOfWork

CHANNEL = "formulario_web"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HumanAnswer:
    """What the form sent for the human check."""

    token: str = ""
    answer: str = ""
    honeypot: str = ""


@dataclass(frozen=True)
class Filed:
    case: CaseRecord
    files: list[str] = field(default_factory=list)
    problem: str | None = None  # the radicado stands, but this did not get stored


def filing_form(ctx: Context) -> dict[str, Any]:
    return form.portal_form(views.filing_page(ctx, staff=False))


def file_from_portal(
    ctx: Context,
    raw: Mapping[str, Any],
    files: Sequence[tuple[str, bytes]],
    *,
    source: str,
    secret: bytes,
    human: HumanAnswer,
) -> Filed:
    """Radicate a citizen's filing, or raise ValidationFailed naming every wrong field (nothing written)."""
    nonce = _human_check(ctx, secret, human)
    with UnitOfWork(ctx.db, write=False) as uow:
        limits.refuse_if_over(ctx, uow.session, source, limits.FILING)
        if nonce is not None and portal_store.nonce_used(uow.session, nonce):
            raise form.refuse({human_check.FIELD: human_check.WRONG})
    filing_raw, profile_raw = form.split(raw)
    errors: dict[str, str] = {}
    kinds = [o["value"] for f in filing_form(ctx)["fields"] if f["key"] == "tipo" for o in f["options"]]
    try:
        parse_filing(filing_raw, kinds=kinds, now=ctx.clock.now(), tz=ZoneInfo(ctx.settings.timezone),
                     default_channel=CHANNEL)  # fmt: skip
    except BadInput as error:
        errors.update(error.details or {"descripcion": error.message})
    profile, profile_errors = form.parse_profile(profile_raw)
    errors.update(profile_errors)
    uploads: list[Upload] = []
    try:
        uploads = attachments.check_files(ctx, files)
    except BadInput as error:
        errors[attachments.FIELD] = error.message
    if errors:
        raise form.refuse(errors)
    record = radicacion.file_pqrsd(ctx, filing_raw, actor=PORTAL_ACTOR, default_channel=CHANNEL)
    try:
        stored = _after_filing(ctx, record["radicado"], uploads, profile, source, nonce)
    except (PhvaError, OSError) as error:
        log.exception("anexos o caracterización de la radicación %s sin guardar", record["radicado"])
        reason = error.message if isinstance(error, PhvaError) else "no se pudieron guardar."
        return Filed(record, [], f"Sus anexos o datos de caracterización no se guardaron: {reason}")
    return Filed(record, stored)


def _human_check(ctx: Context, secret: bytes, human: HumanAnswer) -> str | None:
    if not ctx.settings.portal_human_check:
        return None
    return human_check.verify(
        secret, human.token, human.answer, human.honeypot, ctx.clock.now(),
        min_seconds=ctx.settings.portal_min_fill_seconds,
    )  # fmt: skip


def _after_filing(
    ctx: Context,
    radicado: str,
    uploads: Sequence[Upload],
    profile: form.Profile | None,
    source: str,
    nonce: str | None,
) -> list[str]:
    """The files, the characterization and the request count: one transaction after the radicado."""
    for attempt_nonce in (nonce, None):  # the nonce, unless a twin request used it a moment before
        with UnitOfWork(ctx.db) as uow:
            session = uow.session
            case = case_store.case_for_update(session, radicado)
            assert case is not None
            try:
                limits.count(ctx, session, source, limits.FILING, nonce=attempt_nonce)
            except IntegrityError:
                continue
            names = store_on_case(
                ctx, session, case, uploads, purpose="radicacion", why="al radicar por el portal"
            )
            if profile is not None:
                portal_store.add_characterization(
                    session, case_id=case.id, enfoque_diferencial=list(profile.enfoque_diferencial),
                    genero=profile.genero, rango_edad=profile.rango_edad, territorio=profile.territorio,
                    consented_at=ctx.clock.now().astimezone(UTC),
                )  # fmt: skip
            uow.commit()
            return names
    raise AssertionError("unreachable: the second attempt records no nonce")
