"""Every table module, imported once so Alembic and tests see the whole schema."""

from __future__ import annotations

import engine.store.dependencia_tables  # noqa: F401  (registers the dependencias)
import engine.store.ladder_tables  # noqa: F401  (escalation ladder steps)
import engine.store.legal_tables  # noqa: F401  (registers the calendar, term and PQRSD tables)
import engine.store.notification_tables  # noqa: F401  (notifications, mail outbox, preferences)
import engine.store.portal_tables  # noqa: F401  (surveys, characterizations, portal requests)
import engine.store.report_tables  # noqa: F401  (turns, quality reviews, indicator goals)
from engine.store import tables, web_tables  # noqa: F401  (web_tables: registers its tables)
from engine.store.tables import Base

metadata = Base.metadata
__all__ = ["Base", "metadata", "tables"]
