"""Open-task lists that seek instead of counting the world: the visibility rows of the principals a user is
(one index range each, as a UNION), keyset pagination on (due, priority, id), and a total capped at CAP.

Order `due`: due date (none last), then priority (highest first), then id; order `priority`: priority, then
due date, then id. The cursor is the last row's sort key, so the next page starts where this one ended
however many tasks come and go meanwhile.
"""

from __future__ import annotations

import base64
import binascii
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, bindparam, func, select, tuple_, union
from sqlalchemy.orm import Session

from engine.errors import BadInput
from engine.limits import BIGINT_MAX
from engine.store.legal_tables import PqrsdCase
from engine.store.prepared import Prepared
from engine.store.tables import Task
from engine.store.visibility_tables import TaskVisibility as V

CAP = 1000  # totals count up to here; past it a list says "1.000+"
INT_MAX = 2**31 - 1  # a priority is an INTEGER column
MAX_OFFSET = 5000  # past this a page is reached by its cursor: an OFFSET reads every row it skips


@dataclass(frozen=True)
class Seek:
    """Where a page starts: after the row with this sort key."""

    due_key: datetime
    neg_priority: int
    task_id: int


def encode_cursor(order: str, key: Seek) -> str:
    raw = f"{order}|{key.due_key.astimezone(UTC).isoformat()}|{key.neg_priority}|{key.task_id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(text: str, order: str) -> Seek:
    """A cursor from a `next` link of the same order; anything else is refused."""
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode()
        kind, due, priority, task_id = raw.split("|")
        moment = datetime.fromisoformat(due)
        seek = Seek(moment, int(priority), int(task_id))
        if (
            kind != order
            or moment.tzinfo is None
            or abs(seek.neg_priority) > INT_MAX
            or abs(seek.task_id) > BIGINT_MAX
        ):
            raise ValueError(kind)
        return seek
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise BadInput(
            "El cursor de la página no es válido: siga el enlace «siguiente» de la lista.",
            {"cursor": "Cursor no válido."},
        ) from None


def jit_off(session: Session) -> None:
    """No JIT for this transaction (PostgreSQL): it compiles nothing worth it for index range reads, and added
    40–65 ms at 1M tasks. Sent by the driver, so in a pipelined transaction it travels with the next statement
    instead of waiting on its own; SET LOCAL ends with the transaction (safe behind PgBouncer)."""
    driver = session.connection().connection.driver_connection
    assert driver is not None
    driver.execute("SET LOCAL jit = off", prepare=False)


@dataclass(frozen=True)
class Principals:
    """The visibility rows a list reads: (kind, value, taken) triples, each an index range."""

    ranges: tuple[tuple[str, str, bool], ...]


def principals(
    username: str | None,
    groups: Sequence[str],
    *,
    see_all: bool,
    supervisor: bool,
    assignee_me: bool,
    candidate_me: bool,
) -> Principals:
    """`access.visible_tasks_sql` and the inbox tabs, as the principals they cover."""
    me = username or ""
    candidates = [("user", me), *(("group", g) for g in sorted(set(groups)))]
    if assignee_me:
        return Principals((("assignee", me, False),))
    if candidate_me:
        return Principals(tuple((kind, value, False) for kind, value in candidates))
    if see_all:
        return Principals((("all", "", False),))
    ranges = [("assignee", me, False)]
    ranges += [(kind, value, taken) for kind, value in candidates for taken in (False, True)]
    if supervisor:
        ranges.append(("unrouted", "", False))
    return Principals(tuple(ranges))


@dataclass(frozen=True)
class Narrowing:
    process_key: str | None = None
    due_before: datetime | None = None  # strictly before (overdue: before now)
    min_priority: int | None = None
    max_priority: int | None = None


def _keys(order: str) -> tuple[Any, ...]:
    return (
        (V.neg_priority, V.due_key, V.task_id)
        if order == "priority"
        else (V.due_key, V.neg_priority, V.task_id)
    )


@dataclass(frozen=True)
class _Shape:
    """What a list's statement is built from; the values go in as parameters, so one statement per shape is
    built (and compiled) once per process instead of on every request."""

    ranges: int
    process_key: bool
    due_before: bool
    min_priority: bool
    max_priority: bool
    order: str
    after: bool


def _shape(who: Principals, n: Narrowing, order: str, after: Seek | None) -> _Shape:
    return _Shape(
        len(who.ranges), bool(n.process_key), n.due_before is not None, n.min_priority is not None,
        n.max_priority is not None, order, after is not None,
    )  # fmt: skip


def _params(who: Principals, n: Narrowing, order: str, after: Seek | None, limit: int) -> dict[str, Any]:
    params: dict[str, Any] = {"branch_limit": limit}
    for i, (kind, value, taken) in enumerate(who.ranges):
        params.update({f"kind_{i}": kind, f"value_{i}": value, f"taken_{i}": taken})
    if n.process_key:
        params["process_key"] = n.process_key
    if n.due_before is not None:
        params["due_before"] = n.due_before
    if n.min_priority is not None:
        params["max_neg_priority"] = -n.min_priority
    if n.max_priority is not None:
        params["min_neg_priority"] = -n.max_priority
    if after is not None:
        values = (
            (after.neg_priority, after.due_key, after.task_id)
            if order == "priority"
            else (after.due_key, after.neg_priority, after.task_id)
        )
        params.update({f"after_{i}": v for i, v in enumerate(values)})
    return params


def _branch(i: int, shape: _Shape) -> Any:
    keys = _keys(shape.order)
    query: Any = select(V.task_id, V.due_key, V.neg_priority).where(
        V.kind == bindparam(f"kind_{i}"),
        V.value == bindparam(f"value_{i}"),
        V.taken == bindparam(f"taken_{i}"),
    )
    if shape.process_key:
        query = query.where(V.process_key == bindparam("process_key"))
    if shape.due_before:
        query = query.where(V.due_key < bindparam("due_before"))
    if shape.min_priority:
        query = query.where(V.neg_priority <= bindparam("max_neg_priority"))
    if shape.max_priority:
        query = query.where(V.neg_priority >= bindparam("min_neg_priority"))
    if shape.after:
        query = query.where(
            tuple_(*keys) > tuple_(*(bindparam(f"after_{i}", type_=k.type) for i, k in enumerate(keys)))
        )
    return select(query.order_by(*keys).limit(bindparam("branch_limit", type_=Integer)).subquery())


def _union(shape: _Shape) -> Any:
    branches = [_branch(i, shape) for i in range(shape.ranges)]
    combined: Any = branches[0] if len(branches) == 1 else union(*branches)
    return combined.subquery("seen")


@functools.lru_cache(maxsize=512)
def _count_statement(shape: _Shape) -> Prepared:
    return Prepared(select(func.count()).select_from(_union(shape)))


def count_capped(session: Session, who: Principals, n: Narrowing) -> tuple[int, bool]:
    """How many tasks the list holds, counting no further than CAP; True when there are more."""
    statement = _count_statement(_shape(who, n, "due", None))
    found = statement.scalar_one(session, _params(who, n, "due", None, CAP + 1)) or 0
    return min(found, CAP), found > CAP


@dataclass(frozen=True)
class SeekPage:
    rows: list[Any]  # the columns asked for, in list order
    next: Seek | None  # where the following page starts; None on the last page


@functools.lru_cache(maxsize=512)
def _page_statement(shape: _Shape, columns: tuple[Any, ...]) -> Prepared:
    seen = _union(shape)
    keys = (
        (seen.c.neg_priority, seen.c.due_key, seen.c.task_id)
        if shape.order == "priority"
        else (seen.c.due_key, seen.c.neg_priority, seen.c.task_id)
    )
    return Prepared(
        select(*columns, seen.c.due_key.label("seek_due"), seen.c.neg_priority.label("seek_priority"))
        .select_from(Task)
        .join(seen, seen.c.task_id == Task.id)
        .outerjoin(PqrsdCase, PqrsdCase.instance_id == Task.instance_id)
        .order_by(*keys)
        .limit(bindparam("page_limit", type_=Integer))
        .offset(bindparam("page_offset", type_=Integer))
    )


def page(
    session: Session,
    who: Principals,
    n: Narrowing,
    columns: tuple[Any, ...],
    *,
    order: str,
    after: Seek | None,
    limit: int,
    offset: int = 0,
) -> SeekPage:
    """One page in one statement: the union of the principals' ranges, joined to the task and its case.
    `columns` are of the task and its case, and include the task's `id`."""
    statement = _page_statement(_shape(who, n, order, after), columns)
    params = _params(who, n, order, after, offset + limit + 1)
    params.update(page_limit=limit + 1, page_offset=offset)
    rows = statement.rows(session, params)
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1] if rows else None
    following = Seek(last.seek_due, last.seek_priority, last.id) if more and last is not None else None
    return SeekPage(rows, following)


def page_and_total(
    session: Session,
    who: Principals,
    n: Narrowing,
    columns: tuple[Any, ...],
    *,
    order: str,
    after: Seek | None,
    limit: int,
    offset: int = 0,
) -> tuple[SeekPage, int, bool]:
    """The page, and the capped total (`count_capped`). A first page, or an offset page with rows, that ends
    before `limit` already holds the rest of the list, so its total is known without the count."""
    found = page(session, who, n, columns, order=order, after=after, limit=limit, offset=offset)
    if after is None and found.next is None and (offset == 0 or found.rows):
        known = offset + len(found.rows)
        return found, min(known, CAP), known > CAP
    total, capped = count_capped(session, who, n)
    return found, total, capped


def narrowing(
    process_key: str | None,
    overdue_at: datetime | None,
    due_before: datetime | None,
    min_priority: int | None,
    max_priority: int | None,
) -> Narrowing:
    bounds = [b for b in (overdue_at, due_before) if b is not None]
    return Narrowing(process_key, min(bounds) if bounds else None, min_priority, max_priority)
