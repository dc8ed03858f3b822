"""Every bpmn-js fixture gets a report (accepted, warned or refused with a reason), never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from engine.modeling.definitions import SourceFile, analyze
from engine.modeling.report import ValidationReport

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "bpmn-js"
if not FIXTURES.is_dir():  # fail at collection: an empty parameter set would only be skipped
    raise FileNotFoundError(f"bpmn-js fixtures missing: {FIXTURES}")
FILES = sorted(p for p in FIXTURES.rglob("*") if p.is_file())


def report_for(relative: str, as_name: str | None = None) -> ValidationReport:
    path = FIXTURES / relative
    return analyze([SourceFile(as_name or relative, path.read_bytes())]).report


def reasons(report: ValidationReport) -> str:
    return " | ".join(p.message for p in report.errors)


def test_fixture_directory_is_not_empty() -> None:
    assert len(FILES) > 100


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_gets_a_report_and_never_raises(path: Path) -> None:
    report = report_for(str(path.relative_to(FIXTURES)))

    for problem in report.problems:
        assert problem.file == str(path.relative_to(FIXTURES))
        assert problem.message.strip()
        assert "error interno" not in problem.message, problem.format()


def test_duplicate_ids_are_refused_naming_the_id() -> None:
    report = report_for("error/duplicate-ids.bpmn")

    assert any(p.element_id == "test" and "repetido" in p.message for p in report.errors), report.format()


@pytest.mark.parametrize(
    ("relative", "words"),
    [
        ("error/no-xml.txt", "XML"),
        ("error/binary.png", "binario"),
        ("error/missing-namespace.bpmn", "bpmn:definitions"),
        ("error/no-process-collaboration.bpmn", "no hay un proceso ejecutable"),
        ("error/invalid-child.bpmn", "no hay un proceso ejecutable"),
    ],
)
def test_malformed_files_are_refused_with_a_reason_that_fits(relative: str, words: str) -> None:
    # Renamed to .bpmn so the content itself, not the extension, is judged.
    report = report_for(relative, as_name=Path(relative).stem + ".bpmn")

    assert not report.ok
    assert words.lower() in reasons(report).lower(), report.format()


def test_non_model_files_are_refused_by_type() -> None:
    for relative in ("error/binary.png", "error/no-xml.txt", "LICENSE"):
        assert "tipo de archivo no soportado" in reasons(report_for(relative))


@pytest.mark.parametrize(
    ("relative", "element_id"),
    [
        ("import/error/boundaryEvent-invalidAttachToRef.bpmn", "BoundaryEvent_1"),
        ("import/error/boundaryEvent-missingAttachToRef.bpmn", "BoundaryEvent_1"),
    ],
)
def test_dangling_boundary_events_are_named(relative: str, element_id: str) -> None:
    report = report_for(relative)

    assert any(p.element_id == element_id and "borde" in p.message for p in report.errors), report.format()


def test_camunda_8_fixture_is_refused_as_such() -> None:
    assert "Camunda Platform 7" in reasons(report_for("kitchen-sink.bpmn"))


@pytest.mark.parametrize(
    "relative",
    [
        "extension/camunda.bpmn",
        "extension/custom.bpmn",
        "import/multiple-diagrams.bpmn",
        "collapsed-sub-process-legacy.bpmn",
        "features/replace/data-stores-positioned-against-participant.bpmn",
    ],
)
def test_known_good_files_are_accepted(relative: str) -> None:
    analysis = analyze([SourceFile(relative, (FIXTURES / relative).read_bytes())])

    assert analysis.report.ok, analysis.report.format()
    assert analysis.processes


def test_unknown_vendor_extension_is_only_a_warning() -> None:
    report = report_for("extension/custom.bpmn")

    assert report.ok
    assert any("customdescriptor.com" in p.message for p in report.warnings)
