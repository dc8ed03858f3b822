"""Notification tables: in-app notifications, the mail outbox, each user's preferences, and scan marks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class Notification(Base):
    """One in-app notification of one user; `key` makes an event notify each recipient once."""

    __tablename__ = "notifications"
    __table_args__ = (
        UniqueConstraint("recipient", "key"),  # NULL keys never collide: unkeyed events always notify
        Index("ix_notifications_recipient_read", "recipient", "read_at"),  # the bell: unread of a user
        Index("ix_notifications_recipient_id", "recipient", "id"),  # the list, newest first
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(120))  # a username
    event: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(String(500))  # a path in the app, e.g. /tareas/12
    instance_id: Mapped[int | None] = mapped_column(Integer)  # history: no foreign key to keep it alive
    task_id: Mapped[int | None] = mapped_column(Integer)
    key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class MailOutbox(Base):
    """A message to send, written in the transaction of its event; the scheduler's sender delivers it."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        UniqueConstraint("recipient", "key"),
        Index("ix_mail_outbox_status_next", "status", "next_attempt_at"),  # the sender's claim
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    recipient: Mapped[str] = mapped_column(String(300))  # an address
    username: Mapped[str | None] = mapped_column(String(120))  # None: a citizen's address
    subject: Mapped[str] = mapped_column(String(300))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    # [{"name", "media_type", "base64"}]: the acuse's PDF, rendered in the radicación's transaction.
    attachments: Mapped[list[Any] | None] = mapped_column(JSON)
    event: Mapped[str] = mapped_column(String(40))
    key: Mapped[str | None] = mapped_column(String(200))
    instance_id: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # pending | sending | sent | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]  # pending: not before; sending: the claim expires then
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]


class NotificationPreference(Base):
    """How a user wants one event: app | email | both | none (no row: the event's default)."""

    __tablename__ = "notification_preferences"
    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    event: Mapped[str] = mapped_column(String(40), primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))


class NotificationMark(Base):
    """How far a periodic scan got (case alerts) or the last day it ran (the digest), shared by schedulers."""

    __tablename__ = "notification_marks"
    name: Mapped[str] = mapped_column(String(60), primary_key=True)
    until: Mapped[datetime]
