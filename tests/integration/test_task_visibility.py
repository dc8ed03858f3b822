"""The visibility rows of open tasks: kept right by every write path, and the lists that seek on them.

After each use case (start, claim, unclaim, assign, reassign, complete, cancel) the rows the triggers kept are
exactly those computed afresh from the task tables; the inbox pages walked by their cursors give the same
tasks in the same order as one long list; totals stop at the cap and say so; the migration backfills.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import text

from engine.context import Context
from engine.errors import BadInput
from engine.identity import users
from engine.store.db import Database
from engine.store.uow import UnitOfWork
from engine.store.visibility_tables import expected_rows_sql
from engine.workflow import instances, reassign, task_pages, tasks, views
from engine.workflow.views import TaskFilter
from tests.conftest import make_empty_database_url
from tests.helpers import deploy_xml, open_tasks, process_xml

# Three parallel tasks: one for a person, one for a dependencia, one routed to nobody; due and priority vary.
MODEL = """
    <bpmn:startEvent id="Inicio" />
    <bpmn:sequenceFlow id="F0" sourceRef="Inicio" targetRef="Abrir" />
    <bpmn:parallelGateway id="Abrir" />
    <bpmn:sequenceFlow id="F1" sourceRef="Abrir" targetRef="Personal" />
    <bpmn:sequenceFlow id="F2" sourceRef="Abrir" targetRef="DeGrupo" />
    <bpmn:sequenceFlow id="F3" sourceRef="Abrir" targetRef="SinRuta" />
    <bpmn:userTask id="Personal" name="Personal" camunda:assignee="${asignado}" camunda:dueDate="${vence}"
      camunda:priority="${prioridad}" />
    <bpmn:userTask id="DeGrupo" name="De grupo" camunda:candidateGroups="dep,otra"
      camunda:candidateUsers="usu" camunda:dueDate="${vence}" />
    <bpmn:userTask id="SinRuta" name="Sin ruta" camunda:priority="${prioridad}" />
    <bpmn:sequenceFlow id="F4" sourceRef="Personal" targetRef="Cerrar" />
    <bpmn:sequenceFlow id="F5" sourceRef="DeGrupo" targetRef="Cerrar" />
    <bpmn:sequenceFlow id="F6" sourceRef="SinRuta" targetRef="Cerrar" />
    <bpmn:parallelGateway id="Cerrar" />
    <bpmn:sequenceFlow id="F7" sourceRef="Cerrar" targetRef="Fin" />
    <bpmn:endEvent id="Fin" />
"""


def _kept_and_expected(ctx: Context) -> tuple[set[Any], set[Any]]:
    columns = "task_id, kind, value, taken, due_key, neg_priority, process_key, instance_id"
    dialect = "postgresql" if not ctx.db.is_sqlite else "sqlite"
    with UnitOfWork(ctx.db, write=False) as uow:
        conn = uow.session.connection()
        kept = {tuple(r) for r in conn.execute(text(f"SELECT {columns} FROM task_visibility"))}
        expected = {tuple(r) for r in conn.execute(text(expected_rows_sql(dialect)))}
    return {_row(r) for r in kept}, {_row(r) for r in expected}


def _assert_kept(ctx: Context) -> None:
    kept, expected = _kept_and_expected(ctx)
    assert kept == expected


def _start(ctx: Context, n: int) -> list[int]:
    now = ctx.clock.now()
    started = []
    for i in range(n):
        data = {
            "asignado": "usu" if i % 2 == 0 else "otro",
            "vence": (now + timedelta(days=i % 4)).isoformat() if i % 3 else None,
            "prioridad": 40 + 10 * (i % 3),
        }
        started.append(instances.start_process(ctx, "visible", data=data, actor="usu").id)
    return started


@pytest.fixture
def people(ctx: Context) -> Context:
    deploy_xml(ctx, "visible.bpmn", process_xml(MODEL, pid="visible"))
    users.add_user(ctx, "usu", groups="dep")
    users.add_user(ctx, "otro", groups="dep")
    users.add_user(ctx, "jefa", groups="dep", roles="supervisor")
    users.add_user(ctx, "root", roles="admin")
    return ctx


def test_every_task_use_case_keeps_the_visibility_rows_right(people: Context) -> None:
    ctx = people
    [first, second] = _start(ctx, 2)
    _assert_kept(ctx)
    tasks_of = {t["name"]: t["id"] for t in open_tasks(ctx, first)}
    tasks.claim_task(ctx, tasks_of["De grupo"], "usu")
    _assert_kept(ctx)
    tasks.unclaim_task(ctx, tasks_of["De grupo"], "usu")
    _assert_kept(ctx)
    tasks.assign_task(ctx, tasks_of["Sin ruta"], "root", "otro")
    _assert_kept(ctx)
    jefa = users.get_user(ctx, "jefa")
    reassign.reassign_tasks(ctx, jefa, [tasks_of["De grupo"]], to_group="dep", reason="Carga de trabajo")
    _assert_kept(ctx)
    tasks.complete_task(ctx, tasks_of["Personal"], "usu", {})
    _assert_kept(ctx)
    with UnitOfWork(ctx.db) as uow:
        instances.cancel_in(ctx, uow.session, second, reason="Prueba", actor="root")
        uow.commit()
    _assert_kept(ctx)
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(
            text("SELECT count(*) FROM task_visibility WHERE instance_id = :i"), {"i": second}
        )
        assert rows.scalar_one() == 0


def _walk(ctx: Context, f: TaskFilter) -> list[int]:
    seen: list[int] = []
    cursor = None
    while True:
        page = views.task_page(ctx, TaskFilter(**{**f.__dict__, "cursor": cursor, "limit": 2}))
        seen += [t["id"] for t in page["items"]]
        cursor = page["next"]
        if cursor is None:
            return seen


@pytest.mark.parametrize("order", ["due", "priority"])
@pytest.mark.parametrize(
    ("who", "criteria"),
    [
        ("usu", {}),
        ("usu", {"assignee_me": True}),
        ("usu", {"candidate_me": True}),
        ("jefa", {}),
        ("root", {}),
        ("root", {"process_key": "visible", "min_priority": 50}),
    ],
)
def test_cursor_pages_give_the_whole_list_in_order(
    people: Context, order: str, who: str, criteria: dict[str, Any]
) -> None:
    ctx = people
    _start(ctx, 7)
    f = views.task_filter_for(users.get_user(ctx, who), order=order, limit=1000, **criteria)
    whole = views.task_page(ctx, f)
    assert whole["next"] is None and whole["total"] == len(whole["items"]) > 2
    assert _walk(ctx, f) == [t["id"] for t in whole["items"]]
    keys = [_sort_key(t, order) for t in whole["items"]]
    assert keys == sorted(keys)
    old_order, _ = views.tasks(ctx, TaskFilter(**{**f.__dict__, "text": "%"}))  # the scanning path
    assert [t["id"] for t in old_order] == [t["id"] for t in whole["items"]]


def _sort_key(task: dict[str, Any], order: str) -> tuple[Any, ...]:
    due = task["due_at"] or "9999"
    return (
        (-task["priority"], due, task["id"]) if order == "priority" else (due, -task["priority"], task["id"])
    )


def test_totals_stop_at_the_cap_and_say_there_are_more(
    people: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = people
    _start(ctx, 3)
    root = users.get_user(ctx, "root")
    assert views.task_page(ctx, views.task_filter_for(root))["total"] == 9
    monkeypatch.setattr(task_pages, "CAP", 5)
    capped = views.task_page(ctx, views.task_filter_for(root, limit=2))
    assert (capped["total"], capped["capped"], len(capped["items"])) == (5, True, 2)


@pytest.mark.parametrize("cap", [1000, 5])
def test_every_page_size_and_offset_gives_the_counted_total(
    people: Context, monkeypatch: pytest.MonkeyPatch, cap: int
) -> None:
    """A page that ends before its limit takes its total from its own rows; any other page counts. Both
    give the same total, capped the same way."""
    ctx = people
    _start(ctx, 3)
    root = users.get_user(ctx, "root")
    monkeypatch.setattr(task_pages, "CAP", cap)
    expected = (min(9, cap), cap < 9)
    for limit in (1, 4, 8, 9, 10, 50):
        for offset in (0, 2, 8, 9, 12):
            found = views.task_page(ctx, views.task_filter_for(root, limit=limit, offset=offset))
            assert (found["total"], found["capped"]) == expected, (limit, offset)
            assert len(found["items"]) == max(0, min(limit, 9 - offset)), (limit, offset)


def test_a_forged_cursor_is_refused_in_spanish(people: Context) -> None:
    ctx = people
    _start(ctx, 1)
    root = users.get_user(ctx, "root")
    due_cursor = views.task_page(ctx, views.task_filter_for(root, limit=1))["next"]
    assert due_cursor is not None
    huge = task_pages.encode_cursor("priority", task_pages.Seek(datetime.now(UTC), -50, 10**30))
    for cursor in ("basura", due_cursor + "x", due_cursor, huge):
        with pytest.raises(BadInput, match="cursor"):
            views.task_page(ctx, views.task_filter_for(root, order="priority", cursor=cursor))


@pytest.mark.parametrize("kind", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_the_migration_backfills_the_open_tasks_already_stored(
    kind: str, request: pytest.FixtureRequest, tmp_path: Any
) -> None:
    from alembic import command

    from engine.store.schema import alembic_config

    db = Database(make_empty_database_url(kind, request, tmp_path))
    config = alembic_config(db.url)
    with db.write_engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0015")
        stamp = "'2026-03-02 13:00:00'"
        for statement in (
            f"INSERT INTO deployments (id, created_at, files, summary) VALUES (1, {stamp}, '[]', '{{}}')",
            "INSERT INTO process_definitions (id, deployment_id, key, version, name, file, content_hash, "
            f"spec_json, sources, properties, form_refs, deployed_at) VALUES (1, 1, 'p', 1, 'p', 'p.bpmn', 'h', "
            f"'{{}}', '[]', '{{}}', '[]', {stamp})",
            "INSERT INTO process_instances (id, definition_id, process_key, version, status, state, row_version, "
            f"completed_activities, started_at, updated_at) VALUES (1, 1, 'p', 1, 'running', '{{}}', 1, '[]', "
            f"{stamp}, {stamp})",
            *(
                "INSERT INTO tasks (id, spiff_id, instance_id, process_key, bpmn_id, name, state, assignee, "
                f"candidate_users, candidate_groups, due_at, priority, created_at) VALUES ({i}, 's{i}', 1, 'p', "
                f"'T', 'T', '{state}', {assignee}, '[]', '[]', {due}, 50, {stamp})"
                for i, state, assignee, due in (
                    (1, "ready", "'ana'", stamp),
                    (2, "ready", "NULL", "NULL"),
                    (3, "completed", "'ana'", stamp),
                    (4, "ready", "NULL", stamp),
                )
            ),
            "INSERT INTO task_candidates (task_id, kind, value) VALUES (1, 'group', 'dep'), (4, 'user', 'beto')",
        ):
            conn.execute(text(statement))
        conn.commit()
        command.upgrade(config, "head")
        conn.commit()
        rows = sorted(
            tuple(r) for r in conn.execute(text("SELECT task_id, kind, value FROM task_visibility"))
        )
    assert rows == [
        (1, "all", ""), (1, "assignee", "ana"), (1, "group", "dep"), (2, "all", ""), (2, "unrouted", ""),
        (4, "all", ""), (4, "user", "beto"),
    ]  # fmt: skip
    db.dispose()


def test_an_offset_past_the_first_pages_is_refused_with_the_cursor_named(people: Context) -> None:
    ctx = people
    _start(ctx, 1)
    root = users.get_user(ctx, "root")
    assert views.task_page(ctx, views.task_filter_for(root, offset=task_pages.MAX_OFFSET))["items"] == []
    with pytest.raises(BadInput, match="siguiente"):
        views.task_page(ctx, views.task_filter_for(root, offset=task_pages.MAX_OFFSET + 1))


@pytest.mark.parametrize("seed", range(4))
def test_random_writes_to_the_task_tables_keep_the_rows_equal_to_the_expected_ones(
    people: Context, seed: int
) -> None:
    """Any sequence of writes, as one statement each (several rows at once too), straight on the tables:
    the incremental triggers leave what the full computation gives after every one of them."""
    ctx, rnd = people, random.Random(seed)
    instance_ids = _start(ctx, 2)
    stamp = ctx.clock.now()
    names, groups, states = (
        [None, "usu", "otro", "jefa"],
        ["dep", "otra", "sec"],
        ["ready", "completed", "cancelled"],
    )
    with UnitOfWork(ctx.db) as uow:
        conn = uow.session.connection()
        ids = list(conn.execute(text("SELECT id FROM tasks")).scalars())

        def run(sql: str, **params: Any) -> None:
            conn.execute(text(sql), params)

        def some_tasks() -> list[int]:
            return rnd.sample(ids, k=min(len(ids), rnd.choice((1, 1, 2, 3))))

        for step in range(160):
            action = rnd.choice(
                ("task", "task", "candidate", "drop", "state", "holder", "keys", "both", "delete")
            )
            if action == "task":
                with_due = rnd.random() < 0.6
                new_id = conn.execute(
                    text(
                        "INSERT INTO tasks (spiff_id, instance_id, process_key, bpmn_id, name, state, assignee, "
                        "candidate_users, candidate_groups, due_at, priority, created_at) VALUES (:s, :i, :p, "
                        "'T', 'T', :state, :who, '[]', '[]', :due, :prio, :now) RETURNING id"
                    ),
                    {
                        "s": f"r{seed}-{step}",
                        "i": rnd.choice(instance_ids),
                        "p": rnd.choice(("a", "b")),
                        "state": rnd.choice(states[:1] * 3 + states),
                        "who": rnd.choice(names),
                        "due": stamp + timedelta(hours=rnd.randint(0, 99)) if with_due else None,
                        "prio": rnd.choice((10, 50, 90)),
                        "now": stamp,
                    },
                ).scalar_one()
                ids.append(new_id)
            elif action == "candidate" and ids:
                task_id = rnd.choice(ids)
                offered = rnd.sample([("group", g) for g in groups] + [("user", u) for u in names[1:]], k=2)
                have = set(conn.execute(text("SELECT kind, value FROM task_candidates WHERE task_id = :t"),
                                        {"t": task_id}))  # fmt: skip
                rows = [
                    f"({task_id}, '{k}', '{v}')"
                    for k, v in offered[: rnd.choice((1, 2))]
                    if (k, v) not in have
                ]
                if rows:  # one statement for both rows, when two
                    run("INSERT INTO task_candidates (task_id, kind, value) VALUES " + ", ".join(rows))
            elif action == "drop" and ids:
                one = " AND kind = 'group'" if rnd.random() < 0.5 else ""  # all of the task's, or its groups
                run(f"DELETE FROM task_candidates WHERE task_id = :t{one}", t=rnd.choice(ids))
            elif action == "state" and ids:
                run("UPDATE tasks SET state = :s WHERE id IN " + _in(some_tasks()), s=rnd.choice(states))
            elif action == "holder" and ids:
                run("UPDATE tasks SET assignee = :a WHERE id IN " + _in(some_tasks()), a=rnd.choice(names))
            elif action in ("keys", "both") and ids:
                due = stamp + timedelta(hours=rnd.randint(0, 99)) if rnd.random() < 0.7 else None
                extra = ", assignee = :a" if action == "both" else ""
                run(
                    f"UPDATE tasks SET due_at = :d, priority = :p, process_key = :k{extra} WHERE id IN "
                    + _in(some_tasks()),
                    d=due, p=rnd.choice((10, 50, 90)), k=rnd.choice(("a", "b")), a=rnd.choice(names),
                )  # fmt: skip
            elif action == "delete" and ids:
                gone = rnd.choice(ids)
                run("DELETE FROM tasks WHERE id = :t", t=gone)
                ids.remove(gone)
            columns = "task_id, kind, value, taken, due_key, neg_priority, process_key, instance_id"
            kept = {_row(r) for r in conn.execute(text(f"SELECT {columns} FROM task_visibility"))}
            expected = {_row(r) for r in conn.execute(text(expected_rows_sql(_dialect(ctx))))}
            assert kept == expected, f"step {step}: {action}"
        uow.commit()


def _in(ids: list[int]) -> str:
    return "(" + ", ".join(str(i) for i in ids) + ")"


def _row(row: Any) -> tuple[Any, ...]:
    return (*row[:3], bool(row[3]), *row[4:])


def _dialect(ctx: Context) -> str:
    return "sqlite" if ctx.db.is_sqlite else "postgresql"
