"""Typed SQLAlchemy tables: definitions, instances and the query tables kept in step with them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# BigInteger ids on PostgreSQL, plain INTEGER PRIMARY KEY (rowid) on SQLite.
Id = BigInteger().with_variant(Integer(), "sqlite")


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes in and out, on SQLite (which keeps no zone) as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored: use aware UTC datetimes")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON, datetime: UtcDateTime()}


class Deployment(Base):
    __tablename__ = "deployments"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    created_at: Mapped[datetime]
    created_by: Mapped[str | None] = mapped_column(String(120))
    files: Mapped[list[Any]]
    summary: Mapped[dict[str, Any]]


class DeploymentSource(Base):
    """Each deployed file once per deployment, as sent: the versions made from it name it by file name."""

    __tablename__ = "deployment_sources"
    __table_args__ = (UniqueConstraint("deployment_id", "name"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    name: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the text as stored


class ProcessDefinition(Base):
    __tablename__ = "process_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_process_definitions_key_hash", "key", "content_hash"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    name: Mapped[str] = mapped_column(String(300))
    file: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    # Spec serialized once per version (never inside every instance): JSON text, key order preserved.
    spec_json: Mapped[str] = mapped_column(Text)
    # Names of its files in deployment_sources (same deployment): the file itself, then what it calls.
    source_files: Mapped[list[Any]]
    documentation: Mapped[str | None] = mapped_column(Text)
    properties: Mapped[dict[str, Any]]
    form_refs: Mapped[list[Any]]
    deployed_at: Mapped[datetime]


class FormDefinition(Base):
    __tablename__ = "form_definitions"
    __table_args__ = (UniqueConstraint("form_id", "version"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    form_id: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    file: Mapped[str] = mapped_column(String(300))
    content_hash: Mapped[str] = mapped_column(String(64))
    schema: Mapped[dict[str, Any]]
    deployed_at: Mapped[datetime]


class ProcessInstance(Base):
    __tablename__ = "process_instances"
    __table_args__ = (Index("ix_process_instances_key_status", "process_key", "status"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definitions.id"))
    process_key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    business_key: Mapped[str | None] = mapped_column(String(200), index=True)
    status: Mapped[str] = mapped_column(String(20))  # running | completed | incident | cancelled
    # Serialized SpiffWorkflow state as text: jsonb would reorder keys (silent data loss, SPIFF_NOTES.md).
    state: Mapped[str] = mapped_column(Text)
    row_version: Mapped[int] = mapped_column(Integer, default=1)
    completed_activities: Mapped[list[Any]]
    # Bit 1: has waiting timer rows, bit 2: message waits — lets a save skip looking for rows it never wrote.
    waits: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime]
    started_by: Mapped[str | None] = mapped_column(String(120))
    updated_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_state_assignee", "state", "assignee"),
        Index("ix_tasks_state_due", "state", "due_at"),
        Index("ix_tasks_instance_state", "instance_id", "state"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    spiff_id: Mapped[str] = mapped_column(String(36), unique=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    process_key: Mapped[str] = mapped_column(String(200), index=True)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str] = mapped_column(String(300))
    lane: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(20))  # ready | completed | cancelled
    assignee: Mapped[str | None] = mapped_column(String(120))
    candidate_users: Mapped[list[Any]]
    candidate_groups: Mapped[list[Any]]
    due_at: Mapped[datetime | None]
    follow_up_at: Mapped[datetime | None]
    priority: Mapped[int] = mapped_column(Integer, default=50)
    form: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    completed_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(120))


class TaskCandidate(Base):
    """One row per candidate user or group, so 'tasks I may take' is an indexed query."""

    __tablename__ = "task_candidates"
    __table_args__ = (Index("ix_task_candidates_lookup", "kind", "value", "task_id"),)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(5), primary_key=True)  # user | group
    value: Mapped[str] = mapped_column(String(120), primary_key=True)


class Timer(Base):
    """A waiting timer of an instance, or (instance_id NULL) a timer start event of a deployed version."""

    __tablename__ = "timers"
    __table_args__ = (Index("ix_timers_status_due", "status", "due_at"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    definition_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_definitions.id", ondelete="CASCADE"), index=True
    )
    spiff_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    name: Mapped[str | None] = mapped_column(String(300))
    kind: Mapped[str] = mapped_column(String(20))  # boundary | intermediate | start | event_gateway
    timer_type: Mapped[str] = mapped_column(String(10))  # date | duration | cycle
    interrupting: Mapped[bool] = mapped_column(Boolean, default=True)
    due_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10))  # waiting | fired | cancelled
    created_at: Mapped[datetime]
    fired_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    retry_at: Mapped[datetime | None]  # after a failed firing: not before this (backoff); a claim's lease end
    # Set by the pre-claim committed before a firing, cleared when the firing ends either way: a waiting
    # timer still claimed past its lease belongs to a firing that never finished (the process died).
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(String(200))
    # Start-event cycles only: {"cycles": repetitions left (-1 forever), "seconds": period}.
    repeat: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class MessageWait(Base):
    __tablename__ = "message_waits"
    __table_args__ = (Index("ix_message_waits_name", "message_name", "instance_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    spiff_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    message_name: Mapped[str] = mapped_column(String(200))


class Incident(Base):
    __tablename__ = "incidents"
    __table_args__ = (Index("ix_incidents_open", "resolved_at", "instance_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    spiff_id: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # script | service | timer | expression
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None]
    resolved_by: Mapped[str | None] = mapped_column(String(120))


class AuditEvent(Base):
    __tablename__ = "audit_events"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instances.id", ondelete="CASCADE"), index=True
    )
    task_id: Mapped[int | None] = mapped_column(Integer)
    at: Mapped[datetime]
    actor: Mapped[str | None] = mapped_column(String(120))
    action: Mapped[str] = mapped_column(String(40))
    summary: Mapped[str] = mapped_column(Text)
    data_before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    data_after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(120), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(300))
    roles: Mapped[list[Any]]
    groups: Mapped[list[Any]]
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    # Sign-out and a password change increase it; a session cookie carries the value it was issued under.
    session_version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class ApiToken(Base):
    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]  # NULL only for rows from before expiry existed; 0015 gives them one
