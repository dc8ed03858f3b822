"""Tables the staff web needs beside the engine's: task drafts and sign-in attempts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class TaskDraft(Base):
    """What a user typed in a task form and saved without completing; one per task and user."""

    __tablename__ = "task_drafts"
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"), primary_key=True)
    username: Mapped[str] = mapped_column(String(120), primary_key=True)
    # raw form values as typed (text), so a half-filled invalid form comes back exactly as left
    values: Mapped[dict[str, Any]] = mapped_column(JSON)
    saved_at: Mapped[datetime]


class LoginAttempt(Base):
    """Sign-in attempts as rows, so rate limiting holds across web processes and machines."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_username_at", "username", "at"),
        Index("ix_login_attempts_source_at", "source", "at"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    username: Mapped[str] = mapped_column(String(120))
    source: Mapped[str] = mapped_column(String(64))  # client address
    at: Mapped[datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean, default=False)
