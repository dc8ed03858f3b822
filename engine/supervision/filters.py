"""The dashboard's criteria, read from query-string text: the page, its lists, the CSV and the API share them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from engine.errors import BadInput
from engine.limits import MAX_PAGE
from engine.supervision.semaforo_sql import LABELS, STATES

KINDS = {"casos": "PQRSD abiertas", "tareas": "Tareas abiertas"}
NONE = "-"  # the value that stands for "no dependencia / nobody / no case" in a filter
PER_PAGE = 25
MAX_PER_PAGE = 200
FILTERS = ("semaforo", "dependencia", "funcionario", "tipo", "canal", "proceso", "q")


@dataclass(frozen=True)
class SupervisionQuery:
    ver: str = "casos"  # casos | tareas
    semaforo: str | None = None
    dependencia: str | None = None  # NONE: without one
    funcionario: str | None = None  # the assignee; NONE: unassigned
    tipo: str | None = None  # the PQRSD type (term key)
    canal: str | None = None
    proceso: str | None = None  # process key (tasks)
    q: str | None = None  # radicado, asunto or the task's name
    page: int = 1
    per_page: int = PER_PAGE
    cursor: str | None = None  # after this row (`desde` on the page, `cursor` in the API); the page then is 0

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    def args(self, **changes: Any) -> dict[str, str]:
        """The query string of these criteria (for links), with `changes`; empty values left out."""
        values: dict[str, Any] = {"ver": self.ver, **{f: getattr(self, f) for f in FILTERS}}
        if self.per_page != PER_PAGE:
            values["limit"] = self.per_page
        values.update(changes)
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def parse_filters(args: Mapping[str, str]) -> SupervisionQuery:
    """Bad values are refused with the field named, never ignored."""
    ver = _text(args, "ver") or "casos"
    if ver not in KINDS:
        raise BadInput("'ver' debe ser «casos» o «tareas».", {"ver": "Valor no válido."})
    semaforo = _text(args, "semaforo")
    if semaforo is not None and semaforo not in STATES:
        allowed = ", ".join(f"{s} ({LABELS[s].lower()})" for s in STATES)
        raise BadInput(f"Semáforo desconocido «{semaforo}»: use {allowed}.", {"semaforo": "Valor no válido."})
    return SupervisionQuery(
        ver=ver,
        semaforo=semaforo,
        dependencia=_text(args, "dependencia"),
        funcionario=_text(args, "funcionario"),
        tipo=_text(args, "tipo"),
        canal=_text(args, "canal"),
        proceso=_text(args, "proceso"),
        q=_text(args, "q"),
        page=_number(args, "pagina", 1, MAX_PAGE),
        per_page=_number(args, "limit", PER_PAGE, MAX_PER_PAGE),
        cursor=_text(args, "cursor") or _text(args, "desde"),
    )


def _text(args: Mapping[str, str], name: str) -> str | None:
    value = (args.get(name) or "").strip()
    if len(value) > 200:
        raise BadInput(f"'{name}' admite hasta 200 caracteres.", {name: "Demasiado largo."})
    return value or None


def _number(args: Mapping[str, str], name: str, default: int, top: int) -> int:
    raw = (args.get(name) or "").strip()
    if not raw:
        return default
    if not raw.isdecimal() or not 1 <= int(raw) <= top:
        raise BadInput(f"'{name}' debe ser un número entre 1 y {top}.", {name: "Número no válido."})
    return int(raw)
