"""What a process element says about starting it by hand: its start form and who may start it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.modeling.parser import CAMUNDA_NS, NS, form_ref_of, read_form_data
from engine.modeling.xml import parse_xml

_CAMUNDA = f"{{{CAMUNDA_NS}}}"


@dataclass(frozen=True)
class StartInfo:
    form_data: tuple[Mapping[str, Any], ...]
    form_ref: str | None
    starter_users: frozenset[str]
    starter_groups: frozenset[str]


NO_START_INFO = StartInfo((), None, frozenset(), frozenset())


def read_start_info(source: str | None, process_key: str) -> StartInfo:
    if source is None:
        return NO_START_INFO
    root = parse_xml(source.encode("utf-8"))
    process = next(iter(root.xpath("//bpmn:process[@id=$key]", key=process_key, namespaces=NS)), None)
    if process is None:
        return NO_START_INFO
    # the plain start event (no message, timer or signal trigger) is the one a person uses
    plain = [
        e
        for e in process.xpath("./bpmn:startEvent", namespaces=NS)
        if not e.xpath("./*[contains(local-name(), 'EventDefinition')]")
    ]
    start = plain[0] if plain else None
    return StartInfo(
        tuple(read_form_data(start)) if start is not None else (),
        form_ref_of(start) if start is not None else None,
        _names(process.get(f"{_CAMUNDA}candidateStarterUsers")),
        _names(process.get(f"{_CAMUNDA}candidateStarterGroups")),
    )


def _names(text: str | None) -> frozenset[str]:
    return frozenset(n.strip() for n in (text or "").split(",") if n.strip())
