"""Every model in bpmn/ keeps model tests beside it (bpmn/*.test.yaml), and they pass: `phva test-model bpmn/`."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from engine.modeltests import runner, spec
from tests.conftest import ROOT

TESTS = sorted((ROOT / "bpmn").glob("*.test.yaml"))


def started_processes() -> set[str]:
    return {s.process for path in TESTS for s in spec.load(path).scenarios}


@pytest.mark.parametrize("model", sorted((ROOT / "bpmn").glob("*.bpmn")), ids=lambda p: p.stem)
def test_every_shipped_model_is_started_by_a_model_test(model: Path) -> None:
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    keys = {
        p.get("id") for p in etree.parse(str(model)).iterfind(".//bpmn:process[@isExecutable='true']", ns)
    }
    assert keys and keys <= started_processes(), (
        f"{model.name}: no model test starts {keys - started_processes()}"
    )


@pytest.mark.parametrize("path", TESTS, ids=lambda p: p.name.removesuffix(".test.yaml"))
def test_shipped_model_tests_pass(path: Path) -> None:
    result = runner.run_file(spec.load(path))
    assert result.ok, "\n".join(result.lines())
