"""A deploy that requires model tests (PHVA_REQUIRE_MODEL_TESTS): the tests kept beside the models on the server
that touch what is being deployed run against the files being deployed, before anything is written."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path

from lxml import etree

from engine.errors import BadInput
from engine.modeling.definitions import SourceFile
from engine.modeling.parser import BPMN_NS
from engine.modeling.xml import XmlError, parse_xml
from engine.modeltests import runner, spec


def failing_model_tests(tests_dir: Path, files: Sequence[SourceFile]) -> list[str]:
    """The report lines of every failing test (empty: the deploy may go on). A test is run when it starts one of
    the processes deployed or names one of the files; the deployed files replace those of the same name."""
    uploaded = {f.name: f for f in files}
    keys = _process_keys(files)
    failures: list[str] = []
    for path in sorted(tests_dir.glob("*.test.yaml")):
        try:
            test = spec.load(path)
        except BadInput as error:
            failures.append(f"✗ {path.name}: {error.message}")
            continue
        if not ({s.process for s in test.scenarios} & keys or {s.name for s in test.sources} & set(uploaded)):
            continue
        sources = tuple(uploaded.get(s.name, s) for s in test.sources)
        result = runner.run_file(dataclasses.replace(test, sources=sources))
        if not result.ok:
            failures.extend(result.lines())
    return failures


def _process_keys(files: Sequence[SourceFile]) -> set[str]:
    keys: set[str] = set()
    for f in files:
        if not f.name.lower().endswith((".bpmn", ".bpmn20.xml")):
            continue
        try:
            root = parse_xml(f.content)
        except XmlError:
            continue  # the deploy's own check reports it
        keys |= {p.get("id") or "" for p in root.iter(etree.QName(BPMN_NS, "process").text)}
    return keys - {""}
