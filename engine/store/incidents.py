"""Incidents as the retry use case reads and resolves them, and the incident of a timer out of attempts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from engine.store.tables import Incident, UtcDateTime

START_TIMER_REF = "timer:"  # an incident of a timer start event points at its timer row

_IN = cast(Table, Incident.__table__)
_SELECT_INCIDENT = select(
    _IN.c.id, _IN.c.instance_id, _IN.c.spiff_id, _IN.c.bpmn_id, _IN.c.kind, _IN.c.resolved_at
).where(_IN.c.id == bindparam("iid"))
_RESOLVE = (
    update(_IN)
    .where(_IN.c.id == bindparam("iid"))
    .values(resolved_at=bindparam("now", type_=UtcDateTime()), resolved_by=bindparam("actor"))
)
_INSERT_INCIDENT = insert(_IN)


@dataclass(frozen=True)
class IncidentRow:
    id: int
    instance_id: int | None
    spiff_id: str | None
    bpmn_id: str | None
    kind: str
    resolved_at: datetime | None

    @property
    def start_timer_id(self) -> int | None:
        """The timer row of a timer start event's incident (it has no task to point at)."""
        ref = self.spiff_id or ""
        return int(ref.removeprefix(START_TIMER_REF)) if ref.startswith(START_TIMER_REF) else None


def load_incident(session: Session, incident_id: int) -> IncidentRow | None:
    row = session.connection().execute(_SELECT_INCIDENT, {"iid": incident_id}).first()
    return IncidentRow(*row) if row is not None else None


def resolve_incident(session: Session, incident_id: int, now: datetime, actor: str | None) -> None:
    session.connection().execute(_RESOLVE, {"iid": incident_id, "now": now, "actor": actor})


def resolve_open_incidents(session: Session, instance_id: int, now: datetime, actor: str | None) -> None:
    session.execute(
        update(_IN)
        .where(_IN.c.instance_id == instance_id, _IN.c.resolved_at.is_(None))
        .values(resolved_at=now, resolved_by=actor)
    )


def open_timer_incident(
    session: Session,
    *,
    instance_id: int | None,
    spiff_id: str | None,
    bpmn_id: str,
    message: str,
    now: datetime,
) -> None:
    session.connection().execute(
        _INSERT_INCIDENT,
        {
            "instance_id": instance_id,
            "spiff_id": spiff_id,
            "bpmn_id": bpmn_id,
            "kind": "timer",
            "created_at": now,
            "message": message,
        },
    )


def open_incident(
    session: Session,
    *,
    kind: str,
    instance_id: int | None,
    reference: str | None,
    bpmn_id: str | None,
    message: str,
    now: datetime,
) -> None:
    """An incident of any kind; `reference` (spiff_id) names what failed when it is no task, e.g. "mail:12"."""
    row = {"instance_id": instance_id, "spiff_id": reference, "bpmn_id": bpmn_id, "kind": kind}
    session.connection().execute(_INSERT_INCIDENT, {**row, "created_at": now, "message": message})


def open_start_timer_incident(
    session: Session, *, timer_id: int, bpmn_id: str, message: str, now: datetime
) -> None:
    reference = f"{START_TIMER_REF}{timer_id}"
    open_timer_incident(
        session, instance_id=None, spiff_id=reference, bpmn_id=bpmn_id, message=message, now=now
    )
