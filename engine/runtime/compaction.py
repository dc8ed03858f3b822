"""Keep an instance's SpiffWorkflow task tree small, so the 50th loop iteration costs what the 1st does.

SpiffWorkflow keeps every finished task forever, so a loop's state (and every request's
deserialize/serialize) grows linearly. History lives in our audit table instead; here we drop the
finished chain above the lowest common ancestor of everything still alive (unfinished tasks plus
the last completed one), and completed subprocesses hanging from dropped tasks. Everything below
that ancestor — parallel branches waiting for a join, multi-instance children, boundary events —
is kept untouched, because SpiffWorkflow's joins look at it.
"""

from __future__ import annotations

from typing import Any
from uuid import UUID

from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.util.task import TaskState

FINISHED = TaskState.COMPLETED | TaskState.CANCELLED


def find_task(workflow: Any, spiff_id: str) -> Any:
    """The task with this id, or None: compaction (or a finished instance's saved state) may no longer
    hold a task a concurrent request read as open before it waited on the instance's lock."""
    try:
        return workflow.get_task_from_id(UUID(spiff_id))
    except TaskNotFoundException:
        return None


def compact(workflow: Any) -> int:
    """Drop dead history from the top workflow and every subprocess; return how many tasks went."""
    dropped = _compact_tree(workflow)
    for subprocess in list(workflow.subprocesses.values()):
        dropped += _compact_tree(subprocess)
    _drop_orphan_subprocesses(workflow)
    return dropped


def _compact_tree(wf: Any) -> int:
    tasks: dict[UUID, Any] = wf.tasks
    root = wf.task_tree
    alive = [t for t in tasks.values() if not (t.state & FINISHED)]
    if wf.last_task is not None and wf.last_task.id in tasks:
        alive.append(wf.last_task)
    if not alive:
        return 0
    anchor = _lowest_common_ancestor(alive, tasks)
    if anchor is None or anchor is root:
        return 0
    keep_from = anchor.parent if anchor.parent is not None else anchor
    if keep_from is root or keep_from.parent is root:
        return 0
    kept = _subtree_ids(keep_from, tasks)
    kept.add(root.id)
    doomed = [task_id for task_id in tasks if task_id not in kept]
    for task_id in doomed:
        del tasks[task_id]
    root._children = [keep_from.id]
    keep_from._parent = root.id
    return len(doomed)


def _lowest_common_ancestor(nodes: list[Any], tasks: dict[UUID, Any]) -> Any:
    def path(task: Any) -> list[UUID]:
        ids = []
        while task is not None:
            ids.append(task.id)
            task = tasks.get(task._parent) if task._parent is not None else None
        return ids[::-1]

    paths = [path(n) for n in nodes]
    common: UUID | None = None
    for level in zip(*paths, strict=False):
        if all(x == level[0] for x in level):
            common = level[0]
        else:
            break
    return tasks.get(common) if common is not None else None


def _subtree_ids(top: Any, tasks: dict[UUID, Any]) -> set[UUID]:
    ids: set[UUID] = set()
    stack = [top.id]
    while stack:
        task_id = stack.pop()
        if task_id in ids or task_id not in tasks:
            continue
        ids.add(task_id)
        stack.extend(tasks[task_id]._children)
    return ids


def _drop_orphan_subprocesses(workflow: Any) -> None:
    def owner_exists(sp: Any) -> bool:
        trees = [workflow, *workflow.subprocesses.values()]
        return any(sp.parent_task_id in tree.tasks for tree in trees)

    changed = True
    while changed:
        changed = False
        for task_id, sp in list(workflow.subprocesses.items()):
            if not owner_exists(sp):
                del workflow.subprocesses[task_id]
                changed = True
