"""Who sees which PQRSD case (`case_visibility`): the kept rows equal the full computation after any write, and
the bandeja built on them lists exactly, in the same order, what the rule over every task listed before.

The rule (`access.may_view_case` as the bandeja applies it): the case's filer, and whoever may see one of its
process's tasks of any state — its assignee, a candidate user, a member of a candidate dependencia, and a
supervisor for a task nobody was named for. Admins and analysts see every case.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import and_, exists, not_, or_, text
from sqlalchemy.engine import Connection

from engine.identity import users
from engine.pqrsd import radicacion, tray
from engine.store.case_visibility_tables import COLUMNS, expected_rows_sql
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import Task, TaskCandidate
from engine.store.uow import UnitOfWork
from tests.scenarios.conftest import Scenario

NAMES = [None, "ana", "beto", "jefa", "u.atencion_ciudadano"]
GROUPS = ["dep", "otra", "atencion_ciudadano"]
PEOPLE = {  # username → (roles, groups)
    "ana": ("funcionario", "dep"),
    "beto": ("funcionario", "otra,dep"),
    "jefa": ("supervisor", "dep"),
    "sol": ("supervisor", "otra"),
    "nadie": ("funcionario", ""),
}
_COPIED = [c.name for c in PqrsdCase.__table__.columns if c.name not in ("id", "radicado", "codigo_consulta",
                                                                         "instance_id", "created_by")]  # fmt: skip


def _file(sc: Scenario, i: int) -> str:
    filing = {"tipo": "queja", "canal": "formulario_web", "fecha_recibo": f"02/03/2026 0{5 + i}:00",
              "asunto": f"Asunto {i}", "descripcion": "Hechos.", "nombre": f"Persona {i}"}  # fmt: skip
    return radicacion.file_pqrsd(sc.ctx, filing, actor="u.atencion_ciudadano")["radicado"]


def _dialect(sc: Scenario) -> str:
    return "sqlite" if sc.ctx.db.is_sqlite else "postgresql"


def _kept(conn: Connection) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in conn.execute(text(f"SELECT {COLUMNS} FROM case_visibility"))}


def _expected(conn: Connection, dialect: str) -> set[tuple[Any, ...]]:
    return {tuple(r) for r in conn.execute(text(expected_rows_sql(dialect)))}


@pytest.mark.parametrize("seed", range(3))
def test_random_writes_keep_the_rows_equal_to_the_expected_ones_and_the_bandeja_exact(
    any_db: Scenario, seed: int
) -> None:
    sc, rnd = any_db, random.Random(seed)
    for i in range(3):
        _file(sc, i)
    for name, (roles, groups) in PEOPLE.items():
        users.add_user(sc.ctx, name, roles=roles, groups=groups)
    stamp = sc.clock.now()
    with UnitOfWork(sc.ctx.db) as uow:
        conn = uow.session.connection()
        assert _kept(conn) == _expected(conn, _dialect(sc)) and _kept(conn)
        cases = list(conn.execute(text("SELECT id FROM pqrsd_cases")).scalars())
        instances = list(conn.execute(text("SELECT id FROM process_instances")).scalars())
        tasks = list(conn.execute(text("SELECT id FROM tasks")).scalars())

        def run(sql: str, **params: Any) -> None:
            conn.execute(text(sql), params)

        def some(ids: list[int]) -> str:
            return (
                "(" + ", ".join(str(i) for i in rnd.sample(ids, k=min(len(ids), rnd.choice((1, 1, 2))))) + ")"
            )

        for step in range(120):
            action = rnd.choice(("case", "link", "filer", "carried", "task", "task", "holder", "move",
                                 "candidate", "candidate", "drop", "delete", "state"))  # fmt: skip
            if action == "case":
                columns = ", ".join(_COPIED)
                cases.append(
                    conn.execute(
                        text(
                            f"INSERT INTO pqrsd_cases (radicado, instance_id, created_by, {columns}) SELECT :r, :i, "
                            f":by, {columns} FROM pqrsd_cases WHERE id = :src RETURNING id"
                        ),
                        {
                            "r": f"R-{seed}-{step}",
                            "i": rnd.choice([None, *instances]),
                            "by": rnd.choice(NAMES),
                            "src": cases[0],
                        },
                    ).scalar_one()
                )
            elif action == "link":
                # (not back to NULL: the dashboard's triggers of 0023 refuse a case leaving its instance)
                run(
                    "UPDATE pqrsd_cases SET instance_id = :i WHERE id IN " + some(cases),
                    i=rnd.choice(instances),
                )
            elif action == "filer":
                run("UPDATE pqrsd_cases SET created_by = :b WHERE id IN " + some(cases), b=rnd.choice(NAMES))
            elif action == "carried":
                due = stamp + timedelta(days=rnd.randint(-5, 20)) if rnd.random() < 0.8 else None
                run(
                    "UPDATE pqrsd_cases SET due_at = :d, status = :s, dependencia = :g WHERE id IN " + some(cases),
                    d=due, s=rnd.choice(("en_tramite", "cerrada", "radicada")), g=rnd.choice([None, *GROUPS]),
                )  # fmt: skip
            elif action == "task":
                tasks.append(
                    conn.execute(
                        text(
                            "INSERT INTO tasks (spiff_id, instance_id, process_key, bpmn_id, name, state, assignee, "
                            "candidate_users, candidate_groups, priority, created_at) VALUES (:s, :i, 'pqrsd', 'T', "
                            "'T', :state, :who, '[]', '[]', 50, :now) RETURNING id"
                        ),
                        {
                            "s": f"t{seed}-{step}",
                            "i": rnd.choice(instances),
                            "who": rnd.choice(NAMES),
                            "state": rnd.choice(("ready", "completed")),
                            "now": stamp,
                        },
                    ).scalar_one()
                )
            elif action == "holder" and tasks:
                run("UPDATE tasks SET assignee = :a WHERE id IN " + some(tasks), a=rnd.choice(NAMES))
            elif action == "move" and tasks:
                run("UPDATE tasks SET instance_id = :i WHERE id IN " + some(tasks), i=rnd.choice(instances))
            elif action == "candidate" and tasks:
                task_id = rnd.choice(tasks)
                have = set(conn.execute(text("SELECT kind, value FROM task_candidates WHERE task_id = :t"),
                                        {"t": task_id}))  # fmt: skip
                offered = [("group", g) for g in GROUPS] + [("user", u) for u in NAMES[1:]]
                rows = [
                    f"({task_id}, '{k}', '{v}')" for k, v in rnd.sample(offered, k=2) if (k, v) not in have
                ]
                if rows:  # one statement for two rows, when two
                    run("INSERT INTO task_candidates (task_id, kind, value) VALUES " + ", ".join(rows))
            elif action == "drop" and tasks:
                one = " AND kind = 'group'" if rnd.random() < 0.5 else ""
                run(f"DELETE FROM task_candidates WHERE task_id = :t{one}", t=rnd.choice(tasks))
            elif action == "delete" and len(tasks) > 3:
                gone = rnd.choice(tasks)
                run("DELETE FROM tasks WHERE id = :t", t=gone)
                tasks.remove(gone)
            elif action == "state" and tasks:
                run(
                    "UPDATE tasks SET state = :s WHERE id IN " + some(tasks),
                    s=rnd.choice(("ready", "completed")),
                )
            if (
                not sc.ctx.db.is_sqlite
            ):  # what a commit here would run: the deferred triggers (every other step)
                if rnd.random() < 0.5:
                    continue
                run("SET CONSTRAINTS ALL IMMEDIATE")
                run("SET CONSTRAINTS ALL DEFERRED")
            assert _kept(conn) == _expected(conn, _dialect(sc)), f"step {step}: {action}"
        uow.commit()
    for who in [*PEOPLE, "u.atencion_ciudadano"]:
        for criteria in ({}, {"estado": "en_tramite"}, {"semaforo": "rojo"}, {"text": "Asunto 1"}):
            query = tray.CaseQuery(limit=500, **criteria)  # type: ignore[arg-type]
            listed = [c["radicado"] for c in tray.cases(sc.ctx, who, query)["items"]]
            assert listed == _by_the_rule(sc, who, query), (who, criteria)
    walked = _walk(sc, "jefa")
    assert walked == _by_the_rule(sc, "jefa", tray.CaseQuery(limit=500))


def _walk(sc: Scenario, who: str) -> list[str]:
    seen: list[str] = []
    for offset in range(0, 500, 2):
        page = tray.cases(sc.ctx, who, tray.CaseQuery(limit=2, offset=offset))
        if not page["items"]:
            return seen
        seen += [c["radicado"] for c in page["items"]]
    return seen


def _by_the_rule(sc: Scenario, who: str, q: tray.CaseQuery) -> list[str]:
    """The cases the bandeja listed before `case_visibility`: an OR-EXISTS over every task of the case."""
    user = users.get_user(sc.ctx, who)
    offered = or_(
        and_(TaskCandidate.kind == "user", TaskCandidate.value == who),
        and_(TaskCandidate.kind == "group", TaskCandidate.value.in_(list(user.groups) or [""])),
    )
    sees = [Task.assignee == who, exists().where(TaskCandidate.task_id == Task.id, offered)]
    if user.has_role("supervisor"):
        sees.append(and_(Task.assignee.is_(None), not_(exists().where(TaskCandidate.task_id == Task.id))))
    of_case = exists().where(Task.instance_id == PqrsdCase.instance_id, or_(*sees))
    now = sc.clock.now()
    query = tray._query(q, now, ZoneInfo(sc.ctx.settings.timezone)).where(  # the filters, as before
        or_(PqrsdCase.created_by == who, of_case)
    )
    ordered = query.with_only_columns(PqrsdCase.radicado).order_by(
        PqrsdCase.due_at.asc().nulls_last(), PqrsdCase.id
    )
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        return list(uow.session.scalars(ordered.limit(q.limit)))
