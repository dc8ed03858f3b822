"""Every table module, imported once so Alembic and tests see the whole schema."""

from __future__ import annotations

# Imported for what they register on Base.metadata: dependencias, escalation ladder steps, the calendar, term and
# PQRSD tables, notifications and the mail outbox, the portal's surveys and requests, the report's own data,
# who sees which open task and which case, the supervision dashboard's rows and counters (and their triggers).
from engine.store import (  # noqa: F401
    case_visibility_tables,
    decision_tables,
    dependencia_tables,
    event_tables,
    ladder_tables,
    legal_tables,
    notification_tables,
    portal_tables,
    report_tables,
    supervision_tables,
    tables,
    visibility_tables,
    web_tables,
)
from engine.store.tables import Base

metadata = Base.metadata
__all__ = ["Base", "metadata", "tables"]
