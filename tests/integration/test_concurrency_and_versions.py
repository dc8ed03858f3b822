"""Concurrent changes fail cleanly; deployments are versioned per process key."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import text

from engine.context import Context
from engine.errors import Conflict, PhvaError
from engine.modeling.definitions import SourceFile
from engine.workflow import deployments, instances, tasks, views
from tests.helpers import SOLICITUD, deploy_files, deploy_xml, process_xml, staff, task_named
from tests.pg import LOCK_WAITERS

REVIEW = {"concepto": "ok", "folios": 1, "aprobado": True, "canal_respuesta": "correo"}


def test_two_concurrent_completions_give_one_success_and_one_conflict(ctx: Context) -> None:
    deploy_files(ctx, *SOLICITUD)
    staff(ctx)
    started = instances.start_process(ctx, "atender_solicitud", data={"solicitante": "ana", "tipo": "queja"})
    review = task_named(ctx, started.id, "Revisar solicitud")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def complete(user: str) -> None:
        barrier.wait()
        try:
            tasks.complete_task(ctx, review["id"], user, REVIEW)
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except PhvaError as error:  # anything else is a failure of this test
            outcomes.append(f"unexpected {type(error).__name__}: {error.message}")

    threads = [threading.Thread(target=complete, args=(u,)) for u in ("ana", "beto")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["conflict", "ok"]
    history = views.instance(ctx, started.id)["history"]
    assert [h["action"] for h in history].count("task_completed") == 1
    assert len([t for t in views.instance(ctx, started.id)["tasks"] if t["name"] == "Responder"]) == 1


def test_a_stale_instance_version_is_refused_and_nothing_is_written(ctx: Context) -> None:
    from engine.store.instances import load_instance
    from engine.store.uow import UnitOfWork
    from engine.workflow.runs import load_run, save_run

    deploy_files(ctx, *SOLICITUD)
    started = instances.start_process(ctx, "atender_solicitud", data={"solicitante": "ana", "tipo": "queja"})
    with UnitOfWork(ctx.db) as uow:
        ref = load_instance(uow.session, started.id)
        assert ref is not None
        run = load_run(ctx, uow.session, ref)
        ref.row_version -= 1  # someone else saved in between
        with pytest.raises(Conflict):
            save_run(ctx, uow.session, ref, run, incident=None)


def test_same_content_is_not_a_new_version_and_running_instances_keep_theirs(ctx: Context) -> None:
    staff(ctx)
    v1 = process_xml(
        '<bpmn:startEvent id="s"/><bpmn:userTask id="a" name="Paso uno" camunda:candidateGroups="juridica"/>'
        '<bpmn:endEvent id="e"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="a"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="a" targetRef="e"/>'
    )
    first = deploy_xml(ctx, "p.bpmn", v1)
    assert first.new_versions[0]["version"] == 1
    again = deploy_xml(ctx, "p.bpmn", v1)
    assert again.new_versions == [] and again.unchanged[0]["version"] == 1
    old = instances.start_process(ctx, "prueba")
    v2 = v1.replace('name="Paso uno"', 'name="Paso uno revisado"')
    assert deploy_xml(ctx, "p.bpmn", v2).new_versions[0]["version"] == 2
    new = instances.start_process(ctx, "prueba")
    assert (old.version, new.version) == (1, 2)
    assert task_named(ctx, old.id, "Paso uno")["id"]
    assert task_named(ctx, new.id, "Paso uno revisado")["id"]
    tasks.complete_task(ctx, task_named(ctx, old.id, "Paso uno")["id"], "juan", {})
    assert views.instance(ctx, old.id)["status"] == "completed"


def test_check_only_stores_nothing_and_bad_files_change_nothing(ctx: Context) -> None:
    good = SourceFile("p.bpmn", process_xml('<bpmn:startEvent id="s"/>').encode())
    checked = deployments.deploy(ctx, [good], check_only=True)
    assert checked.report.ok and checked.new_versions == []
    assert views.definitions(ctx) == []
    bad = SourceFile("q.bpmn", b"<bpmn:definitions")
    refused = deployments.deploy(ctx, [good, bad])
    assert not refused.report.ok
    assert any(p.file == "q.bpmn" for p in refused.report.errors)
    assert views.definitions(ctx) == []


ONE_TASK = process_xml(
    """    <bpmn:startEvent id="s"/>
    <bpmn:userTask id="t" name="Revisar" camunda:candidateGroups="atencion_ciudadano"/>
    <bpmn:endEvent id="e"/>
    <bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="t"/>
    <bpmn:sequenceFlow id="f2" sourceRef="t" targetRef="e"/>""",
    pid="una_tarea",
)


@pytest.mark.postgres
def test_completions_queued_on_the_instance_lock_give_one_success_and_conflicts(pg_ctx: Context) -> None:
    """Two users complete the same task while a third transaction holds the instance's row: both read the
    task as ready, then wait. The one served second finds the task gone from the state the first saved (a
    finished instance keeps no tasks) and gets a conflict, not an error."""
    ctx = pg_ctx
    deploy_xml(ctx, "una_tarea.bpmn", ONE_TASK)
    staff(ctx)
    started = instances.start_process(ctx, "una_tarea")
    [task] = [t for t in views.instance(ctx, started.id)["tasks"] if t["state"] == "ready"]
    outcomes: list[str] = []

    def complete(user: str) -> None:
        try:
            tasks.complete_task(ctx, task["id"], user, {})
            outcomes.append("ok")
        except Conflict:
            outcomes.append("conflict")
        except Exception as error:  # anything else is a failure of this test
            outcomes.append(f"unexpected {type(error).__name__}: {error}")

    holder = ctx.db.write_engine.connect()
    try:
        holder.execute(text("SELECT id FROM process_instances WHERE id = :i FOR UPDATE"), {"i": started.id})
        threads = [threading.Thread(target=complete, args=(u,)) for u in ("ana", "beto")]
        for thread in threads:
            thread.start()
        with ctx.db.write_engine.connect() as watcher:
            deadline = time.monotonic() + 20
            while watcher.scalar(text(LOCK_WAITERS)) != 2:  # both have read the task and wait on the lock
                assert time.monotonic() < deadline, "the completions never queued on the instance lock"
                time.sleep(0.02)
                watcher.rollback()
        holder.commit()
    finally:
        holder.close()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["conflict", "ok"]
    assert views.instance(ctx, started.id)["status"] == "completed"
    history = views.instance(ctx, started.id)["history"]
    assert [h["action"] for h in history].count("task_completed") == 1
