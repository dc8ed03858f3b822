"""Signal subscriptions: which instance waits for which signal, so a broadcast finds them without
deserializing every workflow (kept in step with the serialized state by every save, like message waits)."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class SignalWait(Base):
    __tablename__ = "signal_waits"
    __table_args__ = (Index("ix_signal_waits_name", "signal_name", "instance_id"),)
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    spiff_id: Mapped[str] = mapped_column(String(36))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    signal_name: Mapped[str] = mapped_column(String(200))
