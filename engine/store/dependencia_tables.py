"""Dependencias (the groups users belong to and models route tasks to) as rows, so a group must exist."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class Dependencia(Base):
    """A dependencia of the entity; `code` is what users' groups and `camunda:candidateGroups` name."""

    __tablename__ = "dependencias"
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    code: Mapped[str] = mapped_column(String(120), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
