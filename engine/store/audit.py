"""The audit trail: who did what to which instance or task, with the data keys a step changed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, cast

from sqlalchemy import Table, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from engine.clock import Clock
from engine.store.prepared import Prepared
from engine.store.tables import AuditEvent

_A = cast(Table, AuditEvent.__table__)
_INSERT_AUDIT = Prepared(insert(_A).inline())  # no RETURNING id: pipelined, it is sent with the commit
_RELINK = update(_A).where(_A.c.id == bindparam("aid")).values(instance_id=bindparam("iid"))
_MISSING = object()


class _Clocked(Protocol):
    @property
    def clock(self) -> Clock: ...


def audit(
    session: Session,
    ctx: _Clocked,
    *,
    instance_id: int | None,
    action: str,
    summary: str,
    actor: str | None,
    task_id: int | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    _INSERT_AUDIT.execute(
        session,
        {
            "instance_id": instance_id,
            "task_id": task_id,
            "at": ctx.clock.now(),
            "actor": actor,
            "action": action,
            "summary": summary,
            "data_before": dict(before) if before is not None else None,
            "data_after": dict(after) if after is not None else None,
        },
    )


def relink(session: Session, ctx: _Clocked, *, action: str, actor: str | None, instance_id: int) -> None:
    """Give the latest `action` event written by `actor` in this transaction its instance (known only later)."""
    event_id = session.scalar(
        select(func.max(_A.c.id)).where(
            _A.c.action == action, _A.c.actor == actor, _A.c.instance_id.is_(None)
        )
    )
    if event_id is not None:
        session.connection().execute(_RELINK, {"aid": event_id, "iid": instance_id})


def data_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys that changed, so the audit shows what a step did without copying all data."""
    keys = {k for k in set(before) | set(after) if before.get(k, _MISSING) != after.get(k, _MISSING)}
    return (
        {k: before[k] for k in sorted(keys) if k in before},
        {k: after[k] for k in sorted(keys) if k in after},
    )
