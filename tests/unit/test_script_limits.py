"""Scripts and expressions under time and memory limits (issue 15 §1): every bomb stops within its limit with a
Spanish message, in a script task, a gateway condition and a timer expression; normal code is untouched."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.limits import DataLimits
from engine.runtime.script_limits import limited_step
from engine.runtime.scripting import (
    RestrictedEnvironment,
    ScriptForbidden,
    ScriptLimitExceeded,
    ScriptLimits,
    make_script_engine,
)

LIMIT = 0.5  # seconds: short, so the suite stays fast; the default (2 s) behaves the same
LIMITS = ScriptLimits(timeout=LIMIT)
SLACK = 0.5  # what a bomb may run past its limit: one tick of heavy work plus the test's own overhead

# What issue 15 found running for minutes, as a script (statements) and as an expression.
BOMB_SCRIPTS = {
    "potencia": "r = 10**10**8",
    "pow": "r = pow(10, 10**8)",
    "repeticion": "r = 'a'*10**9",
    "replace": "s = 'a' * 2**20\nfor i in range(1000000):\n    s = s.replace('b', 'c')",
    "print": "for i in range(1000000):\n    print('x' * 1000)",
    "duplicar": "s = 'a'\nwhile True:\n    s = s + s",
    "extend": "l = [0]\nwhile True:\n    l.extend(l)",
    "desplazamiento": "r = 1 << 10**9",
    "formato": "r = f'{1:>1000000000}'",
    "porcentaje": "r = '%1000000000d' % 1",
    "ljust": "r = 'a'.ljust(10**9)",
    "join": "r = ''.join(['a' * 1000000] * 1000)",
    "potencia_modular": "r = pow(7**5000, 7**5000, 13**4000)",
}
BOMB_EXPRESSIONS = {
    "potencia": "10**10**8 > 1",
    "pow": "pow(10, 10**8) > 1",
    "repeticion": "len('a'*10**9) > 1",
    "replace": "len([('a' * 2**20).replace('b', 'c') for i in range(1000000)]) > 1",
    "desplazamiento": "(1 << 10**9) > 1",
    "formato": "len(f'{1:>1000000000}') > 1",
}


def _timed(run: Any) -> tuple[BaseException, float]:
    started = time.perf_counter()
    with pytest.raises(Exception) as caught:
        run()
    return caught.value, time.perf_counter() - started


# --- the environment itself ---------------------------------------------------------------------------------


@pytest.mark.parametrize("script", BOMB_SCRIPTS.values(), ids=BOMB_SCRIPTS.keys())
def test_bomb_script_stops_within_the_limit_with_a_spanish_message(script: str) -> None:
    environment = RestrictedEnvironment(limits=LIMITS)
    data: dict[str, Any] = {"intacto": 1}
    error, elapsed = _timed(lambda: environment.execute(script, data))
    assert isinstance(error, ScriptLimitExceeded), error
    assert elapsed < LIMIT + SLACK
    assert "límite" in str(error) and ("PHVA_SCRIPT_" in str(error) or "bits" in str(error))
    assert data == {"intacto": 1}  # nothing of the failed run is kept


@pytest.mark.parametrize("expression", BOMB_EXPRESSIONS.values(), ids=BOMB_EXPRESSIONS.keys())
def test_bomb_expression_stops_within_the_limit(expression: str) -> None:
    environment = RestrictedEnvironment(limits=LIMITS)
    error, elapsed = _timed(lambda: environment.evaluate(expression, {}))
    assert isinstance(error, ScriptLimitExceeded), error
    assert elapsed < LIMIT + SLACK


def test_the_time_limit_is_the_configured_one() -> None:
    environment = RestrictedEnvironment(limits=ScriptLimits(timeout=0.2))
    error, elapsed = _timed(lambda: environment.execute("while True:\n    x = 'a' * 1000", {}))
    assert str(error) == (
        "Se superó el límite de tiempo de 0,2 s para scripts y expresiones (PHVA_SCRIPT_TIMEOUT)."
    )
    assert 0.2 <= elapsed < 0.2 + SLACK


def test_a_script_that_swallows_the_limit_still_fails() -> None:
    # the iteration cap out of the way, so the time limit is what stops it on a fast machine too
    environment = RestrictedEnvironment(limits=ScriptLimits(timeout=0.2, max_iterations=10**12))
    script = "try:\n    while True:\n        pass\nexcept:\n    pass\nresultado = 'escapé'"
    data: dict[str, Any] = {}
    with pytest.raises(ScriptLimitExceeded, match="límite de tiempo"):
        environment.execute(script, data)
    assert data == {}


def test_memory_growth_in_a_loop_stops_at_the_memory_limit() -> None:
    environment = RestrictedEnvironment(limits=ScriptLimits(timeout=10, memory_mb=64))
    script = "r = []\nfor i in range(100000):\n    r.append([i] * 100000)"
    error, elapsed = _timed(lambda: environment.execute(script, {}))
    assert str(error) == (
        "Se superó el límite de memoria de 64 MB para scripts y expresiones (PHVA_SCRIPT_MEMORY_MB)."
    )
    assert elapsed < 5


def test_a_step_shares_one_time_budget_across_its_evaluations() -> None:
    environment = RestrictedEnvironment(limits=ScriptLimits(timeout=0.4))
    slow = (
        "t = 0\nfor i in range(1000000):\n    t += 1\n    if i % 1000 == 0 and espera(0.25):\n        break"
    )
    helpers: dict[str, Any] = {"espera": _busy_for}
    environment.globals.update(helpers)
    environment.execute(slow, {})  # 0.25 s alone: fine
    with limited_step():
        environment.execute(slow, {})
        with pytest.raises(ScriptLimitExceeded, match="límite de tiempo"):
            environment.execute(slow, {})  # 0.5 s together: past 0.4


def _busy_for(seconds: float) -> bool:
    _busy_for.started = getattr(_busy_for, "started", None) or time.perf_counter()  # type: ignore[attr-defined]
    if time.perf_counter() - _busy_for.started >= seconds:  # type: ignore[attr-defined]
        _busy_for.started = None  # type: ignore[attr-defined]
        return True
    return False


def test_print_output_is_bounded(caplog: pytest.LogCaptureFixture) -> None:
    environment = RestrictedEnvironment(limits=LIMITS)
    with caplog.at_level(logging.INFO, logger="engine.runtime.scripting"):
        environment.execute("for i in range(2000):\n    print('x' * 1000)", {})
    (record,) = [r for r in caplog.records if "Salida del script" in r.getMessage()]
    message = record.getMessage()
    assert len(message) < 70_000
    assert "caracteres más omitidos" in message


@pytest.mark.parametrize(
    ("script", "expected"),
    [
        ("r = 2**64 * 3**40", 2**64 * 3**40),
        ("r = 'ab' * 1000", "ab" * 1000),
        ("r = [0] * 1000", [0] * 1000),
        ("r = pow(2, 100, 97)", pow(2, 100, 97)),
        ("r = 1 << 100", 1 << 100),
        ("r = f'{3.14159:.2f}|{7:>5}|{\"x\"!r:>4}'", "3.14|    7| 'x'"),
        ("r = '%05d-%s' % (42, 'a')", "00042-a"),
        ("r = ','.join(str(i) for i in range(5))", "0,1,2,3,4"),
        ("r = 'a-b'.replace('-', '--').center(9, '*')", "***a--b**"),
        ("l = [1]\nl.extend([2, 3])\nl += [4]\nl *= 2\nr = l", [1, 2, 3, 4, 1, 2, 3, 4]),
        ("t = 'a'\nt += 'b'\nt *= 3\nr = t", "ababab"),
        ("r = json_dumps({'a': 1}, indent=2)", '{\n  "a": 1\n}'),
        ("r = 2.0 ** 0.5 + 10 % 3 + (1 + 2j).real", 2.0**0.5 + 1 + 1.0),
    ],
)
def test_ordinary_arithmetic_and_text_work_unchanged(script: str, expected: Any) -> None:
    data: dict[str, Any] = {}
    RestrictedEnvironment(limits=LIMITS).execute(script, data)
    assert data["r"] == expected


# --- data a script leaves ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "message"),
    [
        (
            "r = ['x' * 90000 for i in range(20)]",
            r"deja unos \d+ KB de datos en la instancia; el máximo es 1024 KB",
        ),
        ("r = {'a': 'x' * 200000}", "deja en 'r.a' un texto de 200000 caracteres (el máximo es 100000)"),
        ("r = []\nfor i in range(40):\n    r = [r]", "datos anidados a más de 32 niveles"),
        ("x = [0]\nfor i in range(25):\n    x = [x, x]", "más de 1024 KB de datos"),
    ],
)
def test_a_script_that_grows_data_past_the_instance_limits_is_refused(script: str, message: str) -> None:
    data = {"previo": "y"}
    with pytest.raises(ScriptLimitExceeded, match=message.replace("(", r"\(").replace(")", r"\)")):
        RestrictedEnvironment(limits=LIMITS).execute(script, data)
    assert data == {"previo": "y"}


def test_instance_data_limits_come_from_the_engine() -> None:
    environment = RestrictedEnvironment(data_limits=DataLimits(max_kb=1, max_string=10))
    with pytest.raises(ScriptLimitExceeded, match="el máximo es 10"):
        environment.execute("r = 'x' * 11", {})
    with pytest.raises(ScriptLimitExceeded, match="el máximo es 1 KB"):
        environment.execute("r = ['xxxxxxxx' for i in range(200)]", {})


# --- in a real workflow: script task, gateway condition, timer expression ----------------------------------

PROCESS = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="bomba" isExecutable="true">
    <bpmn:startEvent id="inicio"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calcular" scriptFormat="python"><bpmn:incoming>f1</bpmn:incoming>
      <bpmn:outgoing>f2</bpmn:outgoing><bpmn:script>{script}</bpmn:script></bpmn:scriptTask>
    <bpmn:exclusiveGateway id="decidir" default="no"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>si</bpmn:outgoing><bpmn:outgoing>no</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:intermediateCatchEvent id="esperar"><bpmn:incoming>si</bpmn:incoming><bpmn:outgoing>f3</bpmn:outgoing>
      <bpmn:timerEventDefinition><bpmn:timeDuration xsi:type="bpmn:tFormalExpression">{timer}</bpmn:timeDuration>
      </bpmn:timerEventDefinition></bpmn:intermediateCatchEvent>
    <bpmn:userTask id="revisar"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>no</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="calcular"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calcular" targetRef="decidir"/>
    <bpmn:sequenceFlow id="si" sourceRef="decidir" targetRef="esperar">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="no" sourceRef="decidir" targetRef="revisar"/>
    <bpmn:sequenceFlow id="f3" sourceRef="esperar" targetRef="revisar"/>
    <bpmn:sequenceFlow id="f4" sourceRef="revisar" targetRef="fin"/>
  </bpmn:process>
</bpmn:definitions>"""


def _workflow(script: str = "x = 1", condition: str = "True", timer: str = "'PT1H'") -> BpmnWorkflow:
    parser = CamundaParser()
    text = PROCESS.format(script=escape(script), condition=escape(condition), timer=escape(timer))
    parser.add_bpmn_str(text)
    engine = make_script_engine(limits=LIMITS)
    return BpmnWorkflow(parser.get_spec("bomba"), parser.get_subprocess_specs("bomba"), script_engine=engine)


@pytest.fixture(params=["script", "condition", "timer"])
def place(request: pytest.FixtureRequest) -> Iterator[str]:
    yield request.param


@pytest.mark.parametrize(
    "bomb",
    ["10**10**8", "pow(10, 10**8)", "'a'*10**9", "[('a' * 2**20).replace('b', 'c') for i in range(10**6)]"],
)
def test_a_bomb_in_a_script_condition_or_timer_puts_its_task_in_error_within_the_limit(
    place: str, bomb: str
) -> None:
    kinds = {
        "script": {"script": f"r = {bomb}"},
        "condition": {"condition": f"len(str({bomb})) > 0"},
        "timer": {"timer": f"'PT' + str(len(str({bomb}))) + 'S'"},
    }
    workflow = _workflow(**kinds[place])
    started = time.perf_counter()
    with pytest.raises(WorkflowTaskException) as caught, limited_step():
        workflow.do_engine_steps()
    assert time.perf_counter() - started < LIMIT + SLACK
    assert "límite" in str(caught.value)
    failing = {"script": "calcular", "condition": "decidir", "timer": "esperar"}[place]
    assert caught.value.task.task_spec.name == failing  # the incident names it
    assert all(t.task_spec.name != "revisar" for t in workflow.get_tasks(state=TaskState.READY))


def test_the_limited_workflow_still_runs_normal_models() -> None:
    workflow = _workflow("r = sum(range(1000))", "r > 10", "'PT' + str(r // 100) + 'S'")
    with limited_step():
        workflow.do_engine_steps()
    assert [t.task_spec.name for t in workflow.get_tasks(state=TaskState.WAITING)] == ["esperar"]


def test_limit_errors_are_forbidden_errors() -> None:
    # the engine's callers already turn ScriptForbidden into a Spanish incident; limits ride on that
    assert issubclass(ScriptLimitExceeded, ScriptForbidden)
