"""The `escalamiento` property: what parses, what deploy refuses (naming the element) and why, in Spanish."""

from __future__ import annotations

from fractions import Fraction

import pytest

from engine.modeling.definitions import SourceFile, analyze
from engine.modeling.ladder import LadderError, When, parse_ladder, parse_when
from tests.helpers import flow, process_xml


@pytest.mark.parametrize(
    ("text", "share", "days", "canonical"),
    [
        ("50%", Fraction(1, 2), 0, "50%"),
        (" 50 % ", Fraction(1, 2), 0, "50%"),
        ("2/3", Fraction(2, 3), 0, "2/3"),
        ("3/4", Fraction(3, 4), 0, "75%"),
        ("66,5%", Fraction(133, 200), 0, "66.5%"),
        ("100%", Fraction(1), 0, "100%"),
        ("1/1", Fraction(1), 0, "100%"),
        ("100%+2d", Fraction(1), 2, "100%+2d"),
        ("100% + 2D", Fraction(1), 2, "100%+2d"),
        ("100%-1d", Fraction(1), -1, "100%-1d"),
        ("3d", None, 3, "3d"),
    ],
)
def test_moments_parse_to_a_share_of_the_term_and_business_days(
    text: str, share: Fraction | None, days: int, canonical: str
) -> None:
    when = parse_when(text)
    assert when == When(share, days)
    assert when.text == canonical
    assert parse_when(canonical) == when


def test_a_ladder_keeps_its_steps_in_order_with_their_actions() -> None:
    ladder = parse_ladder(
        "50%:avisar_responsable; 2/3:avisar_supervisor;\n100%:reasignar_supervisor; 100%+2d:avisar_jefe;"
        " 1d:avisar(juridica); 100%+5d:reasignar( supervision )"
    )
    assert [(s.when.text, s.action, s.argument) for s in ladder.steps] == [
        ("50%", "avisar_responsable", None),
        ("2/3", "avisar_supervisor", None),
        ("100%", "reasignar_supervisor", None),
        ("100%+2d", "avisar_jefe", None),
        ("1d", "avisar", "juridica"),
        ("100%+5d", "reasignar", "supervision"),
    ]
    assert ladder.text.startswith("50%:avisar_responsable; 2/3:avisar_supervisor; 100%:reasignar_supervisor")


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "está vacío"),
        ("50%", "no tiene la forma momento:acción"),
        (":avisar_responsable", "falta el momento"),
        ("0%:avisar_responsable", "entre 0 y 100%"),
        ("150%:avisar_jefe", "después del vencimiento, use 100%+Nd"),
        ("3/0:avisar_jefe", "denominador"),
        ("4/3:avisar_jefe", "entre 0 y 100%"),
        ("mañana:avisar_jefe", "no es un momento válido"),
        ("50%+1d:avisar_jefe", "solo se cuentan desde el vencimiento"),
        ("0d:avisar_jefe", "entre 1 y 365"),
        ("100%+400d:avisar_jefe", "entre 1 y 365"),
        ("50%:llamar_al_alcalde", "acción desconocida «llamar_al_alcalde»"),
        ("50%:avisar", "necesita el grupo entre paréntesis"),
        ("50%:avisar(dos grupos)", "no es un nombre de grupo válido"),
        ("50%:avisar_jefe(juridica)", "no lleva paréntesis"),
        ("50%:avisar_jefe; 50 %:avisar_jefe", "el paso «50%:avisar_jefe» está repetido"),
        (";".join(f"{d}d:avisar_jefe" for d in range(1, 14)), "el máximo es 12"),
    ],
)
def test_invalid_ladders_say_what_is_wrong(text: str, reason: str) -> None:
    with pytest.raises(LadderError) as refused:
        parse_ladder(text)
    assert reason in str(refused.value)


def _task(ladder: str, element: str = "userTask", task_id: str = "Tarea") -> str:
    return (
        f'<bpmn:startEvent id="inicio" name="Inicio"/>'
        f'<bpmn:{element} id="{task_id}" name="Responder"><bpmn:extensionElements><camunda:properties>'
        f'<camunda:property name="escalamiento" value="{ladder}"/></camunda:properties></bpmn:extensionElements>'
        f"</bpmn:{element}>"
        f'<bpmn:endEvent id="fin" name="Fin"/>' + flow(f"inicio>{task_id}", f"{task_id}>fin")
    )


def _problems(xml: str) -> list[tuple[str | None, str, str]]:
    report = analyze([SourceFile("escalera.bpmn", xml.encode())]).report
    return [(p.element_id, p.severity, p.message) for p in report.problems if "escala" in p.message]


def test_deploy_refuses_an_invalid_ladder_naming_the_task() -> None:
    assert _problems(process_xml(_task("50%:avisar_responsable; 120%:avisar_jefe"))) == [
        (
            "Tarea",
            "error",
            "escalamiento no válido: «120%»: la parte del término debe estar entre 0 y 100% "
            "(después del vencimiento, use 100%+Nd)",
        )
    ]


def test_deploy_refuses_an_invalid_process_ladder_naming_the_process() -> None:
    body = _task("50%:avisar_responsable").replace(
        '<bpmn:startEvent id="inicio"',
        '<bpmn:extensionElements><camunda:properties><camunda:property name="escalamiento" value="2/3:avisar"/>'
        '</camunda:properties></bpmn:extensionElements><bpmn:startEvent id="inicio"',
    )
    [(element, severity, message)] = _problems(process_xml(body))
    assert (element, severity) == ("prueba", "error")
    assert "«avisar» necesita el grupo" in message


def test_a_valid_ladder_deploys_without_findings_and_elsewhere_is_only_a_warning() -> None:
    ladder = "50%:avisar_responsable; 2/3:avisar_supervisor; 100%:reasignar_supervisor; 100%+2d:avisar_jefe"
    assert _problems(process_xml(_task(ladder))) == []
    assert _problems(process_xml(_task(ladder, element="manualTask"))) == [
        (
            "Tarea",
            "warning",
            "la propiedad «escalamiento» solo se tiene en cuenta en tareas de usuario y en el proceso",
        )
    ]
