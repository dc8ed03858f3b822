"""Timer rows as the firing and start-timer use cases read and change them, with prebuilt statements.

A claim locks what it returns on PostgreSQL (`lock=True`: FOR UPDATE SKIP LOCKED), so concurrent schedulers
never wait for or repeat each other's work; on SQLite writers are serialized and `lock` is False.
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


def _eligible() -> list[ColumnElement[bool]]:
    # Strictly before now: SpiffWorkflow fires a timer only once its due time has passed.
    return [
        _TM.c.status == "waiting",
        _TM.c.due_at < _NOW,
        _TM.c.attempts < bindparam("max_attempts"),
        or_(_TM.c.retry_at.is_(None), _TM.c.retry_at <= _NOW),
    ]


def _claim_instance(skip: bool, lock: bool) -> Select[Any]:
    claim = (
        select(_TM.c.instance_id)
        .join(_I, _I.c.id == _TM.c.instance_id)
        .where(*_eligible(), _I.c.status.not_in(_FINISHED))
        .order_by(_TM.c.due_at, _TM.c.id)
        .limit(1)
    )
    if skip:
        claim = claim.where(_TM.c.instance_id.not_in(bindparam("skip", expanding=True)))
    return claim.with_for_update(of=_I, skip_locked=True) if lock else claim


_CLAIM_INSTANCE = {
    (skip, lock): _claim_instance(skip, lock) for skip in (False, True) for lock in (False, True)
}
_CLAIM_START = (
    select(
        _TM.c.id,
        _TM.c.definition_id,
        _TM.c.bpmn_id,
        _TM.c.name,
        _TM.c.timer_type,
        _TM.c.due_at,
        _TM.c.repeat,
    )
    .where(*_eligible(), _TM.c.instance_id.is_(None))
    .order_by(_TM.c.due_at, _TM.c.id)
    .limit(1)
)
_CLAIM_START_LOCKED = _CLAIM_START.with_for_update(skip_locked=True)
_NEXT_DUE = select(func.min(func.coalesce(_TM.c.retry_at, _TM.c.due_at))).where(
    _TM.c.status == "waiting", _TM.c.attempts < bindparam("max_attempts")
)
_DUE_TIMERS = (
    select(_TM.c.id, _TM.c.spiff_id, _TM.c.bpmn_id, _TM.c.name, _TM.c.due_at)
    .where(_TM.c.instance_id == bindparam("iid"), _TM.c.status == "waiting", _TM.c.due_at < _NOW)
    .order_by(_TM.c.due_at)
)
_FIRED_AMONG = select(_TM.c.id).where(_TM.c.id.in_(bindparam("ids", expanding=True)), _TM.c.status == "fired")
_POSTPONE = (
    update(_TM)
    .where(_TM.c.id.in_(bindparam("ids", expanding=True)), _TM.c.status == "waiting")
    .values(retry_at=bindparam("p_retry_at", type_=UtcDateTime()))
)
_ATTEMPT_COLUMNS = (_TM.c.id, _TM.c.spiff_id, _TM.c.bpmn_id, _TM.c.name, _TM.c.attempts)
_FAILING = select(*_ATTEMPT_COLUMNS).where(*_eligible(), _TM.c.instance_id == bindparam("iid"))
_ATTEMPTS_OF = select(*_ATTEMPT_COLUMNS).where(_TM.c.id == bindparam("tid"))
_COUNT_ATTEMPT = (
    update(_TM)
    .where(_TM.c.id == bindparam("tid"))
    .values(
        attempts=bindparam("p_attempts"),
        last_error=bindparam("p_message"),
        retry_at=bindparam("p_retry_at", type_=UtcDateTime()),
    )
)
_MARK_FIRED = update(_TM).where(_TM.c.id == bindparam("tid")).values(status="fired", fired_at=_NOW)
_REARM = update(_TM).where(_TM.c.status == "waiting").values(attempts=0, retry_at=None)
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


@dataclass(frozen=True)
class TimerAttempts:
    id: int
    spiff_id: str | None
    bpmn_id: str
    name: str | None
    attempts: int


@dataclass(frozen=True)
class DueStart:
    id: int
    definition_id: int | None
    bpmn_id: str
    name: str | None
    timer_type: str
    due_at: datetime
    repeat: dict[str, Any] | None


@dataclass(frozen=True)
class DefinitionHeader:
    id: int
    key: str
    version: int
    name: str


# ---- firing -----------------------------------------------------------------------------------------
def claim_next_due_instance(
    session: Session, now: datetime, max_attempts: int, skip: Collection[int], lock: bool
) -> int | None:
    """The unfinished instance with the earliest due timer, not in `skip`; locked for this transaction."""
    params: dict[str, Any] = {"now": now, "max_attempts": max_attempts}
    if skip:
        params["skip"] = list(skip)
    return session.connection().execute(_CLAIM_INSTANCE[bool(skip), lock], params).scalar()


def claim_next_due_start(session: Session, now: datetime, max_attempts: int, lock: bool) -> DueStart | None:
    """The earliest due timer start event; its row locked for this transaction."""
    statement = _CLAIM_START_LOCKED if lock else _CLAIM_START
    row = session.connection().execute(statement, {"now": now, "max_attempts": max_attempts}).first()
    return DueStart(*row) if row is not None else None


def next_due_at(session: Session, max_attempts: int) -> datetime | None:
    """When the next firing is due, a retry counting from its backoff."""
    due = session.connection().execute(_NEXT_DUE, {"max_attempts": max_attempts}).scalar()
    return utc(due) if due is not None else None


def due_timers(session: Session, instance_id: int, now: datetime) -> list[DueTimer]:
    rows = session.connection().execute(_DUE_TIMERS, {"iid": instance_id, "now": now})
    return [DueTimer(*row) for row in rows]


def fired_timer_ids(session: Session, timer_ids: Collection[int]) -> set[int]:
    return set(session.connection().execute(_FIRED_AMONG, {"ids": list(timer_ids)}).scalars())


def postpone_timers(session: Session, timer_ids: Collection[int], retry_at: datetime) -> None:
    """Still-waiting timers among these are not tried again before `retry_at`."""
    session.connection().execute(_POSTPONE, {"ids": list(timer_ids), "p_retry_at": retry_at})


def mark_start_fired(session: Session, timer_id: int, now: datetime) -> None:
    session.connection().execute(_MARK_FIRED, {"tid": timer_id, "now": now})


# ---- failures and retries -----------------------------------------------------------------------
def failing_timers(
    session: Session, instance_id: int, now: datetime, max_attempts: int
) -> list[TimerAttempts]:
    """The instance's timers that were due when its firing failed."""
    params = {"iid": instance_id, "now": now, "max_attempts": max_attempts}
    return [TimerAttempts(*row) for row in session.connection().execute(_FAILING, params)]


def timer_attempts(session: Session, timer_id: int) -> TimerAttempts | None:
    row = session.connection().execute(_ATTEMPTS_OF, {"tid": timer_id}).first()
    return TimerAttempts(*row) if row is not None else None


def count_failed_attempt(
    session: Session, timer_id: int, attempts: int, message: str, retry_at: datetime | None
) -> None:
    """Record the failure; `retry_at` None leaves the timer to its incident."""
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
