"""Shared pieces of the process data: the dependencias (lanes) and short constructors."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from layout_bpmn import Field, Flow, Lane, Node

# Dependencias (camunda:candidateGroups): the groups users belong to in `phva users add --groups`.
DEPENDENCIAS = {
    "secretaria_general": "Secretaría General (líder del proceso)",
    "planeacion": "Oficina Asesora de Planeación",
    "atencion_ciudadano": "Unidad de Atención al Ciudadano",
    "dependencias": "Dependencias y procesos misionales",
    "comunicaciones": "Comunicaciones",
    "talento_humano": "Talento Humano",
    "juridica": "Oficina Jurídica",
    "control_interno": "Oficina de Control Interno",
    "alta_direccion": "Comité Institucional de Gestión y Desempeño",
    "supervision": "Supervisión de PQRSD",
}
DEPENDENCIA_OPTIONS = tuple((key, name) for key, name in DEPENDENCIAS.items() if key != "supervision")


def lane(group: str, name: str | None = None) -> Lane:
    return Lane(f"Lane_{group}", name or DEPENDENCIAS[group], group)


def activity(
    node_id: str,
    name: str,
    owner: str,
    text: str,
    guidance: str,
    fields: list[Field],
    *,
    form: str,
    phva: str,
    proveedor: str,
    entradas: str,
    salidas: str,
    cliente: str,
    indicador: str | None = None,
    riesgo: str | None = None,
    **extra: Any,
) -> Node:
    """A user task for one activity of the process: `text` is the activity as the entity publishes it."""
    props = {
        "phva": phva,
        "proveedor": proveedor,
        "entradas": entradas,
        "salidas": salidas,
        "cliente": cliente,
    }
    if indicador:
        props["indicador"] = indicador
    if riesgo:
        props["riesgo"] = riesgo
    doc = f"{text}.\n\n{guidance}".strip()
    lane_id = extra.pop("lane", f"Lane_{owner}")
    if lane_id is None:  # inside a subprocess (no lanes): the dependencia still names the candidates
        extra.setdefault("group", owner)
    return Node(node_id, "user", name, lane=lane_id, doc=doc, props=props, fields=fields, form=form, **extra)


def start(node_id: str, name: str, group: str, **extra: Any) -> Node:
    extra.setdefault("lane", f"Lane_{group}")
    return Node(node_id, "start", name, **extra)


def end(node_id: str, name: str, group: str, **extra: Any) -> Node:
    extra.setdefault("lane", f"Lane_{group}")
    return Node(node_id, "end", name, **extra)


def xor(node_id: str, name: str, group: str, **extra: Any) -> Node:
    extra.setdefault("lane", f"Lane_{group}")
    return Node(node_id, "xor", name, **extra)


def chain(*ids: str) -> list[Flow]:
    return [Flow(a, b) for a, b in pairwise(ids)]


def text(key: str, label: str, required: bool = True, **kw: Any) -> Field:
    return Field(key, label, "textfield", required, max_length=kw.pop("max_length", 300), **kw)


def area(key: str, label: str, required: bool = True, **kw: Any) -> Field:
    return Field(key, label, "textarea", required, max_length=kw.pop("max_length", 4000), **kw)


def number(key: str, label: str, required: bool = True, **kw: Any) -> Field:
    return Field(key, label, "number", required, **kw)


def percent(key: str, label: str, required: bool = True, **kw: Any) -> Field:
    return Field(key, label, "number", required, min=0, max=100, **kw)


def day(key: str, label: str, required: bool = True, **kw: Any) -> Field:
    return Field(key, label, "datetime", required, **kw)


def check(key: str, label: str, **kw: Any) -> Field:
    # form-js reads `required` on a checkbox as "must be checked": decisions are never required.
    return Field(key, label, "checkbox", False, default=kw.pop("default", False), **kw)


def choice(
    key: str,
    label: str,
    options: tuple[tuple[str, str], ...],
    required: bool = True,
    kind: str = "select",
    **kw: Any,
) -> Field:
    return Field(key, label, kind, required, options=options, **kw)
