from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.camunda.parser import CamundaParser
from SpiffWorkflow.util.task import TaskState

from engine.modeling.expressions import expression_to_python
from engine.runtime.scripting import (
    RestrictedEnvironment,
    ScriptForbidden,
    ScriptTaskError,
    check_expression,
    check_script,
    make_script_engine,
)

BPMN = """<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="d" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="prueba" isExecutable="true">
    <bpmn:startEvent id="inicio"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:scriptTask id="calcular" name="Calcular" scriptFormat="python">
      <bpmn:incoming>f1</bpmn:incoming><bpmn:outgoing>f2</bpmn:outgoing>
      <bpmn:script>{script}</bpmn:script>
    </bpmn:scriptTask>
    <bpmn:exclusiveGateway id="decidir"><bpmn:incoming>f2</bpmn:incoming>
      <bpmn:outgoing>alto</bpmn:outgoing><bpmn:outgoing>bajo</bpmn:outgoing></bpmn:exclusiveGateway>
    <bpmn:userTask id="revisar_alto" name="Revisar alto"><bpmn:incoming>alto</bpmn:incoming>
      <bpmn:outgoing>f3</bpmn:outgoing></bpmn:userTask>
    <bpmn:userTask id="revisar_bajo" name="Revisar bajo"><bpmn:incoming>bajo</bpmn:incoming>
      <bpmn:outgoing>f4</bpmn:outgoing></bpmn:userTask>
    <bpmn:endEvent id="fin"><bpmn:incoming>f3</bpmn:incoming><bpmn:incoming>f4</bpmn:incoming></bpmn:endEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="inicio" targetRef="calcular"/>
    <bpmn:sequenceFlow id="f2" sourceRef="calcular" targetRef="decidir"/>
    <bpmn:sequenceFlow id="alto" sourceRef="decidir" targetRef="revisar_alto">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">{condition}</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="bajo" sourceRef="decidir" targetRef="revisar_bajo">
      <bpmn:conditionExpression xsi:type="bpmn:tFormalExpression">not ({condition})</bpmn:conditionExpression>
    </bpmn:sequenceFlow>
    <bpmn:sequenceFlow id="f3" sourceRef="revisar_alto" targetRef="fin"/>
    <bpmn:sequenceFlow id="f4" sourceRef="revisar_bajo" targetRef="fin"/>
  </bpmn:process>
</bpmn:definitions>"""


def start_workflow(
    script: str,
    data: Mapping[str, Any] | None = None,
    condition: str = "total > 100",
    functions: Mapping[str, Callable[..., Any]] | None = None,
    max_iterations: int = 1_000_000,
) -> BpmnWorkflow:
    parser = CamundaParser()
    parser.add_bpmn_str(BPMN.format(script=escape(script), condition=escape(condition)))
    engine = make_script_engine(functions, max_iterations=max_iterations)
    workflow = BpmnWorkflow(
        parser.get_spec("prueba"), parser.get_subprocess_specs("prueba"), script_engine=engine
    )
    workflow.get_tasks(state=TaskState.READY)[0].set_data(**(data or {}))
    return workflow


def ready_user_tasks(workflow: BpmnWorkflow) -> list[str]:
    return [task.task_spec.name for task in workflow.get_tasks(state=TaskState.READY, manual=True)]


def script_task(workflow: BpmnWorkflow) -> Any:
    return workflow.get_next_task(spec_name="calcular")


def run_failing(workflow: BpmnWorkflow) -> ScriptTaskError:
    with pytest.raises(WorkflowTaskException) as caught:
        workflow.do_engine_steps()
    assert isinstance(caught.value, ScriptTaskError)
    return caught.value


# --- normal scripts inside a real workflow ------------------------------------------------------------------


def test_script_sets_data_and_gateway_routes_on_it() -> None:
    workflow = start_workflow(
        "total = sum(item['valor'] for item in items)", {"items": [{"valor": 80}, {"valor": 40}]}
    )
    workflow.do_engine_steps()
    assert ready_user_tasks(workflow) == ["revisar_alto"]
    assert script_task(workflow).data["total"] == 120


def test_gateway_takes_the_other_route_when_condition_is_false() -> None:
    workflow = start_workflow("total = 10")
    workflow.do_engine_steps()
    assert ready_user_tasks(workflow) == ["revisar_bajo"]


def test_everyday_python_works_in_scripts() -> None:
    script = "\n".join(
        [
            "contador += 1",
            "totales['a'] += 5",
            "totales['b'] = [n * n for n in range(3)]",
            "lista.append(len(lista))",
            "pares = {k: v for k, v in totales.items() if k != 'b'}",
            "resumen = f'{contador:03d}-{nombre.upper()}'",
            "a, b = divmod(17, 5)",
            "def doble(x):",
            "    return x * 2",
            "total = doble(max(contador, 60))",
            "fecha = (date(2025, 1, 31) + timedelta(days=1)).isoformat()",
            "texto = json_dumps({'x': sorted([3, 1, 2])})",
            "del borrar",
        ]
    )
    data = {"contador": 1, "totales": {"a": 1}, "lista": [0], "nombre": "ana", "borrar": True}
    workflow = start_workflow(script, data)
    workflow.do_engine_steps()
    assert script_task(workflow).data == {
        "contador": 2,
        "totales": {"a": 6, "b": [0, 1, 4]},
        "lista": [0, 1],
        "nombre": "ana",
        "pares": {"a": 6},
        "resumen": "002-ANA",
        "a": 3,
        "b": 2,
        "total": 120,
        "fecha": "2025-02-01",
        "texto": '{"x": [1, 2, 3]}',
    }
    assert ready_user_tasks(workflow) == ["revisar_alto"]


def test_print_output_is_logged_and_not_stored(caplog: pytest.LogCaptureFixture) -> None:
    workflow = start_workflow("print('radicado', 42)\ntotal = 1")
    with caplog.at_level(logging.INFO, logger="engine.runtime.scripting"):
        workflow.do_engine_steps()
    assert "radicado 42" in caplog.text
    assert script_task(workflow).data == {"total": 1}


def test_helper_functions_are_callable_from_scripts_and_conditions_and_stay_out_of_task_data() -> None:
    functions = {"dias_habiles": lambda n: n * 10, "es_urgente": lambda t: t > 100}
    workflow = start_workflow("total = dias_habiles(15)", condition="es_urgente(total)", functions=functions)
    workflow.do_engine_steps()
    assert ready_user_tasks(workflow) == ["revisar_alto"]
    assert script_task(workflow).data == {"total": 150}


def test_translated_juel_condition_runs_with_the_default_expression_helpers() -> None:
    condition = expression_to_python("${solicitud.tipo == 'queja' && !empty(anexos)}")
    workflow = start_workflow(
        "total = 0", {"solicitud": {"tipo": "queja"}, "anexos": ["a.pdf"]}, condition=condition
    )
    workflow.do_engine_steps()
    assert ready_user_tasks(workflow) == ["revisar_alto"]
    assert set(script_task(workflow).data) == {"solicitud", "anexos", "total"}


def test_helper_names_starting_with_underscore_are_allowed_when_given() -> None:
    workflow = start_workflow(
        "total = _juel_empty(lista)", {"lista": []}, functions={"_juel_empty": lambda v: 500}
    )
    workflow.do_engine_steps()
    assert script_task(workflow).data["total"] == 500


def test_task_data_named_like_a_helper_used_by_the_script_is_a_clear_error() -> None:
    workflow = start_workflow(
        "total = vencimiento(3)", {"vencimiento": "2025-01-01"}, functions={"vencimiento": len}
    )
    error = run_failing(workflow)
    assert "'vencimiento' es a la vez un dato de la tarea y una función" in str(error)
    assert script_task(workflow).state == TaskState.ERROR


def test_script_assigning_a_helper_name_is_a_clear_error() -> None:
    workflow = start_workflow("vencimiento = 3", functions={"vencimiento": len})
    error = run_failing(workflow)
    assert "El script asigna 'vencimiento', que es el nombre de una función disponible" in str(error)


# --- forbidden things ---------------------------------------------------------------------------------------

FORBIDDEN = [
    ("total = 1\nimport os", "El script usa 'import', que no está permitido (línea 2).", 2),
    ("from os import system", "El script usa 'import', que no está permitido (línea 1).", 1),
    ("total = open('/etc/passwd').read()", "El script usa 'open', que no está permitido (línea 1).", 1),
    (
        "total = ().__class__.__subclasses__()",
        "El acceso a atributos que empiezan por '_' no está permitido: '__subclasses__' (línea 1).",
        1,
    ),
    ("total = eval('1')", "El script usa 'eval', que no está permitido (línea 1).", 1),
    ("exec('total = 1')", "El script usa 'exec', que no está permitido (línea 1).", 1),
    (
        "total = __import__('os')",
        "Los nombres que empiezan por '_' no están permitidos: '__import__' (línea 1).",
        1,
    ),
    ("total = getattr(1, '__class__')", "El script usa 'getattr', que no está permitido (línea 1).", 1),
    (
        "total = type(1).__mro__",
        "El acceso a atributos que empiezan por '_' no está permitido: '__mro__' (línea 1).",
        1,
    ),
    ("total = globals()", "El script usa 'globals', que no está permitido (línea 1).", 1),
    ("class A:\n    pass", "El script define una clase ('class'), que no está permitido (línea 1).", 1),
    ("total = '{0}'.format(1)", "str.format no está permitido; use f-strings", 1),
    ("total = (", "El script tiene un error de sintaxis", 1),
]


@pytest.mark.parametrize(("script", "message", "line"), FORBIDDEN)
def test_forbidden_script_puts_task_in_error_with_spanish_message(
    script: str, message: str, line: int
) -> None:
    workflow = start_workflow(script)
    error = run_failing(workflow)
    assert str(error).startswith(message)
    assert error.error_type == "ScriptForbidden"
    assert error.line_number == line
    assert script_task(workflow).state == TaskState.ERROR
    assert "total" not in script_task(workflow).data


@pytest.mark.parametrize(("script", "message", "line"), FORBIDDEN)
def test_check_script_refuses_what_the_engine_refuses_at_compile_time(
    script: str, message: str, line: int
) -> None:
    refusal = check_script(script)
    if "format" in script:
        assert refusal is None  # only detectable at run time
    else:
        assert refusal is not None and refusal.startswith(message)


def test_script_writing_a_file_is_refused_and_the_file_does_not_exist(tmp_path: Path) -> None:
    target = tmp_path / "pwned.txt"
    workflow = start_workflow(f"open({str(target)!r}, 'w').write('x')")
    run_failing(workflow)
    assert not target.exists()


def test_data_keys_cannot_replace_the_guards() -> None:
    environment = RestrictedEnvironment()
    data = {"_getattr_": "x", "__builtins__": {}, "d": {"a": 1}}
    assert environment.evaluate("d.get('a') + len([1])", data) == 2


def test_runaway_loop_is_stopped_with_a_clear_error() -> None:
    workflow = start_workflow("while True:\n    pass", max_iterations=1000)
    error = run_failing(workflow)
    assert str(error) == "Se superó el límite de 1000 iteraciones (¿un ciclo infinito?) (línea 1)."


def test_catching_the_loop_error_does_not_reset_the_budget() -> None:
    environment = RestrictedEnvironment(max_iterations=1000)
    script = "try:\n    while True:\n        pass\nexcept Exception:\n    pass\nfor i in [1, 2]:\n    pass"
    with pytest.raises(ScriptForbidden, match="límite de 1000 iteraciones"):
        environment.execute(script, {})


def test_runaway_recursion_through_lambdas_is_stopped() -> None:
    environment = RestrictedEnvironment(max_iterations=1000)
    script = "f = lambda n: 0 if n == 0 else f(n - 1) + f(n - 1)\nx = f(30)"
    with pytest.raises(ScriptForbidden, match="límite de 1000 iteraciones"):
        environment.execute(script, {})


# --- incidents: no effect, retryable ------------------------------------------------------------------------


def test_failing_script_leaves_task_data_untouched_and_retry_after_fixing_data_succeeds() -> None:
    script = "contador += 1\nlista.append('x')\ntotal = 1000 / divisor"
    workflow = start_workflow(script, {"contador": 1, "lista": [], "divisor": 0})
    error = run_failing(workflow)
    task = script_task(workflow)
    assert str(error) == "ZeroDivisionError: division by zero (línea 3)."
    assert (error.error_type, error.line_number, error.error_line) == (
        "ZeroDivisionError",
        3,
        "total = 1000 / divisor",
    )
    assert task.state == TaskState.ERROR
    assert task.data == {"contador": 1, "lista": [], "divisor": 0}

    task.set_data(divisor=2)
    task.run()
    workflow.do_engine_steps()
    assert task.state == TaskState.COMPLETED
    assert task.data == {"contador": 2, "lista": ["x"], "divisor": 2, "total": 500.0}
    assert ready_user_tasks(workflow) == ["revisar_alto"]


def test_undefined_name_gets_a_spanish_message_with_a_suggestion() -> None:
    workflow = start_workflow("total = montto * 2", {"monto": 60})
    error = run_failing(workflow)
    assert str(error) == "El nombre 'montto' no está definido; ¿quiso decir 'monto'? (línea 1)."


def test_forbidden_gateway_condition_puts_gateway_in_error_with_spanish_message() -> None:
    workflow = start_workflow("total = 1", condition="total.__class__")
    error = run_failing(workflow)
    assert str(error).startswith("Error al evaluar la expresión 'total.__class__': El acceso a atributos")
    assert workflow.get_next_task(spec_name="decidir").state == TaskState.ERROR


# --- deploy-time checks -------------------------------------------------------------------------------------


def test_check_expression_accepts_conditions_and_refuses_statements() -> None:
    assert check_expression("monto > 100 and tipo in ('peticion', 'queja')") is None
    assert check_expression("x = 1") == "La expresión tiene un error de sintaxis: invalid syntax (línea 1)."
    assert check_expression("_helper(x)") is not None
    assert check_expression("_helper(x)", helper_names=["_helper"]) is None


def test_check_script_accepts_ordinary_scripts() -> None:
    assert check_script("total = 0\nfor item in items:\n    total += item['valor']\nprint(total)") is None
