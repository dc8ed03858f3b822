"""Camunda Modeler expressions (JUEL, ISO-8601 timers, FEEL) translated to Python SpiffWorkflow can run."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from RestrictedPython import compile_restricted_eval
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.dmn.engine.DMNEngine import DMNEngine

from engine.modeling.expressions import (
    EXPRESSION_HELPERS,
    ExpressionError,
    expression_to_python,
    feel_expression_to_python,
    feel_input_entry_to_python,
    feel_output_entry_to_python,
    juel_empty,
    juel_prop,
    juel_str,
    timer_to_python,
    value_to_python,
)

ENGINE = PythonScriptEngine(environment=TaskDataEnvironment(EXPRESSION_HELPERS))


def evaluate(python: str, **data: Any) -> Any:
    """Evaluate the way SpiffWorkflow does, with the helpers in the globals."""
    return ENGINE.environment.evaluate(python, dict(data))


def restricted_ok(python: str) -> bool:
    return not compile_restricted_eval(python).errors


# -- JUEL conditions
@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("${aprobado}", {"aprobado": True}, True),
        ("${!aprobado}", {"aprobado": True}, False),
        ("${not aprobado}", {"aprobado": False}, True),
        ('${monto > 1000 && tipo == "queja"}', {"monto": 1500, "tipo": "queja"}, True),
        ('${monto > 1000 && tipo == "queja"}', {"monto": 500, "tipo": "queja"}, False),
        ("${a || b}", {"a": False, "b": True}, True),
        ("${a and b or c}", {"a": True, "b": False, "c": True}, True),
        ("${x eq 3 and y ne 4}", {"x": 3, "y": 5}, True),
        ("${x lt 3 || x gt 10}", {"x": 11}, True),
        ("${x le 3 && x ge 3}", {"x": 3}, True),
        ("${x <= 3 && x >= 1 && x < 4 && x != 2}", {"x": 3}, True),
        ("${solicitud.tipo == 'peticion'}", {"solicitud": {"tipo": "peticion"}}, True),
        ("${a.b.c}", {"a": {"b": {"c": 7}}}, 7),
        ('${a["x"]}', {"a": {"x": 1}}, 1),
        ("${lista[0]}", {"lista": ["uno"]}, "uno"),
        ("${lista[1].nombre}", {"lista": [{}, {"nombre": "b"}]}, "b"),
        ("${a.falta}", {"a": {}}, None),
        ("${empty adjuntos}", {"adjuntos": []}, True),
        ("${empty nombre}", {"nombre": "Ana"}, False),
        ("${!empty nombre}", {"nombre": ""}, False),
        ("${x == null}", {"x": None}, True),
        ("${true}", {}, True),
        ("${false || null == null}", {}, True),
        ("${(a + b) * 2}", {"a": 1, "b": 2}, 6),
        ("${a - -b}", {"a": 1, "b": 2}, 3),
        ("${10 / 4}", {}, 2.5),
        ("${10 div 4}", {}, 2.5),
        ("${10 % 4 + 10 mod 3}", {}, 3),
        ("${1.50 + 2}", {}, 3.5),
        ("${prioridad > 2 ? 'alta' : 'normal'}", {"prioridad": 3}, "alta"),
        ("${a ? b ? 1 : 2 : 3}", {"a": True, "b": False}, 2),
        ("${'it\\'s' == \"it's\"}", {}, True),
        ("${año > 2025}", {"año": 2026}, True),
        ("#{aprobado}", {"aprobado": True}, True),
        ("  ${aprobado}\n", {"aprobado": True}, True),
        ("${dias_habiles(fecha, 10)}", {"dias_habiles": lambda f, n: f"{f}+{n}", "fecha": "hoy"}, "hoy+10"),
        ("monto > 1000 and tipo == 'queja'", {"monto": 2000, "tipo": "queja"}, True),
    ],
)
def test_juel_condition_evaluates_like_camunda(text: str, data: dict[str, Any], expected: Any) -> None:
    python = expression_to_python(text)
    assert evaluate(python, **data) == expected
    assert restricted_ok(python), python


def test_composite_text_becomes_string_concatenation() -> None:
    python = expression_to_python("Hola ${nombre}, radicado ${radicado.numero}")
    assert evaluate(python, nombre="Ana", radicado={"numero": 7}) == "Hola Ana, radicado 7"
    assert evaluate(python, nombre=None, radicado={}) == "Hola , radicado "


def test_composite_writes_booleans_as_juel_does() -> None:
    assert evaluate(expression_to_python("activo=${activo}"), activo=True) == "activo=true"


def test_escaped_dollar_brace_stays_literal() -> None:
    assert evaluate(expression_to_python("precio \\${x}")) == "precio ${x}"


def test_string_literals_with_quotes_and_question_marks_survive() -> None:
    python = expression_to_python("${texto == \"¿Sí? 'no'\"}")
    assert "?" not in python and '"' not in python.replace("'", "")
    assert evaluate(python, texto="¿Sí? 'no'") is True


def test_a_lone_expression_keeps_its_type() -> None:
    assert evaluate(expression_to_python("${monto}"), monto=12) == 12


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("${a &&}", "falta un operando después de '&&'"),
        ("${a || && b}", "falta un operando después de '||'"),
        ("${}", "expresión vacía"),
        ("${a", "falta la llave de cierre"),
        ("${a b}", "falta un operador antes de 'b'"),
        ("${(a}", "se esperaba ')'"),
        ("${f(a}", "se esperaba ')'"),
        ("${x = 1}", "use '==' o 'eq'"),
        ("${a & b}", "use '&&'"),
        ("${a | b}", "use '||'"),
        ('${"abc}', "falta la comilla de cierre"),
        ("${'a\\n'}", "secuencia de escape inválida"),
        ("${a ? b}", "se esperaba ':'"),
        ("${a # b}", "carácter inesperado '#'"),
        ("${and}", "falta un operando"),
        ("${_x}", "empiezan por '_'"),
        ("${a.__class__}", "empiezan por '_'"),
        ("${a.b()}", "el método 'b(…)' no está soportado"),
        ("${bean.doSomething(execution)}", "el método 'doSomething(…)' no está soportado"),
        ("${a[0](1)}", "no se permiten llamadas a métodos"),
        ("${(f)(1)}", "no se permiten llamadas a métodos"),
        ("${True}", "use true, false o null"),
        ("${a.}", "nombre de propiedad"),
        ("a >", "no es una expresión Python válida"),
        ("__import__('os')", "empiezan por '_'"),
        ("x.__class__", "empiezan por '_'"),
    ],
)
def test_untranslatable_condition_is_rejected_in_spanish(text: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        expression_to_python(text)
    message = str(caught.value)
    assert fragment in message
    assert f"'{text.strip()}'" in message


def test_error_message_names_the_text_and_the_fault() -> None:
    with pytest.raises(
        ExpressionError, match=r"^Expresión inválida '\$\{a &&\}': falta un operando después de '&&'$"
    ):
        expression_to_python("${a &&}")


def test_empty_condition_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="vacía"):
        expression_to_python("   ")


# -- attribute values
@pytest.mark.parametrize(
    ("text", "data", "expected"),
    [
        ("juan", {}, "juan"),
        ("it's ok?", {}, "it's ok?"),
        ("${responsable}", {"responsable": "ana"}, "ana"),
        ("${prioridad}", {"prioridad": 80}, 80),
        ("grupo-${dependencia.codigo}", {"dependencia": {"codigo": "110"}}, "grupo-110"),
        ("", {}, ""),
    ],
)
def test_attribute_value_plain_text_is_a_literal_string(
    text: str, data: dict[str, Any], expected: Any
) -> None:
    python = value_to_python(text)
    assert evaluate(python, **data) == expected
    assert restricted_ok(python)


def test_attribute_value_with_bad_juel_is_rejected() -> None:
    with pytest.raises(ExpressionError, match="falta un operando"):
        value_to_python("${a +}")


# -- timers
FIXED_START = datetime(2026, 3, 2, 8, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("PT2H", timedelta(hours=2)),
        ("P15D", timedelta(days=15)),
        ("P1Y2M", timedelta(days=365 + 31 + 30)),  # from 2026-03-02: March + April of 2027 after a year
        ("PT0.5S", timedelta(seconds=0.5)),
        ("P1W", timedelta(weeks=1)),
        ("P1DT12H30M", timedelta(days=1, hours=12, minutes=30)),
        ("PT1M", timedelta(minutes=1)),
        ("pt2h", timedelta(hours=2)),
    ],
)
def test_iso_duration_is_accepted_by_spiffworkflow(text: str, expected: timedelta) -> None:
    value = evaluate(timer_to_python(text, "timeDuration"))
    parsed = TimerEventDefinition.parse_iso_duration(value)
    assert TimerEventDefinition.get_timedelta_from_start(parsed, FIXED_START) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-03-02T08:00:00-05:00", datetime(2026, 3, 2, 13, tzinfo=UTC)),
        ("2030-01-01T00:00:00Z", datetime(2030, 1, 1, tzinfo=UTC)),
        ("2026-03-02T08:00:00", None),  # naive: SpiffWorkflow applies the server's zone
    ],
)
def test_iso_date_is_accepted_by_spiffworkflow(text: str, expected: datetime | None) -> None:
    value = evaluate(timer_to_python(text, "timeDate"))
    due = TimerEventDefinition.get_datetime(value)
    assert due.tzinfo is not None
    if expected is not None:
        assert due == expected


@pytest.mark.parametrize(
    ("text", "cycles", "duration"),
    [
        ("R3/PT1H", 3, timedelta(hours=1)),
        ("R/P1D", -1, timedelta(days=1)),
        ("R5/2026-03-02T08:00:00-05:00/P1D", 5, timedelta(days=1)),
        ("R2/PT1H/2030-01-01T00:00:00Z", 2, timedelta(hours=1)),
    ],
)
def test_iso_cycle_is_accepted_by_spiffworkflow(text: str, cycles: int, duration: timedelta) -> None:
    value = evaluate(timer_to_python(text, "timeCycle"))
    parsed_cycles, start, parsed_duration = TimerEventDefinition.parse_iso_recurring_interval(value)
    assert (parsed_cycles, parsed_duration) == (cycles, duration)
    if "2026-03-02" in text:
        assert start == datetime(2026, 3, 2, 13, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "kind", "data", "expected"),
    [
        ("${plazo}", "timeDuration", {"plazo": "P15D"}, "P15D"),
        ("${vencimiento}", "timeDate", {"vencimiento": "2030-01-01T00:00:00Z"}, "2030-01-01T00:00:00Z"),
        ("R3/${intervalo}", "timeCycle", {"intervalo": "PT1H"}, "R3/PT1H"),
        ("plazo", "timeDuration", {"plazo": "PT2H"}, "PT2H"),
        ("'PT' + str(horas) + 'H'", "timeDuration", {"horas": 4}, "PT4H"),
        ('"PT1H"', "timeDuration", {}, "PT1H"),
    ],
)
def test_timer_expression_is_translated(text: str, kind: Any, data: dict[str, Any], expected: str) -> None:
    python = timer_to_python(text, kind)
    assert evaluate(python, **data) == expected
    assert restricted_ok(python)


@pytest.mark.parametrize(
    ("text", "kind", "fragment"),
    [
        ("PT2X", "timeDuration", "no es una duración ISO-8601 válida"),
        ("P", "timeDuration", "no es una duración ISO-8601 válida"),
        ("PT", "timeDuration", "no es una duración ISO-8601 válida"),
        ("P1DT", "timeDuration", "no es una duración ISO-8601 válida"),
        ("P1.5DT2H", "timeDuration", "solo el último componente"),
        ("P1W2D", "timeDuration", "las semanas (W)"),
        ("R3/", "timeCycle", "no es un ciclo ISO-8601"),
        ("R3/PT1H/PT2H", "timeCycle", "un ciclo es R[n]/duración"),
        ("R3/2026-01-01T00:00:00Z/2026-02-01T00:00:00Z", "timeCycle", "un ciclo es R[n]/duración"),
        ("R3/PT2X", "timeCycle", "en 'PT2X': no es una duración"),
        ("P1D", "timeDate", "es una duración y timeDate requiere"),
        ("R3/PT1H", "timeDate", "es un ciclo y timeDate requiere"),
        ("2026-03-02T08:00:00", "timeDuration", "es una fecha y timeDuration requiere"),
        ("R3/PT1H", "timeDuration", "es un ciclo y timeDuration requiere"),
        ("PT1H", "timeCycle", "es una duración y timeCycle requiere"),
        ("2026-13-01T00:00:00", "timeDate", "no es una fecha y hora ISO-8601 válida"),
        ("0 0 9 ? * 6#3", "timeCycle", "no están soportados"),  # Quartz cron runs, save W, # and nL
        ("3600", "timeDuration", "debe dar una duración ISO-8601"),
        ('"PT"', "timeDuration", "no es una duración ISO-8601 válida"),
        ('"mañana"', "timeDate", "no es una fecha y hora ISO-8601"),
        ("${plazo", "timeDuration", "falta la llave de cierre"),
        ("plazo +", "timeDuration", "no es una expresión Python válida"),
    ],
)
def test_bad_timer_text_is_rejected(text: str, kind: Any, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        timer_to_python(text, kind)
    assert fragment in str(caught.value)


@pytest.mark.parametrize("kind", ["timeDate", "timeDuration", "timeCycle"])
def test_empty_timer_is_rejected(kind: Any) -> None:
    with pytest.raises(ExpressionError, match="no tiene expresión de tiempo"):
        timer_to_python(" ", kind)


# -- helpers
def test_prop_reads_dicts_lists_and_plain_attributes() -> None:
    assert juel_prop({"a": 1}, "a") == 1
    assert juel_prop({"a": 1}, "b") is None
    assert juel_prop(None, "a") is None
    assert juel_prop([10, 20], 1) == 20
    assert juel_prop([10, 20], "1") == 20
    assert juel_prop([10, 20], 5) is None
    assert juel_prop([10, 20], -1) is None
    assert juel_prop(SimpleNamespace(nombre="x"), "nombre") == "x"


@pytest.mark.parametrize(("obj", "key"), [(SimpleNamespace(), "__class__"), ("texto", "upper"), (3, 1)])
def test_prop_refuses_private_names_methods_and_odd_keys(obj: Any, key: Any) -> None:
    with pytest.raises(AttributeError):
        juel_prop(obj, key)


def test_prop_refuses_a_computed_dunder_key_at_run_time() -> None:
    with pytest.raises(Exception, match="no permitida"):
        evaluate(expression_to_python("${a[k]}"), a=SimpleNamespace(), k="__class__")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, True),
        ("", True),
        ([], True),
        ({}, True),
        ("a", False),
        ([0], False),
        (0, False),
        (False, False),
    ],
)
def test_empty_is_true_for_null_and_empty_containers(value: Any, expected: bool) -> None:
    assert juel_empty(value) is expected


def test_str_writes_null_as_nothing_and_booleans_in_lowercase() -> None:
    assert [juel_str(None), juel_str(True), juel_str(3)] == ["", "true", "3"]


def test_helper_names_are_allowed_by_restricted_python() -> None:
    assert all(not name.startswith("_") for name in EXPRESSION_HELPERS)
    assert restricted_ok(expression_to_python("${empty a.b && x == 'y'} ${z}"))


# -- FEEL, evaluated by SpiffWorkflow's own DMN engine code
def dmn_match(cell: str, value: Any, input_expression: str = "entrada", **data: Any) -> bool:
    task = SimpleNamespace(workflow=SimpleNamespace(script_engine=ENGINE), data={"entrada": value, **data})
    python = feel_input_entry_to_python(cell)
    if not python:
        return True  # SpiffWorkflow skips an empty cell
    return bool(DMNEngine(None).evaluate(feel_expression_to_python(input_expression), python, task))


@pytest.mark.parametrize(
    ("cell", "matching", "not_matching"),
    [
        ('"queja"', ["queja"], ["reclamo", None]),
        ('"queja","reclamo"', ["queja", "reclamo"], ["peticion", None]),
        ('not("queja","reclamo")', ["peticion", None], ["queja", "reclamo"]),
        ('not("x")', ["y"], ["x"]),
        ("5", [5, 5.0], [4, None]),
        ("-5", [-5], [5]),
        ("true", [True], [False, 1, None]),
        ("false", [False], [True, 0]),
        ("null", [None], [0, ""]),
        ("< 10", [9, -1], [10, None]),
        ("<= 10", [10], [11]),
        ("> 10", [11], [10, None]),
        (">= 5", [5, 6], [4]),
        ("= 3", [3], [4]),
        ("!= 3", [4], [3]),
        ("[1..5]", [1, 3, 5], [0, 6, None]),
        ("]1..5[", [2, 4.9], [1, 5]),
        ("(1..5)", [2], [1, 5]),
        ("[1..5)", [1], [5]),
        ("(1..5]", [5], [1]),
        ("< 0, > 10", [-1, 11], [0, 10, 5]),
        ("[1..5], 10", [3, 10], [7]),
        ('date("2026-01-01")', ["2026-01-01"], ["2026-01-02"]),
        ('>= date("2026-01-01")', ["2026-03-02"], ["2025-12-31"]),
        ('< date and time("2026-01-01T08:00:00")', ["2026-01-01T07:59:00"], ["2026-01-01T08:00:00"]),
        ("? > 5 and ? < 10", [6], [5, 10]),
        ("limite", [3], [4]),
        ("> limite", [4], [3]),
        ("[0..limite * 2]", [6], [7]),
        ('"¿Sí?"', ["¿Sí?"], ["Sí"]),
        ('"it\'s"', ["it's"], ["its"]),
        ("-", [1, None, "x"], []),
        ("", [1, None], []),
        ('in ("a", "b")', ["a"], ["c"]),  # legacy SpiffWorkflow Python cell
        ('== "x"', ["x"], ["y"]),  # legacy SpiffWorkflow Python cell
        ("'a'", ["a"], ["b"]),
    ],
)
def test_feel_input_entry_matches_like_camunda(
    cell: str, matching: list[Any], not_matching: list[Any]
) -> None:
    for value in matching:
        assert dmn_match(cell, value, limite=3), (cell, value)
    for value in not_matching:
        assert not dmn_match(cell, value, limite=3), (cell, value)
    python = feel_input_entry_to_python(cell)
    assert restricted_ok(python.replace("?", "dmninputexpr") or "True")


def test_feel_input_expression_reads_nested_data() -> None:
    assert dmn_match('"queja"', None, "solicitud.tipo", solicitud={"tipo": "queja"})


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [
        ("[1..]", "falta un operando después de '..'"),
        ("[1..5", "el intervalo debe cerrar"),
        ("__x", "empiezan por '_'"),
        ('date("2026-02-30")', "no es una fecha válida"),
        ("a &&", "carácter inesperado '&'"),
        ('"a" ==', "'==' no es un operador válido"),
        ("if", "la expresión está incompleta"),
    ],
)
def test_bad_feel_input_entry_is_rejected(cell: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        feel_input_entry_to_python(cell)
    assert fragment in str(caught.value)


@pytest.mark.parametrize(
    ("cell", "data", "expected"),
    [
        ('"aprobado"', {}, "aprobado"),
        ("10", {}, 10),
        ("2.5", {}, 2.5),
        ("-1", {}, -1),
        ("true", {}, True),
        ("false", {}, False),
        ("null", {}, None),
        ("", {}, None),
        ("monto * 2", {"monto": 3}, 6),
        ("solicitud.tipo", {"solicitud": {"tipo": "queja"}}, "queja"),
        ('if monto > 1000 then "alta" else "baja"', {"monto": 5}, "baja"),
        ("not(activo)", {"activo": True}, False),
        ("[1, 2]", {}, [1, 2]),
        ("2 ** 3", {}, 8),
        ("'python'", {}, "python"),  # legacy Python cells keep working
        ('{"a": 1}', {}, {"a": 1}),
        ("True", {}, True),
    ],
)
def test_feel_output_entry_gives_the_camunda_value(cell: str, data: dict[str, Any], expected: Any) -> None:
    python = feel_output_entry_to_python(cell)
    assert evaluate(python, **data) == expected
    assert restricted_ok(python)


@pytest.mark.parametrize(
    ("cell", "fragment"),
    [("?", "solo se usa en las celdas de entrada"), ("a ==== b", "'==' no es un operador"), ("_x", "'_'")],
)
def test_bad_feel_output_entry_is_rejected(cell: str, fragment: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        feel_output_entry_to_python(cell)
    assert fragment in str(caught.value)


def test_translating_feel_twice_changes_nothing() -> None:
    for cell in ['"a","b"', 'not("x")', "[1..5]", "< 0, > 10", "true", "-5"]:
        once = feel_input_entry_to_python(cell)
        assert feel_input_entry_to_python(once) == once
    for cell in ['"si"', "true", "null", "a.b", "1.5"]:
        once = feel_output_entry_to_python(cell)
        assert feel_output_entry_to_python(once) == once


# -- robustness: any text either translates to valid, restricted-safe Python or raises ExpressionError
PIECES = [
    "${",
    "#{",
    "}",
    "a",
    "b.c",
    "_x",
    "[0]",
    "'s'",
    '"q?"',
    "1",
    "2.5",
    "&&",
    "||",
    "!",
    "==",
    "=",
    "<",
    ">=",
    "?",
    ":",
    "(",
    ")",
    ",",
    "..",
    "[",
    "]",
    "not",
    "empty",
    "and",
    "or",
    "div",
    "true",
    "null",
    "-",
    "P",
    "T",
    "2H",
    "R3/",
    "2026-01-01",
    " ",
    "f(",
    "date(",
    "if",
    "then",
    "else",
    "\\",
]
texts = st.one_of(st.text(max_size=30), st.lists(st.sampled_from(PIECES), max_size=12).map("".join))


@settings(max_examples=3000, deadline=None)
@given(texts)
def test_any_text_translates_to_safe_python_or_a_spanish_error(text: str) -> None:
    translations = [
        lambda: expression_to_python(text),
        lambda: value_to_python(text),
        lambda: timer_to_python(text, "timeCycle"),
        lambda: timer_to_python(text, "timeDuration"),
        lambda: feel_output_entry_to_python(text),
        lambda: feel_input_entry_to_python(text).replace("?", "dmninputexpr") or "True",
    ]
    for translate in translations:
        try:
            python = translate()
        except ExpressionError as error:
            assert str(error)
            continue
        assert restricted_ok(python), (text, python)
