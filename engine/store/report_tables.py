"""Data the PQRSD report measures beside the cases: the counter's turns, quality reviews of answers and the
indicators' goals per vigencia."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class Turno(Base):
    """A turn at the counter (digiturno): issued, called, ended or abandoned; waiting time = called − issued."""

    __tablename__ = "turnos"
    __table_args__ = (Index("ix_turnos_issued_at", "issued_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(20))  # what the citizen's ticket shows, e.g. "A-012"
    punto: Mapped[str] = mapped_column(String(120))  # the attention point (sede, ventanilla)
    issued_at: Mapped[datetime]
    called_at: Mapped[datetime | None]
    ended_at: Mapped[datetime | None]
    abandoned_at: Mapped[datetime | None]
    called_by: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(10))  # web | api | csv
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))


class QualityReview(Base):
    """A reviewer's evaluation of one answered case on the five criteria of calidad y calidez."""

    __tablename__ = "quality_reviews"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("pqrsd_cases.id", ondelete="CASCADE"), unique=True)
    answered_on: Mapped[date] = mapped_column(
        Date, index=True
    )  # the answer's local date: the period it counts in
    coherencia: Mapped[bool] = mapped_column(Boolean)
    claridad: Mapped[bool] = mapped_column(Boolean)
    calidez: Mapped[bool] = mapped_column(Boolean)
    oportunidad: Mapped[bool] = mapped_column(Boolean)
    manejo_sistema: Mapped[bool] = mapped_column(Boolean)
    observaciones: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime]
    reviewer: Mapped[str] = mapped_column(String(120))


class IndicatorGoal(Base):
    """The goal (meta, a percentage) of an indicator for one vigencia (year)."""

    __tablename__ = "indicator_goals"
    __table_args__ = (UniqueConstraint("indicator", "vigencia"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    indicator: Mapped[str] = mapped_column(String(40))
    vigencia: Mapped[int] = mapped_column(Integer)
    meta: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(120))
