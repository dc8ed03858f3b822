"""Starting very wide and very long models costs work linear in their size (issue 15 §3).

A 3,333-branch parallel split had not started after 300 s: SpiffWorkflow walked the whole task tree after every
completed task and at every engine step, its walk copied its list at every task, and the join checked every
branch at every arrival. Measured here without the clock: the tasks SpiffWorkflow's task iterators visit, and
the SQL statements of the start, at 250 and at 1,000 branches (or tasks). Linear growth is 4×; the bound is 6×
(quadratic was 16× and more). On SQLite and PostgreSQL.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from SpiffWorkflow.bpmn.util.task import BpmnTaskIterator
from SpiffWorkflow.util.task import TaskIterator
from sqlalchemy import select

from bench.deploy import chain, parallel
from engine.context import Context
from engine.modeling.definitions import SourceFile
from engine.store.instances import load_instance
from engine.store.tables import Task
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances
from engine.workflow.runs import load_run
from tests.sql_count import counting

SMALL, LARGE = 250, 1000
LINEAR_BOUND = 6  # LARGE / SMALL is 4


@pytest.fixture
def visits(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """How many tasks SpiffWorkflow's task iterators step over (each _next is one task visited)."""
    count = [0]
    for cls in (TaskIterator, BpmnTaskIterator):
        stock = vars(cls)["_next"]

        def counted(self: Any, _stock: Any = stock) -> Any:
            count[0] += 1
            return _stock(self)

        monkeypatch.setattr(cls, "_next", counted)
    yield count


def user_split(branches: int, key: str) -> bytes:
    """The bench's split with a user task (for group 'atencion') on every branch: the start stops at them."""
    content = parallel(branches, key).replace(
        b'<bpmn:scriptTask id="B', b'<bpmn:userTask camunda:candidateGroups="atencion" id="B'
    )
    content = re.sub(rb"<bpmn:script>r\d+ = 1</bpmn:script></bpmn:scriptTask>", b"</bpmn:userTask>", content)
    return content.replace(b' scriptFormat="python"', b"")


def instance_data(ctx: Context, instance_id: int) -> dict[str, Any]:
    with UnitOfWork(ctx.db) as uow:
        ref = load_instance(uow.session, instance_id)
        assert ref is not None
        return load_run(ctx, uow.session, ref).data()


def ready_tasks(ctx: Context, instance_id: int) -> list[tuple[str, list[str]]]:
    with UnitOfWork(ctx.db) as uow:
        query = select(Task).where(Task.instance_id == instance_id, Task.state == "ready")
        return sorted((t.bpmn_id, list(t.candidate_groups)) for t in uow.session.scalars(query))


def start(ctx: Context, content: bytes, key: str, visits: list[int]) -> tuple[int, int, Any]:
    outcome = deployments.deploy(ctx, [SourceFile(f"{key}.bpmn", content)])
    assert outcome.report.ok, outcome.report.problems[:3]
    visits[0] = 0
    with counting(ctx.db) as sql:
        started = instances.start_process(ctx, key, data={"origen": "prueba"})
    return visits[0], len(sql.statements), started


def test_a_wide_split_runs_to_its_end_in_linear_work(ctx: Context, visits: list[int]) -> None:
    small, small_sql, _ = start(ctx, parallel(SMALL, "ramas_250"), "ramas_250", visits)
    large, large_sql, started = start(ctx, parallel(LARGE, "ramas_1000"), "ramas_1000", visits)
    assert started.status == "completed"
    data = instance_data(ctx, started.id)
    assert data["origen"] == "prueba"
    assert all(data[f"r{i}"] == 1 for i in range(LARGE))  # every branch's result reached the join's output
    assert large <= LINEAR_BOUND * small, (small, large)
    assert large_sql == small_sql, (small_sql, large_sql)  # the statements do not grow with the branches


def test_a_long_chain_runs_to_its_end_in_linear_work(ctx: Context, visits: list[int]) -> None:
    small, _, _ = start(ctx, chain(SMALL, "cadena_250"), "cadena_250", visits)
    large, sql, started = start(ctx, chain(LARGE, "cadena_1000"), "cadena_1000", visits)
    assert started.status == "completed"
    assert instance_data(ctx, started.id)["n"] == LARGE  # the last script ran, after the others
    assert large <= LINEAR_BOUND * small, (small, large)
    assert sql <= 10, sql


def test_a_wide_split_of_user_tasks_starts_with_its_tasks_in_few_statements(
    ctx: Context, visits: list[int]
) -> None:
    # On PostgreSQL the dashboard's refresh of the instance at COMMIT looks each task up (it took minutes for
    # 1,000 open tasks of one instance while it joined sets planned for one task)
    small, small_sql, _ = start(ctx, user_split(SMALL, "tareas_250"), "tareas_250", visits)
    large, large_sql, started = start(ctx, user_split(LARGE, "tareas_1000"), "tareas_1000", visits)
    assert started.status == "running"
    assert ready_tasks(ctx, started.id) == sorted((f"B{i}", ["atencion"]) for i in range(LARGE))
    assert large <= LINEAR_BOUND * small, (small, large)
    # the tasks and their candidates as multi-row INSERTs (SQLite took one statement per task)
    assert large_sql <= small_sql + 4, (small_sql, large_sql)
