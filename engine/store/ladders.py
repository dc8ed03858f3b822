"""Ladder step rows as arming, scheduling and firing read and change them, with prebuilt statements.

Claims lock what they return on PostgreSQL (`lock=True`: FOR UPDATE SKIP LOCKED), so several schedulers share
the steps without waiting for or repeating each other's; on SQLite writers are serialized and `lock` is False.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, Select, Table, bindparam, func, insert, or_, select, update
from sqlalchemy.orm import Session

from engine.store.ladder_tables import LadderStep
from engine.store.tables import Incident, ProcessDefinition, ProcessInstance, Task, UtcDateTime

_S, _T, _I, _IN, _D = (
    cast(Table, m.__table__) for m in (LadderStep, Task, ProcessInstance, Incident, ProcessDefinition)
)
_NOW = bindparam("now", type_=UtcDateTime())
LIVE = ("pending", "waiting", "no_due")  # not fired, cancelled or failed yet

_INSERT = insert(_S)
_READY_OF_INSTANCE = select(_T.c.id).where(_T.c.instance_id == bindparam("iid"), _T.c.state == "ready")
_CANCEL_ENDED = (
    update(_S)
    .where(
        _S.c.instance_id == bindparam("iid"),
        _S.c.status.in_(LIVE),
        _S.c.task_id.not_in(_READY_OF_INSTANCE.scalar_subquery()),
    )
    .values(status="cancelled", ended_at=_NOW)
)
_CANCEL_TASK = (
    update(_S)
    .where(_S.c.task_id == bindparam("tid"), _S.c.status.in_(LIVE))
    .values(status="cancelled", ended_at=_NOW)
)
_RESCHEDULE = (
    update(_S)
    .where(_S.c.instance_id == bindparam("iid"), _S.c.status.in_(("waiting", "no_due")))
    .values(status="pending", fire_at=None, base_due_at=None)
)
_RESCHEDULE_TASK = (
    update(_S)
    .where(_S.c.task_id == bindparam("tid"), _S.c.status.in_(("waiting", "no_due")))
    .values(status="pending", fire_at=None, base_due_at=None)
)
_SET_MOMENT = (
    update(_S)
    .where(_S.c.id == bindparam("sid"))
    .values(
        status=bindparam("p_status"),
        fire_at=bindparam("p_fire_at", type_=UtcDateTime()),
        base_due_at=bindparam("p_due", type_=UtcDateTime()),
        ended_at=bindparam("p_ended", type_=UtcDateTime()),
    )
)
_MARK_FIRED = update(_S).where(_S.c.id == bindparam("sid")).values(status="fired", ended_at=_NOW)
_COUNT_FAILURE = (
    update(_S)
    .where(_S.c.id == bindparam("sid"))
    .values(
        attempts=bindparam("p_attempts"),
        last_error=bindparam("p_error"),
        retry_at=bindparam("p_retry_at", type_=UtcDateTime()),
        status=bindparam("p_status"),
        incident_id=bindparam("p_incident"),
        ended_at=bindparam("p_ended", type_=UtcDateTime()),
    )
)
_RESOLVED = select(_IN.c.id).where(_IN.c.resolved_at.is_not(None))
_REARM_RESOLVED = (
    update(_S)
    .where(_S.c.status == "failed", _S.c.incident_id.in_(_RESOLVED.scalar_subquery()))
    .values(status="waiting", attempts=0, retry_at=None, incident_id=None)
)
_DUE_NOW = (
    _S.c.status == "waiting",
    _S.c.fire_at <= _NOW,
    or_(_S.c.retry_at.is_(None), _S.c.retry_at <= _NOW),
)
_WORK_AHEAD = select(
    select(_S.c.id).where(_S.c.status == "pending").exists(),
    select(_S.c.id)
    .where(_S.c.status == "failed", _S.c.incident_id.in_(_RESOLVED.scalar_subquery()))
    .exists(),
    select(_S.c.id).where(*_DUE_NOW).exists(),
)
_INSERT_INCIDENT = insert(_IN).returning(_IN.c.id)
_PROCESS_PROPERTIES = select(_D.c.properties).where(_D.c.id == bindparam("did"))
_ATTEMPTS = select(_S.c.status, _S.c.attempts).where(_S.c.id == bindparam("sid"))
_ATTEMPTS_LOCKED = _ATTEMPTS.with_for_update()
_OPEN_COUNTS = (
    select(_T.c.assignee, func.count())
    .where(_T.c.state == "ready", _T.c.assignee.in_(bindparam("names", expanding=True)))
    .group_by(_T.c.assignee)
)
_STEPS_OF_TASK = (
    select(LadderStep).where(LadderStep.task_id == bindparam("tid")).order_by(LadderStep.position)
)


def _claim_pending(lock: bool) -> Select[Any]:
    query = (
        select(_S.c.id, _S.c.when_text, _T.c.state, _T.c.created_at, _T.c.due_at)
        .join(_T, _T.c.id == _S.c.task_id)
        .where(_S.c.status == "pending")
        .order_by(_S.c.id)
        .limit(bindparam("n"))
    )
    return query.with_for_update(of=_S, skip_locked=True) if lock else query


def _claim_due(skip: bool, lock: bool) -> Select[Any]:
    query = (
        select(
            _S.c.id,
            _S.c.task_id,
            _S.c.instance_id,
            _S.c.position,
            _S.c.when_text,
            _S.c.action,
            _S.c.argument,
            _S.c.fire_at,
            _S.c.base_due_at,
            _S.c.attempts,
            _T.c.state,
            _T.c.due_at,
            _T.c.name,
            _T.c.bpmn_id,
            _T.c.spiff_id,
            _T.c.assignee,
            _T.c.candidate_users,
            _T.c.candidate_groups,
            _I.c.business_key,
            _I.c.process_key,
        )
        .join(_T, _T.c.id == _S.c.task_id)
        .join(_I, _I.c.id == _S.c.instance_id)
        .where(*_DUE_NOW)
        .order_by(_S.c.fire_at, _S.c.id)
        .limit(1)
    )
    if skip:
        query = query.where(_S.c.id.not_in(bindparam("skip", expanding=True)))
    return query.with_for_update(of=_S, skip_locked=True) if lock else query


_CLAIM_PENDING = {lock: _claim_pending(lock) for lock in (False, True)}
_CLAIM_DUE = {(skip, lock): _claim_due(skip, lock) for skip in (False, True) for lock in (False, True)}


@dataclass(frozen=True)
class PendingStep:
    id: int
    when_text: str
    task_state: str
    created_at: datetime
    due_at: datetime | None


@dataclass(frozen=True)
class DueStep:
    id: int
    task_id: int
    instance_id: int
    position: int
    when_text: str
    action: str
    argument: str | None
    fire_at: datetime
    base_due_at: datetime | None
    attempts: int
    task_state: str
    due_at: datetime | None
    task_name: str
    bpmn_id: str
    spiff_id: str
    assignee: str | None
    candidate_users: tuple[str, ...]
    candidate_groups: tuple[str, ...]
    business_key: str | None
    process_key: str


# ---- arming -------------------------------------------------------------------------------------
def insert_steps(session: Session, rows: Sequence[dict[str, Any]]) -> None:
    """One multi-row insert of new steps (status pending: the scheduler computes their moments)."""
    session.connection().execute(_INSERT, list(rows))


def cancel_ended(session: Session, instance_id: int, now: datetime) -> int:
    """Live steps of the instance's tasks that are no longer ready are cancelled; returns how many."""
    result = session.connection().execute(_CANCEL_ENDED, {"iid": instance_id, "now": now})
    return cast(CursorResult[Any], result).rowcount


def cancel_task_steps(session: Session, task_id: int, now: datetime) -> None:
    session.connection().execute(_CANCEL_TASK, {"tid": task_id, "now": now})


def reschedule_instance(session: Session, instance_id: int) -> None:
    """The instance's due dates moved: its waiting steps get their moments computed again."""
    session.connection().execute(_RESCHEDULE, {"iid": instance_id})


def process_properties(session: Session, definition_id: int) -> dict[str, Any]:
    found = session.connection().execute(_PROCESS_PROPERTIES, {"did": definition_id}).scalar()
    return dict(found or {})


# ---- scheduling and firing ----------------------------------------------------------------------
@dataclass(frozen=True)
class WorkAhead:
    pending: bool  # steps waiting for their moment
    rearm: bool  # failed steps whose incident was retried
    due: bool  # steps due now

    @property
    def any(self) -> bool:
        return self.pending or self.rearm or self.due


def work_ahead(session: Session, now: datetime) -> WorkAhead:
    """What a round has to do, read without a write lock (most rounds have nothing)."""
    row = session.connection().execute(_WORK_AHEAD, {"now": now}).one()
    return WorkAhead(bool(row[0]), bool(row[1]), bool(row[2]))


def claim_pending(session: Session, limit: int, lock: bool) -> list[PendingStep]:
    rows = session.connection().execute(_CLAIM_PENDING[lock], {"n": limit})
    return [PendingStep(*row) for row in rows]


def set_moments(
    session: Session, moments: Sequence[tuple[int, str, datetime | None, datetime | None]], now: datetime
) -> None:
    """(step id, status, fire_at, base due) for each scheduled step; a cancelled one ends now."""
    params = [
        {
            "sid": s,
            "p_status": status,
            "p_fire_at": at,
            "p_due": due,
            "p_ended": now if status == "cancelled" else None,
        }
        for s, status, at, due in moments
    ]
    session.connection().execute(_SET_MOMENT, params)


def claim_due(session: Session, now: datetime, skip: Collection[int], lock: bool) -> DueStep | None:
    """The earliest due step not in `skip`, with its task; locked for this transaction."""
    params: dict[str, Any] = {"now": now}
    if skip:
        params["skip"] = list(skip)
    row = session.connection().execute(_CLAIM_DUE[bool(skip), lock], params).first()
    if row is None:
        return None
    values = list(row)
    values[16], values[17] = tuple(values[16] or ()), tuple(values[17] or ())
    return DueStep(*values)


def reschedule_task(session: Session, task_id: int) -> None:
    """The task's due date moved: its waiting steps get their moments computed again."""
    session.connection().execute(_RESCHEDULE_TASK, {"tid": task_id})


def mark_fired(session: Session, step_id: int, now: datetime) -> None:
    session.connection().execute(_MARK_FIRED, {"sid": step_id, "now": now})


def count_failure(
    session: Session,
    step_id: int,
    *,
    attempts: int,
    error: str,
    retry_at: datetime | None,
    incident_id: int | None,
    now: datetime,
) -> None:
    """Record a failed firing: retried at `retry_at`, or failed for good with its incident."""
    params = {
        "p_ended": now if incident_id is not None else None,
        "sid": step_id,
        "p_attempts": attempts,
        "p_error": error,
        "p_retry_at": retry_at,
        "p_status": "waiting" if incident_id is None else "failed",
        "p_incident": incident_id,
    }
    session.connection().execute(_COUNT_FAILURE, params)


def step_attempts(session: Session, step_id: int, lock: bool) -> tuple[str, int] | None:
    """The step's status and attempts, locked (another scheduler may be firing it right now)."""
    row = session.connection().execute(_ATTEMPTS_LOCKED if lock else _ATTEMPTS, {"sid": step_id}).first()
    return (row.status, row.attempts) if row is not None else None


def open_incident(session: Session, step: DueStep, message: str, now: datetime) -> int:
    values = {
        "instance_id": step.instance_id,
        "spiff_id": step.spiff_id,
        "bpmn_id": step.bpmn_id,
        "kind": "escalamiento",
        "message": message,
        "created_at": now,
    }
    return int(session.connection().execute(_INSERT_INCIDENT, values).scalar_one())


def rearm_resolved(session: Session) -> int:
    """Failed steps whose incident was resolved (retried) are due again; returns how many."""
    return cast(CursorResult[Any], session.connection().execute(_REARM_RESOLVED)).rowcount


def steps_of_task(session: Session, task_id: int) -> list[LadderStep]:
    return list(session.scalars(_STEPS_OF_TASK, {"tid": task_id}))


def open_task_counts(session: Session, usernames: Collection[str]) -> dict[str, int]:
    """How many ready tasks each of these users holds (absent: none)."""
    rows = session.connection().execute(_OPEN_COUNTS, {"names": list(usernames)})
    return {name: int(count) for name, count in rows}
