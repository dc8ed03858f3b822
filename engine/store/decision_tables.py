"""Deployed DMN decisions, one row per version of a decision key, so a process deployed later can be bound
to them by key and version as Camunda binds `camunda:decisionRef` (engine/runtime/bindings.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class DecisionDefinition(Base):
    __tablename__ = "decision_definitions"
    __table_args__ = (
        UniqueConstraint("key", "version"),
        Index("ix_decision_definitions_key_tag", "key", "version_tag"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    deployment_id: Mapped[int] = mapped_column(ForeignKey("deployments.id"))
    key: Mapped[str] = mapped_column(String(200))
    version: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(300))
    file: Mapped[str] = mapped_column(String(300))
    version_tag: Mapped[str | None] = mapped_column(String(200))
    content_hash: Mapped[str] = mapped_column(String(64))
    # The decision and the decisions it requires, as engine/modeling/dmn.py reads them (JSON-native).
    models: Mapped[dict[str, Any]]
    deployed_at: Mapped[datetime]
