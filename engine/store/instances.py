"""The instance repository: load an instance row, and save one change of it (state, task rows and their
candidates, timer rows, message waits, incidents) under its optimistic lock, with prebuilt statements.

A task action loads its task, the task's instance, the user's draft of it and the acting user in one joined
read (`load_task_change`); on PostgreSQL it locks the instance row (FOR UPDATE), so concurrent changes of
one instance queue instead of failing, and its statements may be pipelined (`engine.store.db`)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, cast

from sqlalchemy import JSON, Table, bindparam, delete, insert, select, update
from sqlalchemy.orm import Session

from engine.clock import utc
from engine.errors import Conflict
from engine.store.event_tables import SignalWait
from engine.store.prepared import Prepared
from engine.store.tables import (
    Incident,
    MessageWait,
    ProcessInstance,
    Task,
    TaskCandidate,
    Timer,
    User,
    UtcDateTime,
)
from engine.store.tasks import TaskRow
from engine.store.users import UserRow
from engine.store.web_tables import TaskDraft

# Statements are built once: constructing them per call cost more than SQLite executing them.
_I, _T, _C = (cast(Table, m.__table__) for m in (ProcessInstance, Task, TaskCandidate))
_TM, _MW, _IN = (cast(Table, m.__table__) for m in (Timer, MessageWait, Incident))
_SW = cast(Table, SignalWait.__table__)
_U, _D = cast(Table, User.__table__), cast(Table, TaskDraft.__table__)
_NOW = bindparam("p_now", type_=UtcDateTime())
_INSTANCE_COLUMNS = (
    _I.c.id,
    _I.c.definition_id,
    _I.c.process_key,
    _I.c.version,
    _I.c.row_version,
    _I.c.state,
    _I.c.status,
    _I.c.completed_activities,
    _I.c.waits,
    _I.c.business_key,
)
_INSTANCE_BY_ID = select(*_INSTANCE_COLUMNS).where(_I.c.id == bindparam("iid"))
_SELECT_INSTANCE, _LOCK_INSTANCE = Prepared(_INSTANCE_BY_ID), Prepared(_INSTANCE_BY_ID.with_for_update())
_INSERT_INSTANCE = Prepared(insert(_I).returning(_I.c.id))
_TASK_COLUMNS = (
    _T.c.id.label("t_id"),
    _T.c.spiff_id.label("t_spiff_id"),
    _T.c.bpmn_id.label("t_bpmn_id"),
    _T.c.name.label("t_name"),
    _T.c.state.label("t_state"),
    _T.c.assignee.label("t_assignee"),
    _T.c.candidate_users.label("t_candidate_users"),
    _T.c.candidate_groups.label("t_candidate_groups"),
    _D.c.saved_at.label("t_draft_saved_at"),
)
_USER_COLUMNS = (
    _U.c.id.label("u_id"),
    _U.c.username.label("u_username"),
    _U.c.display_name.label("u_display_name"),
    _U.c.email.label("u_email"),
    _U.c.roles.label("u_roles"),
    _U.c.groups.label("u_groups"),
    _U.c.active.label("u_active"),
    _U.c.session_version.label("u_session_version"),
)
_TASK_CHANGE = (
    select(*_INSTANCE_COLUMNS, *_TASK_COLUMNS, *_USER_COLUMNS)
    .select_from(_T)
    .join(_I, _I.c.id == _T.c.instance_id)
    .outerjoin(_D, (_D.c.task_id == _T.c.id) & (_D.c.username == bindparam("draft_of")))
    .outerjoin(_U, _U.c.username == bindparam("acting"))
    .where(_T.c.id == bindparam("task_id"))
)
_LOCK_TASK_CHANGE = Prepared(_TASK_CHANGE.with_for_update(of=_I))
_TASK_CHANGE_ROW = Prepared(_TASK_CHANGE)
_UPDATE_INSTANCE = Prepared(
    update(_I)
    .where(_I.c.id == bindparam("iid"), _I.c.row_version == bindparam("expected"))
    .values(
        state=bindparam("p_state"),
        row_version=bindparam("p_version"),
        status=bindparam("p_status"),
        updated_at=_NOW,
        completed_activities=bindparam("p_activities", type_=JSON),
        waits=bindparam("p_waits"),
        ended_at=bindparam("p_ended", type_=UtcDateTime()),
    )
)
_OPEN_TASKS = select(_T.c.spiff_id, _T.c.id).where(
    _T.c.instance_id == bindparam("iid"), _T.c.state == "ready"
)
_CANCEL_TASKS = (
    update(_T)
    .where(_T.c.id.in_(bindparam("ids", expanding=True)))
    .values(state="cancelled", completed_at=_NOW)
)
_CANCEL_KNOWN_TASKS = (
    update(_T)
    .where(
        _T.c.instance_id == bindparam("iid"),
        _T.c.spiff_id.in_(bindparam("spiff_ids", expanding=True)),
        _T.c.state == "ready",
    )
    .values(state="cancelled", completed_at=_NOW)
)
# Matched back by spiff_id rather than by parameter order: SQLite can only keep the order one row per INSERT
# (a 3,333-branch split started with 3,333 statements); unordered, both databases take them in one.
_INSERT_TASKS = Prepared(insert(_T).returning(_T.c.spiff_id, _T.c.id))
_INSERT_CANDIDATES = Prepared(insert(_C))
_WAITING_TIMERS = select(_TM.c.id, _TM.c.spiff_id, _TM.c.bpmn_id, _TM.c.due_at, _TM.c.kind, _TM.c.name).where(
    _TM.c.instance_id == bindparam("iid"), _TM.c.status == "waiting"
)
_INSERT_TIMER = insert(_TM)
_END_TIMER = (
    update(_TM).where(_TM.c.id == bindparam("tid")).values(status=bindparam("p_status"), fired_at=_NOW)
)
_DELETE_WAITS = delete(_MW).where(_MW.c.instance_id == bindparam("iid"))
_INSERT_WAITS = insert(_MW)
_DELETE_SIGNAL_WAITS = delete(_SW).where(_SW.c.instance_id == bindparam("iid"))
_INSERT_SIGNAL_WAITS = insert(_SW)
_INSERT_INCIDENT = insert(_IN)
_OPEN_INCIDENT = (
    select(_IN.c.id).where(_IN.c.instance_id == bindparam("iid"), _IN.c.resolved_at.is_(None)).limit(1)
)


@dataclass
class InstanceRef:
    id: int
    definition_id: int
    process_key: str
    version: int
    row_version: int
    state: str
    status: str
    completed_activities: list[Any]
    waits: int = 0
    business_key: str | None = None
    # The spiff ids of its ready human tasks as last saved, when the caller knows them (no re-select)
    open_tasks: set[str] | None = None
    locked: bool = False  # its row is locked by this transaction: no one else can change it before commit
    # A new instance whose row is not written yet (`new_instance`): its first save inserts it with its state
    pending: dict[str, Any] | None = None


@dataclass(frozen=True)
class TaskChange:
    """What a task action reads before acting, in one statement."""

    task: TaskRow
    instance: InstanceRef
    user: UserRow | None  # the acting user named, when asked for by name and found


TIMER_WAITS, MESSAGE_WAITS, SIGNAL_WAITS = 1, 2, 4


class TimerWait(Protocol):
    @property
    def spiff_id(self) -> str: ...

    @property
    def bpmn_id(self) -> str: ...

    @property
    def name(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def timer_type(self) -> str: ...

    @property
    def interrupting(self) -> bool: ...

    @property
    def due_at(self) -> datetime: ...


class MessageWaitInfo(Protocol):
    @property
    def spiff_id(self) -> str: ...

    @property
    def bpmn_id(self) -> str: ...

    @property
    def message_name(self) -> str: ...


class SignalWaitInfo(Protocol):
    @property
    def spiff_id(self) -> str: ...

    @property
    def bpmn_id(self) -> str: ...

    @property
    def signal_name(self) -> str: ...


class IncidentNote(Protocol):
    @property
    def spiff_id(self) -> str | None: ...

    @property
    def bpmn_id(self) -> str | None: ...

    @property
    def kind(self) -> str: ...

    @property
    def message(self) -> str: ...


@dataclass
class InstanceChange:
    """One change of an instance as the engine left it, ready to be written."""

    state: str
    status: str
    completed_activities: list[str]
    tasks: list[dict[str, Any]]  # the open task rows: kept when already stored, inserted when new
    timers: Sequence[TimerWait]
    messages: Sequence[MessageWaitInfo]
    incidents: Sequence[IncidentNote]
    signals: Sequence[SignalWaitInfo] = ()
    cancelled: Collection[str] = ()  # spiff ids the engine cancelled: their timers did not fire


@dataclass(frozen=True)
class FiredTimer:
    bpmn_id: str
    name: str | None
    due_at: datetime


def new_instance(
    definition: Any, *, business_key: str | None, actor: str | None, now: datetime
) -> InstanceRef:
    """A new instance whose row is written by its first `save_instance`, state and all, in one INSERT (not an
    INSERT then an UPDATE), or by `stored` earlier if something needs its id before (a service handler)."""
    values = {
        "definition_id": definition.id,
        "process_key": definition.key,
        "version": definition.version,
        "business_key": business_key,
        "status": "running",
        "state": "{}",
        "row_version": 1,
        "completed_activities": [],
        "started_at": now,
        "started_by": actor,
        "updated_at": now,
    }
    return InstanceRef(0, definition.id, definition.key, definition.version, 1, "{}", "running", [], 0,
                       business_key, open_tasks=set(), locked=True, pending=values)  # fmt: skip


def stored(session: Session, ref: InstanceRef) -> InstanceRef:
    """`ref` with its row written (as started: running, empty state) if it was still pending."""
    if ref.pending is not None:
        ref.id = _insert(session, ref.pending)
        ref.pending = None
    return ref


def insert_instance(
    session: Session, definition: Any, *, business_key: str | None, actor: str | None, now: datetime
) -> InstanceRef:
    """The row of a new instance; its state is written by the save_run that follows in the same transaction."""
    return stored(session, new_instance(definition, business_key=business_key, actor=actor, now=now))


def _insert(session: Session, values: dict[str, Any]) -> int:
    session.flush()  # a case added to the session before
    return int(_INSERT_INSTANCE.scalar_one(session, values))


def load_instance(session: Session, instance_id: int, *, lock: bool = False) -> InstanceRef | None:
    """With `lock`, the row stays locked until commit (PostgreSQL; SQLite's writer holds the file)."""
    found = (_LOCK_INSTANCE if lock else _SELECT_INSTANCE).one_or_none(session, {"iid": instance_id})
    return None if found is None else _ref(found, lock)


def _ref(row: Any, locked: bool) -> InstanceRef:
    return InstanceRef(
        row.id, row.definition_id, row.process_key, row.version, row.row_version, row.state, row.status,
        row.completed_activities, row.waits, row.business_key, locked=locked,
    )  # fmt: skip


def load_task_change(
    session: Session, task_id: int, *, draft_of: str | None, acting: str | None, lock: bool
) -> TaskChange | None:
    """The task with its instance (locked with `lock`), whether `draft_of` keeps a draft of it, and the
    user named `acting` — one statement. None when there is no such task."""
    query = _LOCK_TASK_CHANGE if lock else _TASK_CHANGE_ROW
    params = {"task_id": task_id, "draft_of": draft_of, "acting": acting}
    row = query.one_or_none(session, params)
    if row is None:
        return None
    task = TaskRow(
        row.t_id,
        row.id,
        row.t_spiff_id,
        row.t_bpmn_id,
        row.t_name,
        row.t_state,
        row.t_assignee,
        tuple(row.t_candidate_users or ()),
        tuple(row.t_candidate_groups or ()),
        draft_of is not None and row.t_draft_saved_at is not None,
    )
    user = None
    if row.u_id is not None:
        user = UserRow(
            row.u_id, row.u_username, row.u_display_name, row.u_email, tuple(row.u_roles),
            tuple(row.u_groups), row.u_active, row.u_session_version,
        )  # fmt: skip
    return TaskChange(task, _ref(row, lock), user)


def waiting_for_message(
    session: Session, name: str, *, business_key: str | None, instance_id: int | None, limit: int
) -> list[int]:
    """The instances waiting for message `name`, narrowed by business key and instance id."""
    query = select(MessageWait.instance_id).where(MessageWait.message_name == name).distinct()
    if business_key is not None:
        query = query.join(ProcessInstance, ProcessInstance.id == MessageWait.instance_id).where(
            ProcessInstance.business_key == business_key
        )
    if instance_id is not None:
        query = query.where(MessageWait.instance_id == instance_id)
    return list(session.scalars(query.limit(limit)))


def waiting_for_signal(session: Session, name: str) -> list[int]:
    """The instances with a subscription to signal `name`, oldest first."""
    query = select(SignalWait.instance_id).where(SignalWait.signal_name == name).distinct()
    return sorted(session.scalars(query))


def has_open_incident(session: Session, instance_id: int) -> bool:
    return session.connection().execute(_OPEN_INCIDENT, {"iid": instance_id}).first() is not None


def save_instance(
    session: Session, ref: InstanceRef, change: InstanceChange, now: datetime
) -> list[FiredTimer]:
    """Write the change under the optimistic lock (Conflict when someone saved first); updates `ref`.
    Returns the timers that fired since the last save, for their audit."""
    conn = session.connection()
    waits = (TIMER_WAITS if change.timers else 0) | (MESSAGE_WAITS if change.messages else 0)
    waits |= SIGNAL_WAITS if change.signals else 0
    ended = now if change.status in ("completed", "cancelled") else None
    if ref.pending is not None:  # its first save: the row as an INSERT and an UPDATE would leave it
        ref.id = _insert(session, {
            **ref.pending, "state": change.state, "status": change.status, "row_version": ref.row_version + 1,
            "completed_activities": change.completed_activities, "waits": waits, "updated_at": now,
            "ended_at": ended,
        })  # fmt: skip
        ref.pending = None
        for row in change.tasks:  # built before the row had its id
            row["instance_id"] = ref.id
    else:
        rowcount = _UPDATE_INSTANCE.execute(
            session,
            {
                "iid": ref.id,
                "expected": ref.row_version,
                "p_state": change.state,
                "p_version": ref.row_version + 1,
                "p_status": change.status,
                "p_now": now,
                "p_activities": change.completed_activities,
                "p_waits": waits,
                "p_ended": ended,
            },
        )
        # a row this transaction locked cannot have moved: its count is not waited for (pipelined, store.db)
        if not ref.locked and rowcount != 1:
            raise Conflict("Otro usuario cambió este proceso al mismo tiempo; vuelva a intentarlo.")
    ref.row_version += 1
    ref.status = change.status
    ref.completed_activities = change.completed_activities
    _sync_tasks(session, ref, change.tasks, now)
    fired: list[FiredTimer] = []
    if change.timers or ref.waits & TIMER_WAITS:
        fired = _sync_timers(session, ref, change.timers, change.cancelled, now)
    if ref.waits & MESSAGE_WAITS:
        conn.execute(_DELETE_WAITS, {"iid": ref.id})
    if ref.waits & SIGNAL_WAITS:
        conn.execute(_DELETE_SIGNAL_WAITS, {"iid": ref.id})
    ref.waits = waits
    if change.signals:
        conn.execute(
            _INSERT_SIGNAL_WAITS,
            [
                {
                    "instance_id": ref.id,
                    "spiff_id": w.spiff_id,
                    "bpmn_id": w.bpmn_id,
                    "signal_name": w.signal_name,
                }
                for w in change.signals
            ],
        )
    if change.messages:
        conn.execute(
            _INSERT_WAITS,
            [
                {
                    "instance_id": ref.id,
                    "spiff_id": m.spiff_id,
                    "bpmn_id": m.bpmn_id,
                    "message_name": m.message_name,
                }
                for m in change.messages
            ],
        )
    if change.incidents:
        conn.execute(
            _INSERT_INCIDENT,
            [
                {
                    "instance_id": ref.id,
                    "spiff_id": i.spiff_id,
                    "bpmn_id": i.bpmn_id,
                    "kind": i.kind,
                    "message": i.message,
                    "created_at": now,
                }
                for i in change.incidents
            ],
        )
    return fired


def _sync_tasks(session: Session, ref: InstanceRef, values: list[dict[str, Any]], now: datetime) -> None:
    conn = session.connection()
    current = {v["spiff_id"] for v in values}
    if ref.open_tasks is not None:  # the engine knows which rows are open: they are its last save's tasks
        known = ref.open_tasks
        gone_ids = sorted(known - current)
        if gone_ids:
            conn.execute(_CANCEL_KNOWN_TASKS, {"iid": ref.id, "spiff_ids": gone_ids, "p_now": now})
    else:
        open_rows = dict(conn.execute(_OPEN_TASKS, {"iid": ref.id}).all())
        known = set(open_rows)
        gone = [task_id for spiff_id, task_id in open_rows.items() if spiff_id not in current]
        if gone:
            conn.execute(_CANCEL_TASKS, {"ids": gone, "p_now": now})
    ref.open_tasks = current
    new = [row for row in values if row["spiff_id"] not in known]
    if not new:
        return
    ids: dict[str, int] = dict(_INSERT_TASKS.rows(session, new))
    candidates = []
    for row in new:  # the save's caller arms what a new task needs (escalation ladders)
        task_id = row["id"] = ids[row["spiff_id"]]
        candidates += [{"task_id": task_id, "kind": "user", "value": u} for u in row["candidate_users"]]
        candidates += [{"task_id": task_id, "kind": "group", "value": g} for g in row["candidate_groups"]]
    if candidates:
        _INSERT_CANDIDATES.execute(session, candidates)


def _sync_timers(
    session: Session, ref: InstanceRef, timers: Sequence[TimerWait], cancelled: Collection[str], now: datetime
) -> list[FiredTimer]:
    # Keyed by (task, activity, due): a gateway's timers share one task; a new cycle occurrence is a new row.
    conn = session.connection()
    rows = conn.execute(_WAITING_TIMERS, {"iid": ref.id}).all()
    waiting = {(spiff_id, bpmn_id, due): timer_id for timer_id, spiff_id, bpmn_id, due, _, _ in rows}
    gateways = {spiff_id for _, spiff_id, _, _, kind, _ in rows if kind == "event_gateway"}
    labels = {timer_id: name for timer_id, *_, name in rows}
    current = set()
    for timer in timers:
        key = (timer.spiff_id, timer.bpmn_id, timer.due_at)
        current.add(key)
        if _same_timer(key, waiting):
            continue
        conn.execute(
            _INSERT_TIMER,
            {
                "instance_id": ref.id,
                "spiff_id": timer.spiff_id,
                "bpmn_id": timer.bpmn_id,
                "name": timer.name,
                "kind": timer.kind,
                "timer_type": timer.timer_type,
                "interrupting": timer.interrupting,
                "due_at": timer.due_at,
                "status": "waiting",
                "created_at": now,
                "attempts": 0,
            },
        )
    gone = sorted((k[2], k[0], k[1], t) for k, t in waiting.items() if not _same_timer(k, current))
    taken: set[Any] = set()
    fired_timers = []
    for due, spiff_id, bpmn_id, timer_id in gone:
        # An event-based gateway takes one branch: its earliest due timer fired, the others were cancelled;
        # a due timer whose task the engine cancelled (its host completed first) did not fire.
        fired = due <= now and spiff_id not in taken and spiff_id not in cancelled
        if fired and spiff_id in gateways:
            taken.add(spiff_id)
        if fired:
            fired_timers.append(FiredTimer(bpmn_id, labels[timer_id], utc(due)))
        conn.execute(
            _END_TIMER, {"tid": timer_id, "p_status": "fired" if fired else "cancelled", "p_now": now}
        )
    return fired_timers


def _same_timer(key: tuple[Any, str, datetime], pool: Any) -> bool:
    spiff_id, bpmn_id, due = key
    return any(s == spiff_id and b == bpmn_id and _close(d, due) for s, b, d in pool)


def _close(a: datetime, b: datetime) -> bool:
    return abs((a - b).total_seconds()) < 0.001
