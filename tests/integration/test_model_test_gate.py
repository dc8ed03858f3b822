"""PHVA_REQUIRE_MODEL_TESTS: the server's model tests for what is deployed run against the files deployed."""

from __future__ import annotations

import shutil
from pathlib import Path

from engine.modeling.definitions import SourceFile
from engine.modeltests.gate import failing_model_tests
from tests.helpers import DATA


def kept_tests(tmp_path: Path) -> Path:
    shutil.copy(DATA / "timers_business_days.bpmn", tmp_path / "timers_business_days.bpmn")
    text = (DATA / "model_tests" / "respuesta_dias_habiles.test.yaml").read_text(encoding="utf-8")
    (tmp_path / "respuesta.test.yaml").write_text(
        text.replace("../timers_business_days.bpmn", "timers_business_days.bpmn")
    )
    return tmp_path


def test_the_same_model_passes_its_tests(tmp_path: Path) -> None:
    model = SourceFile("timers_business_days.bpmn", (DATA / "timers_business_days.bpmn").read_bytes())
    assert failing_model_tests(kept_tests(tmp_path), [model]) == []


def test_a_change_that_breaks_the_tests_is_reported_with_its_steps(tmp_path: Path) -> None:
    changed = (
        (DATA / "timers_business_days.bpmn")
        .read_bytes()
        .replace(b'cancelActivity="false"', b'cancelActivity="true"')
    )
    failures = failing_model_tests(kept_tests(tmp_path), [SourceFile("timers_business_days.bpmn", changed)])
    assert any("✗ la alerta llega a los 10 días hábiles" in line for line in failures), failures
    assert any("paso 5 (expect_tasks)" in line for line in failures), failures


def test_tests_of_other_processes_do_not_run(tmp_path: Path) -> None:
    other = SourceFile("loop.bpmn", (DATA / "loop.bpmn").read_bytes())
    (kept_tests(tmp_path) / "timers_business_days.bpmn").write_text("roto")  # would fail if it ran
    assert failing_model_tests(tmp_path, [other]) == []
