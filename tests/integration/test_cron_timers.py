"""Cron timeCycle timers in Quartz syntax, as Camunda 7 accepts them (issue 13 §6): `0 0 9 ? * MON-FRI`
starts a process at 09:00 Bogotá time Monday to Friday, on the plain calendar (holidays included)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.clock import FrozenClock
from engine.context import Context
from engine.modeling.definitions import SourceFile, analyze
from engine.workflow import instances, start_timers, timers, views
from tests.helpers import deploy_xml, open_tasks, process_xml

START = """
    <bpmn:startEvent id="cadaDia" name="Cada día hábil">
      <bpmn:timerEventDefinition><bpmn:timeCycle>{cycle}</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="cadaDia" targetRef="revisar"/>
    <bpmn:userTask id="revisar" name="Revisar bandeja"/>
    <bpmn:sequenceFlow id="f2" sourceRef="revisar" targetRef="fin"/>
    <bpmn:endEvent id="fin"/>"""


def due(ctx: Context) -> list[str]:
    return [t["due_at"] for t in views.timers(ctx)]


def started(ctx: Context) -> int:
    return len(views.instances(ctx, process_key="revision"))


def test_a_weekday_cron_start_fires_each_weekday_at_nine_bogota(ctx: Context, clock: FrozenClock) -> None:
    # the session clock starts on Monday 2026-03-02 08:00 in Bogotá (13:00 UTC)
    deploy_xml(ctx, "revision.bpmn", process_xml(START.format(cycle="0 0 9 ? * MON-FRI"), pid="revision"))
    assert due(ctx) == ["2026-03-02T14:00:00+00:00"]
    clock.set(datetime(2026, 3, 2, 14, 0, 1, tzinfo=UTC))
    assert timers.fire_due_timers(ctx, worker="prueba").started == 1
    assert due(ctx) == ["2026-03-03T14:00:00+00:00"]
    clock.set(datetime(2026, 3, 6, 14, 0, 1, tzinfo=UTC))  # stopped Tuesday to Friday: one start, not four
    assert timers.fire_due_timers(ctx, worker="prueba").started == 1
    assert started(ctx) == 2
    assert due(ctx) == ["2026-03-09T14:00:00+00:00"]  # Friday's next is Monday: no weekend
    assert start_timers.sync_start_timers(ctx) == 0


def test_a_five_minute_cron_boundary_keeps_firing(ctx: Context, clock: FrozenClock) -> None:
    body = """
    <bpmn:startEvent id="inicio"/>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="atender"/>
    <bpmn:userTask id="atender" name="Atender"/>
    <bpmn:boundaryEvent id="recordar" attachedToRef="atender" cancelActivity="false">
      <bpmn:timerEventDefinition><bpmn:timeCycle>0 0/5 * * * ?</bpmn:timeCycle></bpmn:timerEventDefinition>
    </bpmn:boundaryEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="recordar" targetRef="aviso"/>
    <bpmn:userTask id="aviso" name="Aviso"/>
    <bpmn:sequenceFlow id="f3" sourceRef="aviso" targetRef="fin2"/>
    <bpmn:endEvent id="fin2"/>
    <bpmn:sequenceFlow id="f4" sourceRef="atender" targetRef="fin"/>
    <bpmn:endEvent id="fin"/>"""
    deploy_xml(ctx, "recordatorio.bpmn", process_xml(body, pid="recordatorio"))
    instance = instances.start_process(ctx, "recordatorio")
    for minutes in (5, 10, 15):
        clock.set(datetime(2026, 3, 2, 13, minutes, 1, tzinfo=UTC))
        timers.fire_due_timers(ctx, worker="prueba")
    assert sorted(t["name"] for t in open_tasks(ctx, instance.id)) == ["Atender", "Aviso", "Aviso", "Aviso"]
    assert due(ctx) == ["2026-03-02T13:20:00+00:00"]


@pytest.mark.parametrize(
    ("cycle", "words"),
    [
        ("0 0 9 ? * 6#3", "no están soportados"),
        ("0 0 9 1 * MON", "no ambos"),
        ("0 0 25 * * ?", "no válida"),
        ("0 0 9 ? * 9", "no existe"),
    ],
)
def test_a_cron_this_engine_cannot_run_is_refused_naming_the_event(cycle: str, words: str) -> None:
    xml = process_xml(START.format(cycle=cycle), pid="revision")
    report = analyze([SourceFile("revision.bpmn", xml.encode())]).report
    assert any(p.element_id == "cadaDia" and words in p.message for p in report.errors), report.format()
