"""The supervision dashboard's counts (read only): open PQRSD and open tasks by semáforo, crossed with
dependencia, funcionario, tipo, canal and proceso.

Unfiltered, for the entity or one dependencia, they come from the trigger-kept counters (engine.supervision
.counters: two statements that read a few thousand rows at a million open tasks); filtered, from the dashboard's
rows of that scope that match (engine.supervision.filtered: one grouped statement). A text search or a
supervisor of several dependencias: the exact grouped statements over the case and task tables (one per
section), which read every open row of the scope."""

from __future__ import annotations

from typing import Any, TypedDict

from sqlalchemy import and_, case, func, literal, literal_column, select, union_all
from sqlalchemy.orm import Session, aliased

from engine.context import Context
from engine.identity.users import UserView
from engine.pqrsd import legal_data as legal
from engine.pqrsd.filing import CHANNELS
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import ProcessDefinition, Task, TaskCandidate, User
from engine.store.uow import UnitOfWork
from engine.supervision import counters, filtered
from engine.supervision import semaforo_sql as sem
from engine.supervision.filters import FILTERS, NONE, SupervisionQuery
from engine.supervision.scope import (
    Watch,
    case_dependencia,
    cases_query,
    for_counting,
    task_colour,
    tasks_query,
    watch_for,
)

DIMENSIONS = {
    "dependencia": "Dependencia",
    "funcionario": "Funcionario",
    "tipo": "Tipo",
    "canal": "Canal",
    "proceso": "Proceso",
}
NONE_LABELS = {
    "dependencia": "Sin dependencia",
    "funcionario": "Sin asignar",
    "tipo": "Sin caso",
    "canal": "Sin caso",
}


class Row(TypedDict):
    value: str  # the filter value ("-": none)
    label: str
    counts: dict[str, int]  # semáforo state → count
    total: int


class Section(TypedDict):
    total: int
    semaforo: dict[str, int]
    by: dict[str, list[Row]]  # dimension → rows, largest first


class Summary(TypedDict):
    scope: list[str] | None  # the dependencias watched; None: the whole entity
    generated_at: str
    casos: Section
    tareas: Section


def summary(ctx: Context, user: UserView, q: SupervisionQuery) -> Summary:
    """Three statements: the counters (or the two exact grouped ones), the current hour's rows, the names shown."""
    w = watch_for(ctx, user)
    with UnitOfWork(ctx.db, write=False) as uow:
        session = uow.session
        scope = counted_scope(w, q)
        row_scope = filtered.rows_scope(w.groups, q) if scope is None else None
        if scope is not None:
            found = counters.tally(ctx.db, session, scope, w.now, w.amarillo_share)
            cases, tasks = _from_tally(found, "caso", "tipo"), _from_tally(found, "tarea", "funcionario")
        elif row_scope is not None:  # filtered: the scope's matching rows, not every open case and task
            counters.ensure_state(ctx.db, w.amarillo_share, w.now)
            by_section = filtered.grouped(session, q, row_scope, w.now)
            cases = _from_rows(by_section["caso"], "tipo")
            tasks = _from_rows(by_section["tarea"], "funcionario")
        else:
            for_counting(session)
            cases = _grouped(session, _case_statement(session, w, q), "tipo")
            tasks = _grouped(session, _task_statement(session, w, q), "funcionario")
        labels = _labels(ctx, session, [cases, tasks])
    for section in (cases, tasks):
        for dimension, rows in section["by"].items():
            for row in rows:
                row["label"] = labels.get((dimension, row["value"]), row["value"])
    return Summary(
        scope=list(w.groups) if w.groups is not None else None,
        generated_at=w.now.isoformat(),
        casos=cases,
        tareas=tasks,
    )


def counted_scope(w: Watch, q: SupervisionQuery) -> str | None:
    """The counters' scope that answers this summary exactly ('' the entity); None: count the rows."""
    if any(getattr(q, name) is not None for name in FILTERS):
        return None
    if w.groups is None:
        return ""
    return w.groups[0] if len(w.groups) == 1 else None


def _from_tally(found: counters.Tally, section: str, total_from: str) -> Section:
    by: dict[str, list[Row]] = {}
    for (kind, dimension, value), moments in found.items():
        counts = counters.colours(moments, section)
        if kind == section and any(counts.values()):
            by.setdefault(dimension, []).append(
                Row(value=value, label=value, counts=counts, total=sum(counts.values()))
            )
    return _section(by, total_from)


def _case_statement(session: Session, w: Watch, q: SupervisionQuery) -> Any:
    base = cases_query(
        session, w, q, sem.case_colour(w.now).label("colour"), _none(case_dependencia()).label("dependencia"),
        _none(PqrsdCase.kind).label("tipo"), _none(PqrsdCase.channel).label("canal"),
    ).cte("open_cases")  # fmt: skip
    return union_all(
        *(_counts(name, base, base.c[name], base.c.colour) for name in ("dependencia", "tipo", "canal"))
    )


def _task_statement(session: Session, w: Watch, q: SupervisionQuery) -> Any:
    base = tasks_query(
        session, w, q, Task.id, task_colour(session, w).label("colour"),
        _none(Task.assignee).label("funcionario"), _none(PqrsdCase.kind).label("tipo"),
        _none(PqrsdCase.channel).label("canal"), Task.process_key.label("proceso"),
    ).cte("open_tasks")  # fmt: skip
    # A task offered to two dependencias counts in both of their rows (and once in every other table).
    offered = aliased(TaskCandidate)
    by_group = base.outerjoin(offered, and_(offered.task_id == base.c.id, offered.kind == "group"))
    return union_all(
        _counts("dependencia", by_group, _none(offered.value), base.c.colour),
        *(
            _counts(name, base, base.c[name], base.c.colour)
            for name in ("funcionario", "tipo", "canal", "proceso")
        ),
    )


def _none(column: Any) -> Any:
    # Inline, not bound: PostgreSQL matches a GROUP BY expression only with the very same parameters.
    return func.coalesce(column, literal_column(f"'{NONE}'"))


def _counts(dimension: str, rows: Any, value: Any, colour: Any) -> Any:
    """One dimension's counts by semáforo over the section's rows, read once (a CTE)."""
    return (
        select(
            literal_column(f"'{dimension}'").label("dimension"),
            value.label("value"),
            *(func.sum(case((colour == literal_column(f"'{s}'"), 1), else_=0)).label(s) for s in sem.STATES),
        )
        .select_from(rows)
        .group_by(value)
    )


def _grouped(session: Session, statement: Any, total_from: str) -> Section:
    return _from_rows(session.execute(statement), total_from)


def _from_rows(rows: Any, total_from: str) -> Section:
    by: dict[str, dict[str, Row]] = {}
    for dimension, value, *counts in rows:
        found = {state: int(n or 0) for state, n in zip(sem.STATES, counts, strict=True)}
        by.setdefault(dimension, {})[value] = Row(
            value=value, label=value, counts=found, total=sum(found.values())
        )
    return _section({name: list(rows.values()) for name, rows in by.items()}, total_from)


def _section(by: dict[str, list[Row]], total_from: str) -> Section:
    ordered = {name: sorted(rows, key=lambda r: (-r["total"], r["value"])) for name, rows in by.items()}
    totals = dict.fromkeys(sem.STATES, 0)
    for row in ordered.get(total_from, []):
        for state, n in row["counts"].items():
            totals[state] += n
    return Section(total=sum(totals.values()), semaforo=totals, by=ordered)


def _labels(ctx: Context, session: Session, sections: list[Section]) -> dict[tuple[str, str], str]:
    values = {(d, r["value"]) for s in sections for d, rows in s["by"].items() for r in rows}
    labels = {(d, v): NONE_LABELS.get(d, v) for d, v in values if v == NONE}
    labels |= {("canal", k): v for k, v in CHANNELS.items()}
    today = legal.local_date_of(ctx, ctx.clock.now())
    labels |= {("tipo", r.kind): r.label for r in legal.snapshot(ctx, legal.years_around(today, 0)).terms}
    people = [v for d, v in values if d == "funcionario" and v != NONE]
    keys = [v for d, v in values if d == "proceso"]
    if people or keys:  # one statement: the people's names and each process's latest version's name
        names = select(
            literal("funcionario").label("d"),
            User.username.label("k"),
            User.display_name.label("v"),
            literal(0).label("o"),
        ).where(User.username.in_(people))
        processes = select(literal("proceso"), ProcessDefinition.key, ProcessDefinition.name,
                           ProcessDefinition.version).where(ProcessDefinition.key.in_(keys))  # fmt: skip
        rows = session.execute(union_all(names, processes).order_by(literal_column("o")))
        labels |= {(d, key): shown or key for d, key, shown, _ in rows}
    return labels
