"""The dashboard's trigger-kept rows and counters agree with the exact counts over the case and task tables.

Random writes of every kind the engine makes (a case filed with or without a term, a task created, claimed,
reassigned to another dependencia, completed or deleted, a prórroga moving the due date and thresholds, a case
answered, suspended or moved to another dependencia) on SQLite and PostgreSQL; after them the rows are those
computed afresh, and the counts at several later moments — across hours, with the counters folded in
between — equal the exact grouped statements, for the entity and for one dependencia.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from engine.context import Context
from engine.identity import users
from engine.pqrsd import legal_data as legal
from engine.pqrsd.radicacion import CLOSED_STATUSES
from engine.store import supervision_tables as st
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from engine.supervision import counters, dashboard, items
from engine.supervision.filters import SupervisionQuery
from engine.supervision.scope import Watch
from tests.helpers import deploy_xml, process_xml
from tests.pg import LOCK_WAITERS
from tests.processes import wait_until

GROUPS = ("d1", "d2", "d3")
KINDS = ("peticion_general", "queja")
CHANNELS = ("formulario_web", "telefonico")


def test_the_store_closes_the_same_statuses_as_the_pqrsd_rules() -> None:
    assert set(st.CLOSED) == CLOSED_STATUSES


class Writer:
    def __init__(self, ctx: Context, seed: int) -> None:
        self.ctx, self.rnd = ctx, random.Random(seed)
        self.now = ctx.clock.now()
        legal.ensure_legal_data(ctx, actor="test")
        deploy_xml(ctx, "tablero.bpmn", process_xml('<bpmn:startEvent id="Inicio" />', pid="tablero"))
        with UnitOfWork(ctx.db, write=False) as uow:
            self.definition = uow.session.execute(
                text("SELECT min(id) FROM process_definitions")
            ).scalar_one()
        self.instances: list[int] = []
        self.tasks: list[int] = []
        self.cases: list[int] = []
        self.serial = 0

    def moment(self, spread_days: int = 30) -> Any:
        return self.now + timedelta(seconds=self.rnd.randrange(-spread_days * 86400, spread_days * 86400))

    def run(self, sql: str, **params: Any) -> Any:
        if self.ctx.db.is_sqlite:  # as the column type stores them
            params = {k: v.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f") if isinstance(v, datetime) else v
                      for k, v in params.items()}  # fmt: skip
        with UnitOfWork(self.ctx.db) as uow:
            found = uow.session.execute(text(sql), params)
            value = found.scalar() if found.returns_rows else None
            uow.commit()
        return value

    def new_instance(self) -> None:
        self.serial += 1
        instance = self.run(
            "INSERT INTO process_instances (definition_id, process_key, version, business_key, status, state, "
            "row_version, completed_activities, waits, started_at, started_by, updated_at) VALUES (:d, 'tablero', "
            "1, :b, 'running', '{}', 1, '[]', 0, :now, 'test', :now) RETURNING id",
            d=self.definition, b=f"B{self.serial}", now=self.now,
        )  # fmt: skip
        self.instances.append(instance)
        if self.rnd.random() < 0.7:
            self.new_case(instance)
        self.new_task(instance)

    def new_case(self, instance: int | None) -> None:
        self.serial += 1
        due = None if self.rnd.random() < 0.1 else self.moment()
        amarillo = (
            None
            if due is None or self.rnd.random() < 0.1
            else due - timedelta(hours=self.rnd.randrange(0, 400))
        )
        alerta = (
            None
            if due is None or self.rnd.random() < 0.1
            else due - timedelta(hours=self.rnd.randrange(0, 300))
        )
        case = self.run(
            "INSERT INTO pqrsd_cases (radicado, kind, channel, anonymous, priority, received_at, radicacion_date, "
            "radicacion_policy, term_version, term_key, term, due_at, original_due_at, explanation, status, "
            "suspensions, instance_id, subject, dependencia, amarillo_at, alerta_at, created_at, updated_at) "
            "VALUES (:r, :k, :c, false, 'normal', :now, :day, 'A', (SELECT max(version) FROM term_versions), "
            "'peticion_general', '{}', :due, :now, '{}', :status, '[]', :i, 'Asunto', :dep, :a, :l, :now, :now) "
            "RETURNING id",
            r=f"R-{self.serial}", k=self.rnd.choice(KINDS), c=self.rnd.choice(CHANNELS), now=self.now,
            day=self.now.date(), due=due, status=self.rnd.choice(("en_tramite", "en_tramite", "respondida")),
            i=instance, dep=self.rnd.choice((None, *GROUPS)), a=amarillo, l=alerta,
        )  # fmt: skip
        self.cases.append(case)

    def new_task(self, instance: int) -> None:
        self.serial += 1
        created = self.moment(10)
        due = (
            None
            if self.rnd.random() < 0.2
            else created + timedelta(minutes=self.rnd.randrange(1, 60 * 24 * 40))
        )
        task = self.run(
            "INSERT INTO tasks (spiff_id, instance_id, process_key, bpmn_id, name, state, assignee, candidate_users, "
            "candidate_groups, due_at, priority, created_at) VALUES (:s, :i, 'tablero', 'T', 'Tarea', 'ready', :a, "
            "'[]', '[]', :due, 50, :created) RETURNING id",
            s=f"spiff-{self.serial}", i=instance, a=self.rnd.choice((None, "u1", "u2")), due=due, created=created,
        )  # fmt: skip
        self.tasks.append(task)
        for group in self.rnd.sample(GROUPS, self.rnd.choice((0, 1, 1, 2))):
            self.run(
                "INSERT INTO task_candidates (task_id, kind, value) VALUES (:t, 'group', :g)", t=task, g=group
            )

    def step(self) -> None:
        r = self.rnd.random()
        task = self.rnd.choice(self.tasks) if self.tasks else None
        case = self.rnd.choice(self.cases) if self.cases else None
        if r < 0.25 or task is None:
            self.new_instance()
        elif r < 0.32:
            self.new_task(self.rnd.choice(self.instances))
        elif r < 0.42:
            self.run(
                "UPDATE tasks SET assignee = :a WHERE id = :t", a=self.rnd.choice((None, "u1", "u2")), t=task
            )
        elif r < 0.50:
            self.run("UPDATE tasks SET state = 'completed' WHERE id = :t", t=task)
        elif r < 0.56:
            self.run("DELETE FROM tasks WHERE id = :t", t=task)
            self.tasks.remove(task)
        elif r < 0.64:  # reassigned to another dependencia
            self.run("DELETE FROM task_candidates WHERE task_id = :t", t=task)
            self.run("INSERT INTO task_candidates (task_id, kind, value) VALUES (:t, 'group', :g)",
                     t=task, g=self.rnd.choice(GROUPS))  # fmt: skip
        elif r < 0.70:
            self.run("UPDATE tasks SET due_at = :d WHERE id = :t", d=self.moment(), t=task)
        elif case is not None and r < 0.80:  # a prórroga: later due date and thresholds
            days = timedelta(days=self.rnd.randrange(1, 15))
            with UnitOfWork(self.ctx.db) as uow:
                found = uow.session.get(PqrsdCase, case)
                assert found is not None
                if found.due_at is not None:
                    found.due_at += days
                    found.alerta_at = found.alerta_at + days if found.alerta_at else None
                    found.amarillo_at = found.amarillo_at + days if found.amarillo_at else None
                uow.commit()
        elif case is not None and r < 0.86:
            status = self.rnd.choice(("respondida", "en_tramite", "en_requerimiento"))
            self.run("UPDATE pqrsd_cases SET status = :s WHERE id = :c", s=status, c=case)
        elif case is not None and r < 0.92:  # suspended (art. 17) or resumed
            self.run("UPDATE pqrsd_cases SET due_at = :d WHERE id = :c",
                     d=None if self.rnd.random() < 0.5 else self.moment(), c=case)  # fmt: skip
        elif case is not None and r < 0.96:
            self.run(
                "UPDATE pqrsd_cases SET dependencia = :g WHERE id = :c",
                g=self.rnd.choice((None, *GROUPS)),
                c=case,
            )
        elif case is not None:  # its instance deleted: the foreign key sets NULL
            self.run("UPDATE pqrsd_cases SET instance_id = NULL WHERE id = :c", c=case)
        else:
            self.new_case(None)


def _rows(ctx: Context) -> tuple[list[Any], list[Any]]:
    dialect = "sqlite" if ctx.db.is_sqlite else "postgresql"
    with UnitOfWork(ctx.db, write=False) as uow:
        conn = uow.session.connection()
        kept = conn.execute(text(f"SELECT {st.COLUMNS} FROM supervision_items")).all()
        expected = conn.execute(text(st.expected_rows_sql(dialect))).all()

    def norm(rows: list[Any]) -> list[Any]:
        return sorted((*r[:4], bool(r[4]), *r[5:11], *(str(v)[:23] for v in r[11:])) for r in rows)

    return norm(kept), norm(expected)


def _exact(ctx: Context, watch: Watch) -> dict[str, Any]:
    q = SupervisionQuery()
    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        return {
            "casos": dashboard._grouped(s, dashboard._case_statement(s, watch, q), "tipo"),
            "tareas": dashboard._grouped(s, dashboard._task_statement(s, watch, q), "funcionario"),
        }


def _counted(ctx: Context, watch: Watch) -> dict[str, Any]:
    scope = "" if watch.groups is None else watch.groups[0]
    with UnitOfWork(ctx.db, write=False) as uow:
        found = counters.tally(ctx.db, uow.session, scope, watch.now, watch.amarillo_share)
    return {
        "casos": dashboard._from_tally(found, "caso", "tipo"),
        "tareas": dashboard._from_tally(found, "tarea", "funcionario"),
    }


LISTS = [
    {"ver": ver, **extra}
    for ver in ("casos", "tareas")
    for extra in (
        {}, *({"semaforo": s} for s in ("verde", "amarillo", "alerta", "rojo", "suspendida", "sin_termino")),
        {"dependencia": "d1"}, {"dependencia": "-"}, {"funcionario": "u1"}, {"funcionario": "-"},
        {"tipo": "queja", "semaforo": "rojo"}, {"canal": "telefonico"}, {"proceso": "tablero"},
    )
]  # fmt: skip


def _listed(ctx: Context, watch: Watch, criteria: dict[str, str]) -> tuple[Any, Any]:
    """The ids and colours of a list through the dashboard's rows and through the case and task tables."""
    q = SupervisionQuery(**criteria, per_page=200)  # type: ignore[arg-type]
    scope = "" if watch.groups is None else watch.groups[0]
    with UnitOfWork(ctx.db, write=False) as uow:
        fast, fast_total, _ = items._seek(ctx, uow.session, watch, q, scope)
        exact, exact_total, _ = (items._cases if q.ver == "casos" else items._tasks)(uow.session, watch, q)

    def seen(found: list[Any]) -> Any:
        return sorted(
            repr((i["radicado"], i["task_id"], i["semaforo"], i["vence_el"], i["dependencia"])) for i in found
        )

    return (seen(fast), fast_total), (seen(exact), exact_total)


@pytest.fixture
def writer(ctx: Context) -> Iterator[Writer]:
    yield Writer(ctx, seed=18)


def test_counters_equal_the_exact_counts_after_random_writes(ctx: Context, writer: Writer) -> None:
    users.add_user(ctx, "jefa", groups="d1", roles="supervisor")
    jefa = users.get_user(ctx, "jefa")
    for round_ in range(4):
        for _ in range(40):
            writer.step()
        kept, expected = _rows(ctx)
        assert kept == expected
        # Later and later (the counters fold the hours over as time passes), inside and across hours.
        for offset in (timedelta(0), timedelta(minutes=37), timedelta(days=3, hours=5, minutes=11)):
            now = writer.now + timedelta(days=4 * round_) + offset
            for groups in (None, ("d1",), ("d2",)):
                watch = Watch(jefa, now, groups, ctx.settings.semaforo_amarillo)
                assert _counted(ctx, watch) == _exact(ctx, watch), (round_, offset, groups)
                for criteria in LISTS if round_ % 2 else ():
                    fast, exact = _listed(ctx, watch, criteria)
                    assert fast == exact, (round_, offset, groups, criteria)
        if round_ == 3:  # the writes reached every colour, so the comparison above meant something
            seen = _exact(ctx, Watch(jefa, writer.now, None, ctx.settings.semaforo_amarillo))
            assert all(
                seen["tareas"]["semaforo"][s]
                for s in ("verde", "amarillo", "alerta", "rojo", "suspendida", "sin_termino")
            )
            assert all(
                seen["casos"]["semaforo"][s] for s in ("verde", "amarillo", "alerta", "rojo", "suspendida")
            )


def _statements(ctx: Context, who: users.UserView) -> dict[str, int]:
    from tests.sql_count import counting

    costs = {}
    pages = [("resumen", {}), *((f"lista {c}", c) for c in LISTS)]
    for label, criteria in pages:
        q = SupervisionQuery(**criteria)  # type: ignore[arg-type]
        call = dashboard.summary if label == "resumen" else items.items
        call(ctx, who, q)  # warm: the legal calendar, the hour's folding
        with counting(ctx.db) as cost:
            call(ctx, who, q)
        costs[repr(label)] = len(cost.statements)
    return costs


def test_each_dashboard_page_costs_the_same_few_statements_with_50_or_250_writes(
    ctx: Context, writer: Writer
) -> None:
    users.add_user(ctx, "jefa", groups="d1", roles="supervisor")
    users.add_user(ctx, "entidad", groups="supervision", roles="supervisor")
    watchers = [users.get_user(ctx, name) for name in ("jefa", "entidad")]
    for _ in range(50):
        writer.step()
    few = [_statements(ctx, who) for who in watchers]
    for _ in range(200):
        writer.step()
    many = [_statements(ctx, who) for who in watchers]

    # summary: counters, the current hour, names; a list: count, page, (cases) who holds them, last activity —
    # an empty page needs only the first two. Five times the rows never cost a statement more.
    def full(page: str) -> int:
        return 3 if "resumen" in page or "tareas" in page else 4

    for costs in (*few, *many):
        assert {page: n for page, n in costs.items() if n not in (2, full(page))} == {}
    assert sum(n == full(page) for page, n in many[0].items()) > len(LISTS) // 2  # most pages had rows


def _indexes(ctx: Context) -> list[tuple[str, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return [
            tuple(r)
            for r in uow.session.execute(
                text(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename LIKE 'supervision%' ORDER BY 1"
                )
                if not ctx.db.is_sqlite
                else text("SELECT name, sql FROM sqlite_master WHERE tbl_name LIKE 'supervision%' ORDER BY 1")
            )
        ]


def test_a_changed_amarillo_share_rebuilds_rows_and_counters_that_equal_the_exact_counts(
    ctx: Context, writer: Writer
) -> None:
    """PHVA_SEMAFORO_AMARILLO changed: the first page rebuilds every row and counter (on PostgreSQL with the
    indexes dropped and built again) and the counts are those of the new share, with the past written folded."""
    users.add_user(ctx, "jefa", groups="d1", roles="supervisor")
    jefa = users.get_user(ctx, "jefa")
    for _ in range(120):
        writer.step()
    before = _indexes(ctx)
    assert before
    now = writer.now + timedelta(hours=3)
    half = Watch(jefa, now, None, 0.5)
    assert _counted(ctx, half) == _exact(ctx, half)
    third = Watch(jefa, now, None, 0.3)
    assert _exact(ctx, third) != _exact(ctx, half)  # the share moves rows between colours here
    assert _counted(ctx, third) == _exact(ctx, third)  # the page that found the share changed rebuilt
    kept, expected = _rows(ctx)
    assert kept == expected
    assert _indexes(ctx) == before  # every index back, as it was
    hour = counters.hour_of(ctx.clock.now())
    with UnitOfWork(ctx.db, write=False) as uow:
        past = uow.session.execute(
            text("SELECT DISTINCT bucket FROM supervision_counts WHERE bucket < :hour"),
            {"hour": hour.strftime("%Y-%m-%d %H:%M:%S.%f") if ctx.db.is_sqlite else hour},
        ).all()
    assert len(past) == 1  # the hours before the rebuild's, in one bucket (PAST) per key
    for groups in (("d1",), ("d2",)):
        watch = Watch(jefa, now + timedelta(days=2), groups, 0.3)
        assert _counted(ctx, watch) == _exact(ctx, watch), groups


@pytest.mark.postgres
def test_a_summary_reading_while_the_share_rebuild_starts_finishes_and_is_not_deadlocked(
    pg_ctx: Context,
) -> None:
    """The rebuild needs the tables to itself while it drops their indexes; a summary that already read the
    counters goes on to read the rows before the rebuild takes them (it would deadlock the other way round)."""
    ctx = pg_ctx
    writer = Writer(ctx, seed=3)
    for _ in range(40):
        writer.step()
    counters.ensure_state(ctx.db, 0.5, writer.now)
    failures: list[BaseException] = []

    def rebuild() -> None:
        try:
            counters.ensure_state(ctx.db, 0.3, writer.now)
        except BaseException as error:
            failures.append(error)

    def rebuild_waits() -> bool:
        with (
            ctx.db.write_engine.connect() as probe
        ):  # a transaction of its own: the activity view is a snapshot
            return bool(probe.execute(text(LOCK_WAITERS)).scalar_one())

    with ctx.db.write_engine.connect() as reader:
        # the summary's first read: the counters
        reader.execute(text("SELECT count(*) FROM supervision_counts")).scalar_one()
        thread = threading.Thread(target=rebuild)
        thread.start()
        wait_until(rebuild_waits, 10, "the rebuild to wait on the summary's lock")
        reader.execute(text("SELECT count(*) FROM supervision_items")).scalar_one()  # the rows: not blocked
        reader.rollback()  # the summary ends; the rebuild takes the tables
        thread.join(30)
    assert not thread.is_alive() and not failures, failures
    with UnitOfWork(ctx.db, write=False) as uow:
        assert uow.session.execute(text("SELECT amarillo_share FROM supervision_state")).scalar_one() == 0.3
