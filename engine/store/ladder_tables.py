"""Escalation ladder steps: one row per step of a ready task's ladder, with its moment and its outcome."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Id


class LadderStep(Base):
    """A step armed when its task became ready; the scheduler gives it its moment, then fires it once.

    status: pending (moment not computed yet) · waiting (due at `fire_at`) · no_due (needs a due date the
    task lacks) · fired · cancelled (the task ended first) · failed (out of attempts: see `incident_id`).
    """

    __tablename__ = "ladder_steps"
    __table_args__ = (
        UniqueConstraint("task_id", "position"),
        Index("ix_ladder_steps_status_fire", "status", "fire_at"),
        Index("ix_ladder_steps_instance_status", "instance_id", "status"),
    )
    id: Mapped[int] = mapped_column(Id, primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instances.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)  # order in the ladder, from 1
    when_text: Mapped[str] = mapped_column(String(40))  # canonical: 50%, 2/3, 100%+2d, 3d
    action: Mapped[str] = mapped_column(String(40))
    argument: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))
    fire_at: Mapped[datetime | None]
    base_due_at: Mapped[datetime | None]  # the task's due date `fire_at` was computed from
    created_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]  # when it fired, was cancelled or failed for good
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retry_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id", ondelete="SET NULL"))
