"""Moving a running workflow onto another version of its spec (SpiffWorkflow's spec diff), planned before applied.

Tasks are aligned by BPMN id (then by structure, as SpiffWorkflow aligns them), with the analyst's explicit
old → new mapping on top. A task that is waiting for someone or something — a ready user task, a timer, a
message — must land on an element of the new version, and a multi-instance that runs may not change; such an
instance is refused with the reason. Ready tasks keep their identity (who claimed them, their rows); a
waiting event whose definition changed is re-armed on the new one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow import TaskState
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff

from engine.clock import Clock
from engine.modeling.spiff_registry import REGISTRY
from engine.runtime.spiff_patches import using_clock
from engine.runtime.workflow import ProcessRun

ACTIVE = TaskState.READY | TaskState.WAITING | TaskState.STARTED


@dataclass
class MigrationPlan:
    mapped: list[tuple[str, str]] = field(
        default_factory=list
    )  # active element → its element in the new version
    removed: list[str] = field(default_factory=list)  # elements of the instance the new version no longer has
    rearmed: list[str] = field(default_factory=list)  # waiting events whose definition changed
    refusals: list[str] = field(default_factory=list)  # why the instance cannot move (empty: it can)
    _diffs: list[tuple[Any, WorkflowDiff, Any, set[Any]]] = field(default_factory=list, repr=False)

    @property
    def safe(self) -> bool:
        return not self.refusals


def plan_migration(
    run: ProcessRun, new_spec: Any, new_subprocess_specs: Mapping[str, Any], mapping: Mapping[str, str]
) -> MigrationPlan:
    plan = MigrationPlan()
    workflow = run.workflow
    trees: list[tuple[Any, Any]] = [(workflow, new_spec)]
    for sub in workflow.subprocesses.values():
        name = sub.spec.name
        target = new_spec if name == workflow.spec.name else new_subprocess_specs.get(name)
        if target is None:
            if sub.get_tasks(state=ACTIVE):
                plan.refusals.append(
                    f"el subproceso «{name}» tiene tareas abiertas y ya no existe en la versión nueva"
                )
            continue
        trees.append((sub, target))
    for tree, target in trees:
        spec_diff = SpecDiff(REGISTRY, tree.spec, target)
        _apply_mapping(spec_diff, tree.spec, target, mapping, plan)
        diff = WorkflowDiff(tree, spec_diff)
        changed = set(spec_diff.changed)
        _check_active(tree, spec_diff, changed, plan)
        plan._diffs.append((tree, diff, target, changed))
    return plan


def apply_migration(
    run: ProcessRun, plan: MigrationPlan, new_spec: Any, new_subprocess_specs: Mapping[str, Any], clock: Clock
) -> None:
    """Swap every aligned task onto the new specs; re-arm the waiting events whose definition changed (at
    `clock`'s time, as the scheduler would)."""
    assert plan.safe, plan.refusals
    with using_clock(clock):
        _apply(run, plan, new_subprocess_specs)


def _apply(run: ProcessRun, plan: MigrationPlan, new_subprocess_specs: Mapping[str, Any]) -> None:
    workflow = run.workflow
    workflow.subprocess_specs = dict(new_subprocess_specs)
    for tree, diff, target, changed in plan._diffs:
        tree.spec = target
        for task in list(tree.tasks.values()):
            aligned = diff.alignment.get(task)
            if aligned is not None:
                task.task_spec = aligned
        for task in [t for t in tree.get_tasks(state=ACTIVE, skip_subprocesses=True) if t.id in tree.tasks]:
            if task.state == TaskState.WAITING and any(task.task_spec.name == c.name for c in changed):
                task.reset_branch(None)
            elif task.id in tree.tasks:  # what it predicted from the old version gives way to the new
                task._drop_children()
                task.task_spec._predict(task, mask=TaskState.PREDICTED_MASK | TaskState.FUTURE | task.state)
        if tree.last_task is not None and tree.last_task.id not in tree.tasks:
            tree.last_task = None


def _apply_mapping(
    spec_diff: SpecDiff, old: Any, new: Any, mapping: Mapping[str, str], plan: MigrationPlan
) -> None:
    expanded = dict(mapping)
    for (
        old_id,
        new_id,
    ) in mapping.items():  # the boundary-event wrappers SpiffWorkflow puts around an activity
        for suffix in (".BoundaryEventSplit", ".BoundaryEventJoin"):
            expanded.setdefault(old_id + suffix, new_id + suffix)
    for old_id, new_id in expanded.items():
        source, target = old.task_specs.get(old_id), new.task_specs.get(new_id)
        if source is None or target is None:
            continue  # the mapping names elements of another (sub)process, or none: checked by the use case
        spec_diff.alignment[source] = target
        if target in spec_diff.added:
            spec_diff.added.remove(target)
        spec_diff.comparisons[source] = spec_diff._compare_task_specs(source, target)


def _check_active(tree: Any, spec_diff: SpecDiff, changed: set[Any], plan: MigrationPlan) -> None:
    removed = {s.name for s in spec_diff.removed if s is not None and s.bpmn_id}
    plan.removed.extend(sorted(removed - set(plan.removed)))

    for task in tree.get_tasks(state=ACTIVE, skip_subprocesses=True):
        spec = task.task_spec
        if not spec.bpmn_id:
            continue
        target = spec_diff.alignment.get(spec)
        if target is None:
            plan.refusals.append(
                f"«{spec.bpmn_name or spec.bpmn_id}» ({spec.bpmn_id}) está activa y la versión nueva no la tiene: "
                "indique a qué elemento pasa (--map)"
            )
            continue
        if spec in changed and (isinstance(spec, LoopTask) or isinstance(target, LoopTask)):
            plan.refusals.append(
                f"«{spec.bpmn_id}» es multiinstancia, está activa y cambió en la versión nueva"
            )
            continue
        if spec in changed and "typename" in spec_diff.comparisons.get(spec, []):
            plan.refusals.append(f"«{spec.bpmn_id}» está activa y cambió de tipo en la versión nueva")
            continue
        if task.state == TaskState.WAITING and spec in changed:
            plan.rearmed.append(spec.bpmn_id)
        pair = (spec.bpmn_id, target.bpmn_id)
        if task.state != TaskState.WAITING and pair not in plan.mapped:
            plan.mapped.append(pair)
    if plan.refusals:
        return
    for task in tree.get_tasks(state=TaskState.FINISHED_MASK, skip_subprocesses=True):
        if spec_diff.alignment.get(task.task_spec) is None and task.children:  # history what runs still needs
            name = task.task_spec.name
            plan.refusals.append(
                f"los eventos de borde de «{name.split('.')[0]}» cambiaron mientras la actividad está activa"
                if ".BoundaryEvent" in name
                else f"el camino recorrido pasa por «{name}», que la versión nueva no tiene"
            )
