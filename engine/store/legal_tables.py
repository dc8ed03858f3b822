"""Legal data as rows: the business-day calendar, entity settings, versioned PQRSD terms and PQRSD cases."""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class CalendarYear(Base):
    """A year whose national holidays were generated into `calendar_days` (and by which generator)."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    generator: Mapped[str] = mapped_column(String(60))  # e.g. "holidays 0.109"
    holiday_count: Mapped[int] = mapped_column(Integer)
    generated_at: Mapped[datetime]
    generated_by: Mapped[str | None] = mapped_column(String(120))


class CalendarDay(Base):
    """A national non-working day (Ley 51 de 1983, Ley 2578 de 2026…) with its name and source act."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    year: Mapped[int] = mapped_column(
        Integer, ForeignKey("calendar_years.year", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(300))
    source_act: Mapped[str] = mapped_column(String(200))


class CalendarClosure(Base):
    """An entity closure (día cívico, 24/31 December, office closed); reopening keeps the row as history."""

    __tablename__ = "calendar_closures"
    __table_args__ = (
        # At most one closure in force per day; reopened rows stay for the audit trail.
        Index(
            "uq_calendar_closures_open_day",
            "day",
            unique=True,
            sqlite_where=text("removed_at IS NULL"),
            postgresql_where=text("removed_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(300))
    legal_act: Mapped[str] = mapped_column(String(300))
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))
    removed_at: Mapped[datetime | None]
    removed_by: Mapped[str | None] = mapped_column(String(120))


class EntitySettings(Base):
    """The entity's calendar policy (one row, id 1): what its reglamento interno of petitions says."""

    __tablename__ = "entity_settings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    saturday_is_business_day: Mapped[bool] = mapped_column(Boolean)
    closing_time: Mapped[time] = mapped_column(Time)
    saturday_closing_time: Mapped[time] = mapped_column(Time)
    radicacion_policy: Mapped[str] = mapped_column(String(1))  # A | B
    timezone: Mapped[str] = mapped_column(String(60))
    suspension_mode: Mapped[str] = mapped_column(String(10))  # resume | restart
    # Bumped on every closure, setting or term change so other processes drop their cached calendar.
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime]
    updated_by: Mapped[str | None] = mapped_column(String(120))


class TermVersion(Base):
    """One edit of the PQRSD term table; cases keep the version they were filed under."""

    __tablename__ = "term_versions"
    version: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    fingerprint: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))


class TermRowRecord(Base):
    __tablename__ = "term_rows"
    __table_args__ = (UniqueConstraint("version", "kind", "valid_from"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, ForeignKey("term_versions.version", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(80))
    amount: Mapped[int] = mapped_column(Integer)
    unit: Mapped[str] = mapped_column(String(12))  # habiles | calendario | meses | horas
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date)
    legal_basis: Mapped[str] = mapped_column(Text)
    label: Mapped[str] = mapped_column(String(300))
    prorroga_max: Mapped[int | None] = mapped_column(Integer)


class RadicadoSequence(Base):
    """The last consecutive number handed out per year (radicado `AAAA-NNNNNN`)."""

    __tablename__ = "radicado_sequences"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer)


class PqrsdCase(Base):
    __tablename__ = "pqrsd_cases"
    __table_args__ = (
        Index("ix_pqrsd_cases_status_due", "status", "due_at"),
        Index("ix_pqrsd_cases_petitioner_name", "petitioner_name"),
        Index("ix_pqrsd_cases_document_number", "document_number"),
        Index("ix_pqrsd_cases_received_at", "received_at"),
        Index("ix_pqrsd_cases_due_id", "due_at", "id"),  # the bandeja's order: a page is an index range
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    radicado: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(80))
    channel: Mapped[str] = mapped_column(String(40))
    anonymous: Mapped[bool] = mapped_column(Boolean)
    priority: Mapped[str] = mapped_column(String(30))  # normal | prioritaria_art20 | urgente_vida_integridad…
    received_at: Mapped[datetime]  # the real reception moment, as the acuse shows it
    radicacion_date: Mapped[date] = mapped_column(Date)  # the legal anchor (policy A/B)
    radicacion_policy: Mapped[str] = mapped_column(String(1))
    term_version: Mapped[int] = mapped_column(Integer, ForeignKey("term_versions.version"))
    term_key: Mapped[str] = mapped_column(String(120))
    term: Mapped[dict[str, Any]]  # the term row itself, so the case stays reproducible
    due_at: Mapped[datetime | None]  # None while an art. 17 requerimiento waits for the citizen
    original_due_at: Mapped[datetime]
    explanation: Mapped[dict[str, Any]]  # DueDate.to_dict(): the Spanish trace and the days counted
    status: Mapped[str] = mapped_column(String(30))
    suspensions: Mapped[list[Any]]  # [{"requerimiento_at", "compliance_at"}] ISO texts
    prorroga: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    traslado: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    respuesta: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # enviada_at, medio, radicado_salida
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # how it closed: acto, motivo, by whom
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="SET NULL"), index=True
    )
    petitioner_name: Mapped[str | None] = mapped_column(String(300))
    document_type: Mapped[str | None] = mapped_column(String(20))
    document_number: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str | None] = mapped_column(String(300))
    subject: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str | None] = mapped_column(Text)
    codigo_consulta: Mapped[str | None] = mapped_column(String(20))
    dependencia: Mapped[str | None] = mapped_column(String(120), index=True)  # the one answering it
    amarillo_at: Mapped[
        datetime | None
    ]  # when the semáforo turns amarillo (share of the term, business days)
    alerta_at: Mapped[datetime | None]  # when the 2/3 alert is due
    received_by: Mapped[str | None] = mapped_column(String(120))
    petitioner_type: Mapped[str | None] = mapped_column(String(30))
    notify_electronically: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    identity_reserved: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]


class CaseAttachment(Base):
    """A file on a PQRSD case (given at filing, on the case or on one of its tasks); its bytes live by sha256."""

    __tablename__ = "case_attachments"
    # One row per content per case: the download address is the radicado and the sha256.
    __table_args__ = (UniqueConstraint("case_id", "sha256"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("pqrsd_cases.id", ondelete="CASCADE"))
    sha256: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))  # the cleaned base name, as downloads offer it
    media_type: Mapped[str] = mapped_column(String(120))  # recognised from the content, not the name
    size: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(20))  # radicacion | caso | tarea
    description: Mapped[str | None] = mapped_column(Text)
    task_id: Mapped[int | None] = mapped_column(ForeignKey("tasks.id", ondelete="SET NULL"), index=True)
    uploaded_at: Mapped[datetime]
    uploaded_by: Mapped[str | None] = mapped_column(String(120))
