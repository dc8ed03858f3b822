"""Every table module, imported once so Alembic and tests see the whole schema."""

from __future__ import annotations

from engine.store import tables
from engine.store.tables import Base

metadata = Base.metadata
__all__ = ["Base", "metadata", "tables"]
