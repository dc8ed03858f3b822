"""Issue 13 §9: versions by content — what a Camunda Modeler save changes without changing the model."""

from __future__ import annotations

import json
from pathlib import Path

from engine.modeling.canonical import canonical_hash

ROOT = Path(__file__).resolve().parents[2]
PQRSD = (ROOT / "bpmn" / "pqrsd.bpmn").read_bytes()
DMN = (ROOT / "bpmn" / "terminos_pqrsd.dmn").read_bytes()
FORM = (ROOT / "forms" / "pqrsd_radicar.form").read_bytes()


def _same(name: str, a: bytes, b: bytes) -> bool:
    return canonical_hash(name, a) == canonical_hash(name, b)


def test_saving_an_untouched_file_with_a_newer_modeler_is_the_same_version() -> None:
    resaved = (
        PQRSD.replace(b'exporterVersion="5.20.0"', b'exporterVersion="5.31.0"')
        .replace(b'modeler:executionPlatformVersion="7.20.0"', b'modeler:executionPlatformVersion="7.22.0"')
        .replace(b"<?xml version='1.0' encoding='UTF-8'?>", b'<?xml version="1.0" encoding="utf-8"?>')
        .replace(b"\n  ", b"\n    ")  # another indentation
    )
    assert resaved != PQRSD
    assert _same("pqrsd.bpmn", PQRSD, resaved)


def test_prefixes_attribute_order_and_comments_are_no_change() -> None:
    a = (
        b'<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d" targetNamespace="t">'
        b'<bpmn:process id="p" name="P" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>'
        b"</bpmn:definitions>"
    )
    b = (
        b'<?xml version=\'1.0\'?><!-- exported -->\n<definitions targetNamespace="t" id="d" '
        b'xmlns="http://www.omg.org/spec/BPMN/20100524/MODEL">\n  <process isExecutable="true" name="P" id="p">\n'
        b'    <startEvent id="s" />\n  </process>\n</definitions>\n'
    )
    assert _same("x.bpmn", a, b)


def test_a_changed_model_is_a_new_version() -> None:
    at = PQRSD.index(b'name="', PQRSD.index(b"<bpmn:userTask ")) + len(b'name="')
    renamed = PQRSD[:at] + b"Otra " + PQRSD[at:]
    assert renamed != PQRSD
    assert not _same("pqrsd.bpmn", PQRSD, renamed)
    assert not _same(
        "pqrsd.bpmn", PQRSD, PQRSD.replace(b"camunda:candidateGroups=", b"camunda:candidateUsers=", 1)
    )


def test_moving_a_shape_is_a_new_version_renumbering_its_di_id_is_not() -> None:
    start = PQRSD.index(b'<dc:Bounds x="') + len(b'<dc:Bounds x="')
    end = PQRSD.index(b'"', start)
    moved = PQRSD[:start] + str(int(float(PQRSD[start:end])) + 10).encode() + PQRSD[end:]
    assert not _same("pqrsd.bpmn", PQRSD, moved)
    as_float = PQRSD[:start] + PQRSD[start:end] + b".0" + PQRSD[end:]
    assert _same("pqrsd.bpmn", PQRSD, as_float)
    shape_id = PQRSD.index(b'<bpmndi:BPMNShape id="') + len(b'<bpmndi:BPMNShape id="')
    assert _same("pqrsd.bpmn", PQRSD, PQRSD[:shape_id] + b"Shape_renamed_" + PQRSD[shape_id:])


def test_a_dmn_is_compared_by_content_too() -> None:
    assert _same("t.dmn", DMN, DMN.replace(b"\n", b"\r\n"))
    assert not _same("t.dmn", DMN, DMN.replace(b"<text>", b"<text> ", 1))


def test_a_form_ignores_its_exporter_and_key_order() -> None:
    schema = json.loads(FORM)
    resaved = {**schema, "exporter": {"name": "Camunda Modeler", "version": "5.99.0"}, "schemaVersion": 99}
    reordered = json.dumps(dict(reversed(list(resaved.items()))), indent=4).encode()
    assert _same("f.form", FORM, reordered)
    changed = json.loads(FORM)
    changed["components"] = changed["components"][1:]
    assert not _same("f.form", FORM, json.dumps(changed).encode())


def test_what_is_no_model_is_compared_by_its_bytes() -> None:
    assert _same("x.bpmn", b"<not xml", b"<not xml")
    assert not _same("x.bpmn", b"<not xml", b"<not  xml")
