"""Rows an instance migration reads and changes: the versions of a key, the instances of a version, the move."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Table, select, update
from sqlalchemy.orm import Session

from engine.errors import Conflict
from engine.store.tables import ProcessDefinition, ProcessInstance, Task

_I = cast(Table, ProcessInstance.__table__)
_T = cast(Table, Task.__table__)


def definition_version(session: Session, key: str, version: int) -> ProcessDefinition | None:
    return session.scalar(
        select(ProcessDefinition).where(ProcessDefinition.key == key, ProcessDefinition.version == version)
    )


def open_instance_ids(session: Session, definition_id: int, limit: int) -> list[int]:
    """Instances of the version that are still running (or stopped on an incident), oldest first."""
    query = (
        select(_I.c.id)
        .where(_I.c.definition_id == definition_id, _I.c.status.in_(("running", "incident")))
        .order_by(_I.c.id)
        .limit(limit)
    )
    return list(session.scalars(query))


def move_instance(
    session: Session, instance_id: int, row_version: int, definition_id: int, version: int
) -> None:
    """Point the instance at the new version, under the same optimistic lock as every save."""
    result = cast(
        CursorResult[Any],
        session.connection().execute(
            update(_I)
            .where(_I.c.id == instance_id, _I.c.row_version == row_version)
            .values(definition_id=definition_id, version=version)
        ),
    )
    if result.rowcount != 1:
        raise Conflict(f"Otro usuario cambió el proceso {instance_id} al mismo tiempo; vuelva a intentarlo.")


def move_open_tasks(session: Session, instance_id: int, pairs: list[tuple[str, str]]) -> None:
    """Open task rows follow their task onto the new element; as in Camunda, name and assignee stay as they were."""
    conn = session.connection()
    for old, new in pairs:
        if old != new:
            conn.execute(
                update(_T)
                .where(_T.c.instance_id == instance_id, _T.c.state == "ready", _T.c.bpmn_id == old)
                .values(bpmn_id=new)
            )
