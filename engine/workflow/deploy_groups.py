"""The dependencias a deployment's models name in `camunda:candidateGroups`: warned about, or created by init.

Only literal names count: `${dependencia}` is chosen while the process runs, so it names nothing yet.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.identity import dependencias
from engine.modeling.definitions import ProcessBlueprint
from engine.modeling.report import ValidationReport
from engine.store import dependencias as dependencia_store


@dataclass(frozen=True)
class GroupUse:
    file: str
    element_id: str
    element_name: str | None
    lane: str | None
    group: str


def group_uses(processes: Iterable[ProcessBlueprint]) -> list[GroupUse]:
    """Every literal group a user task offers itself to, once per element."""
    seen: dict[tuple[str, str], GroupUse] = {}
    for process in processes:
        spec = json.loads(process.spec_json)
        for task_specs in _task_spec_maps(spec):
            for task_spec in task_specs.values():
                raw = (task_spec.get("extensions") or {}).get("candidateGroups")
                if not isinstance(raw, str) or "${" in raw or "#{" in raw:
                    continue
                element = task_spec.get("bpmn_id") or task_spec.get("name") or "?"
                for group in (g.strip() for g in raw.split(",")):
                    if group:
                        use = GroupUse(
                            process.file, element, task_spec.get("bpmn_name"), task_spec.get("lane"), group
                        )
                        seen.setdefault((element, group), use)
    return list(seen.values())


def _task_spec_maps(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield spec["spec"].get("task_specs", {})
    for sub in spec.get("subprocess_specs", {}).values():
        yield sub.get("task_specs", {})


def check_groups(
    ctx: Context,
    session: Session,
    processes: Iterable[ProcessBlueprint],
    report: ValidationReport,
    *,
    create: bool,
    actor: str | None,
) -> list[str]:
    """Warn (never refuse) about groups that are no active dependencia, or with `create` create the missing
    ones, named after their lane. Nothing is checked while the entity has no dependencias at all."""
    uses = group_uses(processes)
    if not uses or (not create and not dependencia_store.all_dependencias(session)):
        return []
    unknown = dependencias.unknown_dependencias(session, {u.group for u in uses})
    if create:
        missing = [g for g, why in unknown.items() if why == "no existe"]
        names = {g: _lane_name(uses, g) or dependencias.default_name(g) for g in missing}
        created = dependencias.create_in(session, ctx, names, actor=actor)
        unknown = {g: why for g, why in unknown.items() if g not in created}
    else:
        created = []
    for use in uses:
        why = unknown.get(use.group)
        if why is not None:
            hint = dependencias.suggestion(session, use.group) if why == "no existe" else ""
            what = f"«{use.element_name}»" if use.element_name else "La tarea"
            report.add(
                use.file,
                use.element_id,
                f"{what} se ofrece a la dependencia «{use.group}» (candidateGroups), que {why}{hint}: nadie la "
                f"verá en su bandeja. {'Créela' if why == 'no existe' else 'Reactívela'} con phva dependencias "
                "o en Administración → Dependencias.",
                "warning",
            )
    return created


def _lane_name(uses: list[GroupUse], group: str) -> str | None:
    lanes = Counter(u.lane for u in uses if u.group == group and u.lane)
    return lanes.most_common(1)[0][0] if lanes else None
