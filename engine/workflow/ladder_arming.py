"""Escalation ladders armed in the save that creates a task: which ladder each user task of a version has,
and one multi-row insert of its steps (status pending: the scheduler computes their moments later, so a
user's request does no calendar work). Steps of tasks that ended are cancelled in the same save.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.modeling.ladder import Ladder, LadderError, ladder_source, parse_ladder
from engine.modeling.ladder import task_ladder_sources as _task_sources
from engine.runtime.workflow import HumanTask
from engine.store import definitions
from engine.store import ladders as store
from engine.store.instances import InstanceRef

log = logging.getLogger(__name__)


# ---- what a definition declares ----------------------------------------------------------------
@dataclass(frozen=True)
class LadderPlan:
    tasks: Mapping[str, Ladder]  # user task id → its own ladder
    process: Ladder | None  # the process's, for its user tasks that declare none

    @property
    def active(self) -> bool:
        return bool(self.tasks) or self.process is not None

    def for_task(self, bpmn_id: str) -> Ladder | None:
        return self.tasks.get(bpmn_id) or self.process


# Keyed by the parsed spec object the context caches per version: a plan lives as long as its spec.
_plans: weakref.WeakKeyDictionary[Any, LadderPlan] = weakref.WeakKeyDictionary()
_plans_lock = threading.Lock()


def plan_of(ctx: Context, session: Session, definition_id: int) -> LadderPlan:
    spec, subs = ctx.specs(definition_id, lambda: definitions.spec_json(session, definition_id))
    with _plans_lock:
        plan = _plans.get(spec)
    if plan is None:
        process = ladder_source(store.process_properties(session, definition_id))
        tasks = {
            bpmn_id: _parsed(text, bpmn_id) for bpmn_id, text in _task_sources([spec, *subs.values()]).items()
        }
        plan = LadderPlan(
            {k: v for k, v in tasks.items() if v is not None},
            _parsed(process, "proceso") if process is not None else None,
        )
        with _plans_lock:
            _plans[spec] = plan
    return plan


def _parsed(text: str, where: str) -> Ladder | None:
    try:
        return parse_ladder(text)
    except LadderError as error:  # deployed before ladders were checked: ignored, never breaks a save
        log.warning("Escalamiento no válido en %s, se ignora: %s", where, error)
        return None


# ---- arming (in the save that changes the tasks) -----------------------------------------------
def arm(
    ctx: Context,
    session: Session,
    ref: InstanceRef,
    humans: Sequence[HumanTask],
    task_values: Sequence[Mapping[str, Any]],
    now: datetime,
) -> None:
    """Cancel the steps of tasks that ended, and arm the ladders of the tasks this save created."""
    plan = plan_of(ctx, session, ref.definition_id)
    if not plan.active:
        return
    store.cancel_ended(session, ref.id, now)
    rows: list[dict[str, Any]] = []
    for human, values in zip(humans, task_values, strict=True):
        ladder = plan.for_task(human.bpmn_id) if "id" in values else None  # "id": inserted by this save
        if ladder is None:
            continue
        rows += [
            {
                "task_id": values["id"],
                "instance_id": ref.id,
                "position": position,
                "when_text": step.when.text,
                "action": step.action,
                "argument": step.argument,
                "status": "pending",
                "created_at": now,
                "attempts": 0,
            }
            for position, step in enumerate(ladder.steps, start=1)
        ]
    if rows:
        store.insert_steps(session, rows)


def reschedule(session: Session, instance_id: int) -> None:
    """The instance's task due dates moved (calendar recalculation): its steps get new moments."""
    store.reschedule_instance(session, instance_id)
