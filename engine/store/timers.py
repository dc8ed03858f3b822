"""Timer rows as the firing and start-timer use cases read and change them, with prebuilt statements.

A firing starts with a pre-claim, one UPDATE committed on its own: the attempt is counted and the timer leased
(`retry_at` = the lease's end, `claimed_at`/`claimed_by` set) before anything runs, so a firing that never returns
(the process killed, the machine off) still counts. A waiting timer still claimed once its lease ran out is an
abandoned firing: it is claimed again, or past its attempts handed back for an incident. The pre-claim picks its
instance with FOR UPDATE SKIP LOCKED on PostgreSQL (`lock=True`) and re-checks eligibility row by row, so
concurrent schedulers never take the same timer; on SQLite writers are serialized and `lock` is False.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    CursorResult,
    Select,
    Table,
    bindparam,
    case,
    func,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.store.tables import ProcessDefinition, ProcessInstance, Timer, UtcDateTime

# Built once, like the other repositories: construction per call costs more than running them on SQLite.
_TM, _I, _D = (cast(Table, m.__table__) for m in (Timer, ProcessInstance, ProcessDefinition))
_NOW = bindparam("now", type_=UtcDateTime())
_FINISHED = ("completed", "cancelled")
_SYNC_LOCK_KEY = 0x70687661  # pg_advisory_xact_lock key: one start-timer sync at a time


def _eligible(tm: Any = _TM) -> list[ColumnElement[bool]]:
    # Strictly before now: SpiffWorkflow fires a timer only once its due time has passed. A claim still set
    # past its lease (retry_at) is an abandoned firing, taken whatever its attempts, to end as an incident.
    return [
        tm.c.status == "waiting",
        tm.c.due_at < _NOW,
        or_(tm.c.attempts < bindparam("max_attempts"), tm.c.claimed_at.is_not(None)),
        or_(tm.c.retry_at.is_(None), tm.c.retry_at <= _NOW),
    ]


def _claim_instance(skip: bool, lock: bool) -> Select[Any]:
    # Its own alias: inside the pre-claim UPDATE it must not correlate with the timers being updated.
    tm = _TM.alias("due")
    claim = (
        select(tm.c.instance_id)
        .join(_I, _I.c.id == tm.c.instance_id)
        .where(*_eligible(tm), _I.c.status.not_in(_FINISHED))
        .order_by(tm.c.due_at, tm.c.id)
        .limit(1)
    )
    if skip:
        claim = claim.where(tm.c.instance_id.not_in(bindparam("skip", expanding=True)))
    return claim.with_for_update(of=_I, skip_locked=True) if lock else claim


_LEASE = {
    "attempts": _TM.c.attempts + 1,
    "claimed_at": _NOW,
    "claimed_by": bindparam("p_worker"),
    "retry_at": bindparam("p_lease_end", type_=UtcDateTime()),
}
_CLAIMED = (_TM.c.id, _TM.c.spiff_id, _TM.c.bpmn_id, _TM.c.name, _TM.c.due_at, _TM.c.attempts)


def _pre_claim_instance(skip: bool, lock: bool) -> Any:
    # One statement: the instance picked (and locked on PostgreSQL) and its due timers leased together.
    instance = _claim_instance(skip, lock).scalar_subquery()
    return (
        update(_TM)
        .where(_TM.c.instance_id == instance, *_eligible())
        .values(_LEASE)
        .returning(_TM.c.instance_id, *_CLAIMED)
    )


def _pre_claim_start(lock: bool) -> Any:
    tm = _TM.alias("due")
    claim = select(tm.c.id).where(*_eligible(tm), tm.c.instance_id.is_(None)).order_by(tm.c.due_at, tm.c.id)
    claim = claim.limit(1)
    if lock:
        claim = claim.with_for_update(skip_locked=True)
    return (
        update(_TM)
        .where(_TM.c.id == claim.scalar_subquery(), *_eligible())
        .values(_LEASE)
        .returning(
            _TM.c.id,
            _TM.c.definition_id,
            _TM.c.bpmn_id,
            _TM.c.name,
            _TM.c.timer_type,
            _TM.c.due_at,
            _TM.c.repeat,
            _TM.c.attempts,
        )
    )


_PRE_CLAIM_INSTANCE = {
    (skip, lock): _pre_claim_instance(skip, lock) for skip in (False, True) for lock in (False, True)
}
_PRE_CLAIM_START = {lock: _pre_claim_start(lock) for lock in (False, True)}
_NEXT_DUE = select(func.min(func.coalesce(_TM.c.retry_at, _TM.c.due_at))).where(
    _TM.c.status == "waiting",
    or_(_TM.c.attempts < bindparam("max_attempts"), _TM.c.claimed_at.is_not(None)),
)
_STILL_WAITING = _TM.c.status == "waiting"
# A firing that ended: the claim is cleared; a timer it left waiting (not due for the engine yet) gets its
# attempt back and is looked at again after `p_retry_at`. Returns each timer's status to tell what fired.
_RELEASE = (
    update(_TM)
    .where(_TM.c.id.in_(bindparam("ids", expanding=True)))
    .values(
        claimed_at=None,
        claimed_by=case((_STILL_WAITING, None), else_=_TM.c.claimed_by),
        attempts=case((_STILL_WAITING, _TM.c.attempts - 1), else_=_TM.c.attempts),
        retry_at=case((_STILL_WAITING, bindparam("p_retry_at", type_=UtcDateTime())), else_=_TM.c.retry_at),
    )
    .returning(_TM.c.id, _TM.c.status)
)
_COUNT_ATTEMPT = (
    update(_TM)
    .where(_TM.c.id == bindparam("tid"), _STILL_WAITING)
    .values(
        attempts=bindparam("p_attempts"),
        last_error=bindparam("p_message"),
        retry_at=bindparam("p_retry_at", type_=UtcDateTime()),
        claimed_at=None,
        claimed_by=None,
    )
)
_MARK_FIRED = (
    update(_TM).where(_TM.c.id == bindparam("tid")).values(status="fired", fired_at=_NOW, claimed_at=None)
)
_RELEASE_OF = (
    update(_TM)
    .where(_TM.c.claimed_by == bindparam("p_worker"), _TM.c.claimed_at.is_not(None), _STILL_WAITING)
    .values(attempts=_TM.c.attempts - 1, claimed_at=None, claimed_by=None, retry_at=None)
)
_REARM = (
    update(_TM)
    .where(_TM.c.status == "waiting")
    .values(attempts=0, retry_at=None, claimed_at=None, claimed_by=None)
)
_REARM_TIMER = _REARM.where(_TM.c.id == bindparam("tid"))
_REARM_ACTIVITY = _REARM.where(_TM.c.instance_id == bindparam("iid"), _TM.c.bpmn_id == bindparam("p_bpmn_id"))
_INSERT_TIMER = insert(_TM)
_CANCEL_STALE_STARTS = (
    update(_TM)
    .where(
        _TM.c.instance_id.is_(None),
        _TM.c.status == "waiting",
        _TM.c.definition_id.not_in(bindparam("definition_ids", expanding=True)),
    )
    .values(status="cancelled")
)
_START_KEYS = select(_TM.c.definition_id, _TM.c.bpmn_id).where(
    _TM.c.instance_id.is_(None), _TM.c.definition_id.in_(bindparam("definition_ids", expanding=True))
)
_SYNC_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_TOP = select(_D.c.key, func.max(_D.c.version).label("v")).group_by(_D.c.key).subquery()
_LATEST = select(_D.c.id, _D.c.deployed_at).join(_TOP, (_TOP.c.key == _D.c.key) & (_TOP.c.v == _D.c.version))
_LAST_DEFINITION = select(func.max(_D.c.id))
_DEFINITION = select(_D.c.id, _D.c.key, _D.c.version, _D.c.name).where(_D.c.id == bindparam("did"))


@dataclass(frozen=True)
class DueTimer:
    id: int
    spiff_id: str | None
    bpmn_id: str
    name: str | None
    due_at: datetime
    attempts: int  # counting the firing it was claimed for


@dataclass(frozen=True)
class ClaimedInstance:
    instance_id: int
    timers: list[DueTimer]


@dataclass(frozen=True)
class DueStart:
    id: int
    definition_id: int | None
    bpmn_id: str
    name: str | None
    timer_type: str
    due_at: datetime
    repeat: dict[str, Any] | None
    attempts: int  # counting the firing it was claimed for


@dataclass(frozen=True)
class DefinitionHeader:
    id: int
    key: str
    version: int
    name: str


@dataclass(frozen=True)
class Lease:
    worker: str
    now: datetime
    until: datetime  # an unfinished firing's claim lapses then
    max_attempts: int

    def params(self) -> dict[str, Any]:
        return {"now": self.now, "max_attempts": self.max_attempts, "p_worker": self.worker,
                "p_lease_end": self.until}  # fmt: skip


# ---- firing -----------------------------------------------------------------------------------------
def pre_claim_next_instance(
    session: Session, lease: Lease, skip: Collection[int], lock: bool
) -> ClaimedInstance | None:
    """Lease the due timers of the unfinished instance with the earliest one, not in `skip`, counting an
    attempt each; commit it before firing. None: nothing due (or another scheduler took it first)."""
    params = lease.params()
    if skip:
        params["skip"] = list(skip)
    rows = session.connection().execute(_PRE_CLAIM_INSTANCE[bool(skip), lock], params).all()
    if not rows:
        return None
    timers = sorted((DueTimer(*row[1:]) for row in rows), key=lambda t: (t.due_at, t.id))
    return ClaimedInstance(rows[0][0], timers)


def pre_claim_next_start(session: Session, lease: Lease, lock: bool) -> DueStart | None:
    """Lease the earliest due timer start event, counting an attempt; commit it before firing."""
    row = session.connection().execute(_PRE_CLAIM_START[lock], lease.params()).first()
    return DueStart(*row) if row is not None else None


def next_due_at(session: Session, max_attempts: int) -> datetime | None:
    """When the next firing is due, a retry counting from its backoff."""
    due = session.connection().execute(_NEXT_DUE, {"max_attempts": max_attempts}).scalar()
    return utc(due) if due is not None else None


def release_claims(session: Session, timer_ids: Collection[int], retry_at: datetime) -> set[int]:
    """End a finished firing's claims; returns the timers that fired. One still waiting gets its attempt back
    and is not tried again before `retry_at`."""
    rows = session.connection().execute(_RELEASE, {"ids": list(timer_ids), "p_retry_at": retry_at})
    return {timer_id for timer_id, status in rows if status == "fired"}


def release_claims_of(session: Session, worker: str) -> int:
    """Give back every claim `worker` holds, with its attempt; for when it knows it fires nothing."""
    result = session.connection().execute(_RELEASE_OF, {"p_worker": worker})
    return cast(CursorResult[Any], result).rowcount


def mark_start_fired(session: Session, timer_id: int, now: datetime) -> None:
    session.connection().execute(_MARK_FIRED, {"tid": timer_id, "now": now})


# ---- failures and retries -----------------------------------------------------------------------
def count_failed_attempt(
    session: Session, timer_id: int, attempts: int, message: str, retry_at: datetime | None
) -> None:
    """Record the failure and end the claim; `retry_at` None leaves the timer to its incident."""
    params = {"tid": timer_id, "p_attempts": attempts, "p_message": message, "p_retry_at": retry_at}
    session.connection().execute(_COUNT_ATTEMPT, params)


def rearm_timer(session: Session, timer_id: int) -> None:
    """A waiting timer gets its attempts back and is due again at once."""
    session.connection().execute(_REARM_TIMER, {"tid": timer_id})


def rearm_activity_timers(session: Session, instance_id: int, bpmn_id: str | None) -> None:
    session.connection().execute(_REARM_ACTIVITY, {"iid": instance_id, "p_bpmn_id": bpmn_id})


# ---- timer start events of the deployed versions ------------------------------------------------------
def lock_start_timer_sync(session: Session) -> None:
    """PostgreSQL only: held until the transaction ends."""
    session.connection().execute(_SYNC_LOCK, {"key": _SYNC_LOCK_KEY})


def latest_definitions(session: Session) -> dict[int, datetime]:
    """Each process key's latest version: its id and when it was deployed."""
    return {definition_id: utc(at) for definition_id, at in session.connection().execute(_LATEST)}


def last_definition_id(session: Session) -> int:
    return session.connection().execute(_LAST_DEFINITION).scalar() or 0


def definition_header(session: Session, definition_id: int | None) -> DefinitionHeader | None:
    row = session.connection().execute(_DEFINITION, {"did": definition_id}).first()
    return DefinitionHeader(*row) if row is not None else None


def cancel_stale_start_timers(session: Session, latest_ids: Collection[int]) -> int:
    """Cancel waiting start timers of versions not among `latest_ids`; returns how many."""
    result = session.connection().execute(_CANCEL_STALE_STARTS, {"definition_ids": list(latest_ids)})
    return cast(CursorResult[Any], result).rowcount


def start_timer_keys(session: Session, definition_ids: Collection[int]) -> set[tuple[int, str]]:
    """(definition, activity) of every start timer row these versions have, in any status."""
    rows = session.connection().execute(_START_KEYS, {"definition_ids": list(definition_ids)})
    return {(definition_id, bpmn_id) for definition_id, bpmn_id in rows}


def insert_start_timer(
    session: Session,
    definition_id: int,
    bpmn_id: str,
    name: str | None,
    timer_type: str,
    due_at: datetime,
    repeat: dict[str, Any] | None,
    now: datetime,
) -> None:
    """A waiting timer start event of a deployed version (no instance yet)."""
    session.connection().execute(
        _INSERT_TIMER,
        {
            "instance_id": None,
            "definition_id": definition_id,
            "spiff_id": None,
            "bpmn_id": bpmn_id,
            "name": name,
            "kind": "start",
            "timer_type": timer_type,
            "interrupting": True,
            "due_at": due_at,
            "status": "waiting",
            "created_at": now,
            "attempts": 0,
            "repeat": repeat,
        },
    )
