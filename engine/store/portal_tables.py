"""Tables of the citizens' portal: satisfaction surveys, the characterization a citizen agreed to give, and the
portal's request log that rate limits each client address across web processes."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id

SURVEY_SOURCES = ("portal", "funcionario")


class PqrsdSurvey(Base):
    """The satisfaction survey of one answered case: once per case, from the portal or registered by staff."""

    __tablename__ = "pqrsd_surveys"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating"),
        CheckConstraint("source IN ('portal', 'funcionario')", name="source"),
        Index("ix_pqrsd_surveys_answered_at", "answered_at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("pqrsd_cases.id", ondelete="CASCADE"), unique=True)
    answered_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(20))
    rating: Mapped[int] = mapped_column(Integer)  # 1 muy insatisfecho … 5 muy satisfecho
    answers: Mapped[dict[str, Any]] = mapped_column(
        JSON
    )  # the other questions: claridad, tiempo, comentarios…


class PqrsdCharacterization(Base):
    """What a citizen told about themselves for the caracterización, with their consent (Ley 1581 de 2012)."""

    __tablename__ = "pqrsd_characterizations"
    case_id: Mapped[int] = mapped_column(ForeignKey("pqrsd_cases.id", ondelete="CASCADE"), primary_key=True)
    enfoque_diferencial: Mapped[list[Any]]  # codes of engine.portal.form.ENFOQUES
    genero: Mapped[str | None] = mapped_column(String(30))
    rango_edad: Mapped[str | None] = mapped_column(String(30))
    territorio: Mapped[str | None] = mapped_column(String(200))  # municipio, localidad or vereda
    consented_at: Mapped[datetime]


class PortalRequest(Base):
    """One counted portal request (a filing, a failed or good lookup) of a client address; old rows expire."""

    __tablename__ = "portal_requests"
    __table_args__ = (Index("ix_portal_requests_source_kind_at", "source", "kind", "at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))  # client address
    kind: Mapped[str] = mapped_column(String(20))  # radicacion | consulta_fallida
    at: Mapped[datetime]
    nonce: Mapped[str | None] = mapped_column(String(64), unique=True)  # a human check's, used once
