"""The quality evaluation of answers (calidad y calidez): a reproducible monthly sample of answered cases, and a
reviewer's verdict on the five criteria for each; the calidad indicator counts those verdicts."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from engine.context import Context
from engine.errors import BadInput, Conflict, Forbidden, NotFound, ValidationFailed
from engine.identity.users import UserView, acting_user
from engine.reports import pqrsd_queries as q
from engine.reports.pqrsd_measures import CRITERIA
from engine.store import cases as case_store
from engine.store.audit import audit
from engine.store.legal_tables import PqrsdCase
from engine.store.report_tables import QualityReview
from engine.store.uow import UnitOfWork

REVIEWER_ROLES = ("supervisor", "admin")
LOOKBACK = timedelta(days=400)  # answers of a month are for cases received at most this long before it
MAX_NOTE = 2000


@dataclass(frozen=True)
class SampleItem:
    radicado: str
    kind: str
    dependencia: str | None
    answered_on: date
    on_time: bool
    sampled: bool  # drawn by the month's sample (False: reviewed outside it)
    review: dict[str, Any] | None

    def to_dict(self) -> dict[str, Any]:
        return {"radicado": self.radicado, "tipo": self.kind, "dependencia": self.dependencia,
                "respondida": self.answered_on.isoformat(), "oportuna": self.on_time, "en_muestra": self.sampled,
                "evaluacion": self.review}  # fmt: skip


def may_review(user: UserView) -> bool:
    return user.has_role(*REVIEWER_ROLES)


def parse_month(text: str | None, today: date) -> date:
    """'AAAA-MM' → its first day; empty: the month before `today` (the one a reviewer closes)."""
    if not text or not text.strip():
        return (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    try:
        return date.fromisoformat(text.strip()[:7] + "-01")
    except ValueError as error:
        raise BadInput(f"Mes no válido: «{text[:20]}». Use AAAA-MM, por ejemplo 2026-03.") from error


def rank(month: date, radicado: str) -> str:
    """The sample's order: a hash of month and radicado, so the same month always draws the same answers."""
    return hashlib.sha256(f"{month:%Y-%m}:{radicado}".encode()).hexdigest()


def sample(ctx: Context, month: date, user: UserView | str) -> list[SampleItem]:
    """The month's sample (`PHVA_CALIDAD_MUESTRA` answers at most) and every answer of the month reviewed already."""
    tz = ZoneInfo(ctx.settings.timezone)
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    lo, hi = datetime.combine(first, time(0), tzinfo=tz), datetime.combine(following, time(0), tzinfo=tz)
    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        if not may_review(acting_user(s, user)):
            raise Forbidden("Solo supervisores y administradores evalúan la calidad de las respuestas.")
        rows = s.execute(
            select(
                PqrsdCase.id,
                PqrsdCase.radicado,
                PqrsdCase.kind,
                PqrsdCase.dependencia,
                q.ANSWERED_AT,
                q.ON_TIME,
            )
            .where(
                PqrsdCase.received_at >= lo - LOOKBACK, PqrsdCase.received_at < hi, q.ANSWERED_AT.is_not(None)
            )
            .order_by(PqrsdCase.id)
        ).all()
        reviews = {
            r.case_id: _review_dict(r, tz)
            for r in s.scalars(
                select(QualityReview).where(
                    QualityReview.answered_on >= first, QualityReview.answered_on < following
                )
            )
        }
    answered = []
    for case_id, radicado, kind, dependencia, answered_at, on_time in rows:
        day = datetime.fromisoformat(str(answered_at)).astimezone(tz).date()
        if first <= day < following:
            answered.append((rank(first, radicado), case_id, radicado, kind, dependencia, day, bool(on_time)))
    answered.sort()
    drawn = {item[1] for item in answered[: ctx.settings.calidad_muestra]}
    return [
        SampleItem(radicado, kind, dep, day, on_time, case_id in drawn, reviews.get(case_id))
        for _, case_id, radicado, kind, dep, day, on_time in answered
        if case_id in drawn or case_id in reviews
    ]


def _review_dict(review: QualityReview | None, tz: ZoneInfo) -> dict[str, Any] | None:
    if review is None:
        return None
    return {
        **{key: bool(getattr(review, key)) for key in CRITERIA},
        "cumple_todos": all(getattr(review, key) for key in CRITERIA),
        "observaciones": review.observaciones,
        "evaluador": review.reviewer,
        "evaluada": review.reviewed_at.astimezone(tz).isoformat(),
    }


def _flag(raw: Mapping[str, Any], key: str, errors: dict[str, str]) -> bool:
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in {"", "no", "false", "0", "off"}:
        return False
    if text in {"si", "sí", "true", "1", "on", "cumple"}:
        return True
    errors[key] = "Indique sí o no."
    return False


def review(ctx: Context, radicado: str, raw: Mapping[str, Any], user: UserView | str) -> dict[str, Any]:
    """Record (or correct) the reviewer's verdict on an answered case: one row per case, audited, one commit."""
    errors: dict[str, str] = {}
    verdict = {key: _flag(raw, key, errors) for key in CRITERIA}
    note = raw.get("observaciones")
    note_text = str(note).strip() if isinstance(note, str) else ""
    if note is not None and not isinstance(note, str):
        errors["observaciones"] = "Debe ser un texto."
    elif len(note_text) > MAX_NOTE:
        errors["observaciones"] = f"Es demasiado largo: máximo {MAX_NOTE} caracteres."
    unknown = sorted(set(raw) - {*CRITERIA, "observaciones", "csrf_token", "mes"})
    errors.update({key: "Campo desconocido." for key in unknown})
    if errors:
        raise ValidationFailed("Revise la evaluación: no se guardó nada.", errors)
    tz = ZoneInfo(ctx.settings.timezone)
    with UnitOfWork(ctx.db) as uow:
        s = uow.session
        acting = acting_user(s, user)
        if not may_review(acting):
            raise Forbidden("Solo supervisores y administradores evalúan la calidad de las respuestas.")
        case = case_store.case_by_radicado(s, radicado.strip())
        if case is None:
            raise NotFound(f"No existe el radicado «{radicado}».")
        answered_at = (case.respuesta or {}).get("enviada_at")
        if not answered_at:
            raise Conflict(
                f"La PQRSD {case.radicado} aún no tiene respuesta: se evalúa después de responderla."
            )
        row = s.scalar(select(QualityReview).where(QualityReview.case_id == case.id))
        before = None if row is None else {key: getattr(row, key) for key in CRITERIA}
        if row is None:
            row = QualityReview(case_id=case.id)
            s.add(row)
        row.answered_on = datetime.fromisoformat(str(answered_at)).astimezone(tz).date()
        for key, value in verdict.items():
            setattr(row, key, value)
        row.observaciones = note_text or None
        row.reviewed_at, row.reviewer = ctx.clock.now(), acting.username
        met = sum(verdict.values())
        audit(s, ctx, instance_id=case.instance_id, action="calidad_evaluada", actor=acting.username,
              summary=f"Evaluó la calidad de la respuesta de {case.radicado}: cumple {met} de {len(CRITERIA)} criterios",
              before=before, after={"radicado": case.radicado, **verdict})  # fmt: skip
        s.flush()
        result = _review_dict(row, tz)
        uow.commit()
    assert result is not None
    return {"radicado": case.radicado, **result}
