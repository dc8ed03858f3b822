"""Instance migration between two versions of a process: a dry run that lists what would happen, then the move."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.errors import BadInput, NotFound
from engine.workflow import instances, tasks, timers, views
from engine.workflow.migration import migrate_instances, parse_mapping
from tests.helpers import complete_named, deploy_xml, open_tasks, phva_runner, process_xml, staff, task_names

TIMER = (
    '<bpmn:boundaryEvent id="Recordar" attachedToRef="Revisar" cancelActivity="false">'
    "<bpmn:timerEventDefinition><bpmn:timeDuration>{}</bpmn:timeDuration></bpmn:timerEventDefinition>"
    '</bpmn:boundaryEvent><bpmn:sequenceFlow id="fr" sourceRef="Recordar" targetRef="Recordatorio"/>'
    '<bpmn:userTask id="Recordatorio" name="Recordatorio"/><bpmn:sequenceFlow id="fr2" sourceRef="Recordatorio" '
    'targetRef="finR"/><bpmn:endEvent id="finR"/>'
)


def v1(duration: str = "P2D") -> str:
    return process_xml(
        '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Radicar"/>'
        '<bpmn:userTask id="Radicar" name="Radicar" camunda:candidateGroups="atencion_ciudadano"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="Radicar" targetRef="Revisar"/>'
        '<bpmn:userTask id="Revisar" name="Revisar" camunda:candidateGroups="atencion_ciudadano"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="Revisar" targetRef="e"/><bpmn:endEvent id="e"/>'
        + TIMER.format(duration),
        pid="tramite",
    )


def v2(duration: str = "P2D") -> str:
    """Radicar now leads to a new Clasificar; Revisar became Aprobar."""
    return process_xml(
        '<bpmn:startEvent id="s"/><bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="Radicar"/>'
        '<bpmn:userTask id="Radicar" name="Radicar (v2)" camunda:candidateGroups="atencion_ciudadano"/>'
        '<bpmn:sequenceFlow id="f2" sourceRef="Radicar" targetRef="Clasificar"/>'
        '<bpmn:userTask id="Clasificar" name="Clasificar" camunda:candidateGroups="atencion_ciudadano"/>'
        '<bpmn:sequenceFlow id="f4" sourceRef="Clasificar" targetRef="Aprobar"/>'
        '<bpmn:userTask id="Aprobar" name="Aprobar" camunda:candidateGroups="atencion_ciudadano"/>'
        '<bpmn:sequenceFlow id="f3" sourceRef="Aprobar" targetRef="e"/><bpmn:endEvent id="e"/>'
        + TIMER.format(duration).replace('attachedToRef="Revisar"', 'attachedToRef="Aprobar"'),
        pid="tramite",
    )


@pytest.fixture(autouse=True)
def people(ctx: Context) -> None:
    staff(ctx)


def test_a_dry_run_over_100_instances_lists_what_would_happen_and_changes_nothing(ctx: Context) -> None:
    deploy_xml(ctx, "t.bpmn", v1())
    started = [instances.start_process(ctx, "tramite").id for _ in range(100)]
    for instance_id in started[:40]:  # 40 have reached Revisar, whose element v2 no longer has
        complete_named(ctx, instance_id, "Radicar")
    deploy_xml(ctx, "t.bpmn", v2())
    before = [views.instance(ctx, i)["version"] for i in started]
    report = migrate_instances(ctx, "tramite", 1, 2, dry_run=True, actor="root")
    assert [i.instance_id for i in report.instances] == started
    assert (report.migrated, report.refused) == (0, 40)
    at_radicar = report.instances[50]
    assert (at_radicar.mapped, at_radicar.refusals) == ([("Radicar", "Radicar")], [])
    assert "Revisar" in at_radicar.removed and "Clasificar" not in at_radicar.removed
    at_revisar = report.instances[0]
    assert at_revisar.refusals == [
        "«Revisar» (Revisar) está activa y la versión nueva no la tiene: indique a qué elemento pasa (--map)"
    ]
    assert [views.instance(ctx, i)["version"] for i in started] == before == [1] * 100
    assert not [
        h for i in started for h in views.instance(ctx, i)["history"] if h["action"] == "instance_migrated"
    ]


def test_a_real_run_moves_the_safe_instances_keeps_their_tasks_and_follows_the_new_path(ctx: Context) -> None:
    deploy_xml(ctx, "t.bpmn", v1())
    started = [instances.start_process(ctx, "tramite").id for _ in range(100)]
    for instance_id in started[:40]:
        complete_named(ctx, instance_id, "Radicar")
    claimed = open_tasks(ctx, started[99])[0]
    tasks.claim_task(ctx, claimed["id"], "beto")
    deploy_xml(ctx, "t.bpmn", v2())
    report = migrate_instances(ctx, "tramite", 1, 2, dry_run=False, actor="root")
    assert (report.migrated, report.refused) == (60, 40)
    assert {views.instance(ctx, i)["version"] for i in started[40:]} == {2}
    assert {views.instance(ctx, i)["version"] for i in started[:40]} == {1}
    kept = views.task(ctx, claimed["id"])  # the same task row: as in Camunda, its name and claim are kept
    assert (kept["state"], kept["assignee"], kept["name"]) == ("ready", "beto", "Radicar")
    complete_named(ctx, started[50], "Radicar")
    assert task_names(ctx, started[50]) == ["Clasificar"]  # the new version's path
    [event] = [h for h in views.instance(ctx, started[50])["history"] if h["action"] == "instance_migrated"]
    assert event["actor"] == "root" and "versión 1 a la 2" in event["summary"]
    again = migrate_instances(ctx, "tramite", 1, 2, dry_run=False, actor="root")
    assert [i.instance_id for i in again.instances] == started[:40]  # only those left behind are tried again


def test_an_explicit_mapping_moves_an_active_task_to_its_new_element(
    ctx: Context, clock: FrozenClock
) -> None:
    deploy_xml(ctx, "t.bpmn", v1())
    instance_id = instances.start_process(ctx, "tramite").id
    complete_named(ctx, instance_id, "Radicar")
    deploy_xml(ctx, "t.bpmn", v2(duration="P5D"))
    dry = migrate_instances(ctx, "tramite", 1, 2, mapping=parse_mapping(["Revisar=Aprobar"]))
    [planned] = dry.instances
    assert (
        planned.refusals == []
        and ("Revisar", "Aprobar") in planned.mapped
        and planned.rearmed == ["Recordar"]
    )
    report = migrate_instances(
        ctx, "tramite", 1, 2, mapping={"Revisar": "Aprobar"}, dry_run=False, actor="root"
    )
    assert report.migrated == 1
    [moved] = open_tasks(ctx, instance_id)  # the element is Aprobar now; the task keeps its name
    assert (moved["bpmn_id"], moved["name"]) == ("Aprobar", "Revisar")
    [timer] = views.instance(ctx, instance_id)["timers"]  # re-armed on the new definition: five days
    assert timer["due_at"] == (clock.now() + timedelta(days=5)).isoformat()
    clock.advance(days=5, seconds=1)
    assert timers.fire_due_timers(ctx).fired == 1
    assert task_names(ctx, instance_id) == ["Recordatorio", "Revisar"]
    complete_named(ctx, instance_id, "Revisar")
    complete_named(ctx, instance_id, "Recordatorio")
    assert views.instance(ctx, instance_id)["status"] == "completed"


def test_bad_requests_are_refused_before_anything_moves(ctx: Context) -> None:
    deploy_xml(ctx, "t.bpmn", v1())
    deploy_xml(ctx, "t.bpmn", v2())
    with pytest.raises(NotFound, match="versión 7"):
        migrate_instances(ctx, "tramite", 1, 7)
    with pytest.raises(BadInput, match="misma"):
        migrate_instances(ctx, "tramite", 2, 2)
    with pytest.raises(BadInput, match="Noexiste"):
        migrate_instances(ctx, "tramite", 1, 2, mapping={"Revisar": "Noexiste"})
    with pytest.raises(BadInput, match="id_anterior=id_nuevo"):
        parse_mapping(["Revisar"])


def test_the_cli_dry_run_and_run_print_each_instance_and_refuse_bad_arguments(ctx: Context) -> None:
    deploy_xml(ctx, "t.bpmn", v1())
    first, second = (instances.start_process(ctx, "tramite").id for _ in range(2))
    complete_named(ctx, first, "Radicar")
    deploy_xml(ctx, "t.bpmn", v2())
    phva = phva_runner(
        PHVA_DATABASE_URL=ctx.settings.database_url, PHVA_INSTANCE_DIR=str(ctx.settings.instance_dir)
    )
    dry = phva("migrate", "tramite", "--from", "1", "--to", "2", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "tramite v1 → v2: 1 se migrarían, 1 rechazadas." in dry.output
    assert f"{first}: no se migra: «Revisar» (Revisar) está activa" in dry.output
    assert f"{second}: Radicar;" in dry.output
    ran = phva(
        "migrate", "tramite", "--from", "1", "--to", "2", "--map", "Revisar=Aprobar", "--json", "--as", "root"
    )
    assert ran.exit_code == 0, ran.output
    assert json.loads(ran.output)["migrated"] == 2
    for args, shown in (
        (("migrate", "tramite", "--from", "1", "--to", "9"), "No existe la versión 9"),
        (("migrate", "tramite", "--from", "1", "--to", "2", "--map", "Revisar"), "id_anterior=id_nuevo"),
        (("migrate", "tramite", "--from", "cero", "--to", "2"), "cero"),
    ):
        bad = phva(*args)
        assert bad.exit_code == 2 and shown in bad.output and "Traceback" not in bad.output, bad.output
