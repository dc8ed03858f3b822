"""`phva test-model`: an analyst's YAML tests beside a BPMN run on a throwaway database, reported per step."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from jsonschema import Draft202012Validator

from engine.modeltests.spec import SCHEMA_PATH
from tests.helpers import DATA
from web.cli import cli

TESTS = DATA / "model_tests"


def phva(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_the_format_is_a_valid_json_schema() -> None:
    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def test_a_passing_model_test_reports_each_scenario_and_exits_0() -> None:
    result = phva("test-model", TESTS / "respuesta_dias_habiles.test.yaml")
    assert result.exit_code == 0, result.output
    assert "✓ la alerta llega a los 10 días hábiles y no cancela la respuesta" in result.output
    assert "✓ respondida a tiempo, sin alerta" in result.output
    assert "1 de 1 archivos de prueba pasaron." in result.output


def test_a_broken_model_test_fails_with_a_readable_step_report() -> None:
    result = phva("test-model", TESTS / "roto.test.yaml")
    assert result.exit_code == 1
    assert "✗ espera una tarea que el modelo no crea" in result.output
    assert "paso 2 (complete): no hay una tarea abierta «Aprobar»; abiertas: Responder PQRSD (Responder)" in (
        result.output
    )
    assert "Traceback" not in result.output


def test_json_output_lists_every_step(tmp_path: Path) -> None:
    result = phva("test-model", TESTS, "--json")
    assert result.exit_code == 1  # the folder holds the broken example too
    files = {Path(r["file"]).name: r for r in json.loads(result.output)}
    assert files["respuesta_dias_habiles.test.yaml"]["ok"] is True
    [broken] = files["roto.test.yaml"]["tests"]
    assert [(s["label"], s["ok"]) for s in broken["steps"]] == [
        ("inicio", True),
        ("paso 1 (expect_tasks)", True),
        ("paso 2 (complete)", False),
    ]


def test_wrong_expectations_name_what_was_found(tmp_path: Path) -> None:
    bpmn = (DATA / "timers_business_days.bpmn").resolve()
    path = write(
        tmp_path,
        "mal.test.yaml",
        f"""
files: ["{bpmn}"]
tests:
  - name: variables, estado y camino
    start: {{process: respuesta_pqrsd, data: {{tipo: peticion_general, fecha_recibo: "2026-03-02T08:00:00"}}}}
    steps:
      - complete: Responder
    expect:
      status: running
      variables: {{tipo: queja, falta: 1}}
      path: [Respondida, Inicio, Alertar]
""",
    )
    result = phva("test-model", path)
    assert result.exit_code == 1
    for text in ("estado «completed», se esperaba «running»", "«tipo» vale 'peticion_general', se esperaba 'queja'",
                 "falta la variable «falta»", "no pasó por Alertar"):  # fmt: skip
        assert text in result.output


def test_a_refusal_can_be_expected_and_must_match(tmp_path: Path) -> None:
    model = (DATA / "camunda" / "mensaje_sin_nombre.bpmn").resolve()
    expected = write(
        tmp_path, "ok.test.yaml", f'files: ["{model}"]\ndeploy: refused\nrefused: [{{contains: "mensaje"}}]\n'
    )
    assert phva("test-model", expected).exit_code == 0
    wrong = write(
        tmp_path, "no.test.yaml", f'files: ["{model}"]\ndeploy: refused\nrefused: [{{contains: "groovy"}}]\n'
    )
    result = phva("test-model", wrong)
    assert result.exit_code == 1 and "faltan en el informe" in result.output and "groovy" in result.output
    accepted = write(
        tmp_path, "acc.test.yaml", f'files: ["{(DATA / "loop.bpmn").resolve()}"]\ndeploy: refused\n'
    )
    result = phva("test-model", accepted)
    assert result.exit_code == 1 and "fue aceptado" in result.output


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("files: [x.bpmn]\ntests: [{name: a}]\n", "falta 'start'"),
        ("files: [a.bpmn]\nextra: 1\n", "claves no reconocidas"),
        ("files: [a.txt]\n", "debe terminar en .bpmn"),
        ("files: [nada.bpmn]\n", "no existen los archivos"),
        ("files: [a.bpmn\n", "no es YAML válido"),
        (
            "files: [a.bpmn]\ntests: [{name: a, start: {process: p}, steps: [{complete: x, advance: P1D}]}]\n",
            "cada paso es una sola clave",
        ),
    ],
)
def test_a_malformed_file_is_refused_with_exit_2_before_anything_runs(
    tmp_path: Path, text: str, shown: str
) -> None:
    write(tmp_path, "a.bpmn", (DATA / "loop.bpmn").read_text())
    result = phva("test-model", write(tmp_path, "t.test.yaml", text))
    assert result.exit_code == 2, result.output
    assert shown in result.output and "Traceback" not in result.output


def test_a_folder_without_model_tests_is_bad_input(tmp_path: Path) -> None:
    result = phva("test-model", tmp_path)
    assert result.exit_code == 2 and "no hay archivos *.test.yaml" in result.output
