"""The access rules in `engine.identity.access` and what lists and use cases do agree, for every role × relation.

The Python form decides for one task in hand; its SQL form filters the task lists. For each role and each
way a user can relate to a task, the task list shows the task exactly when `may_see_task` says so, and
claim, assign, complete and the instance view succeed exactly when their rule says so.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.context import Context
from engine.errors import Conflict, Forbidden
from engine.identity import access, users
from engine.identity.users import UserView
from engine.workflow import diagrams, instances, tasks, views
from tests.helpers import deploy_xml, open_tasks, process_xml

ROLES = ("funcionario", "supervisor", "analista", "admin")
# relation → (user's dependencia, task assignee, candidate users, candidate groups)
RELATIONS: dict[str, tuple[str, str, str, str]] = {
    "assignee": ("otra", "usu", "", "dep"),
    "candidate_user": ("otra", "", "usu", "dep"),
    "group_member": ("dep", "", "", "dep"),
    "group_member_claimed_by_other": ("dep", "otro", "", "dep"),
    "stranger": ("otra", "", "", "dep"),
    "unrouted": ("otra", "", "", ""),
}
# Pinned so the rule itself can't drift unseen: who sees the task, by relation.
SEES = {
    "assignee": set(ROLES),
    "candidate_user": set(ROLES),
    "group_member": set(ROLES),
    "group_member_claimed_by_other": set(ROLES),
    "stranger": {"admin"},
    "unrouted": {"supervisor", "admin"},
}
TASK = """
    <bpmn:startEvent id="Inicio" />
    <bpmn:sequenceFlow id="F1" sourceRef="Inicio" targetRef="Atender" />
    <bpmn:userTask id="Atender" name="Atender" camunda:assignee="${asignado}"
      camunda:candidateUsers="${usuarios}" camunda:candidateGroups="${grupos}" />
    <bpmn:sequenceFlow id="F2" sourceRef="Atender" targetRef="Fin" />
    <bpmn:endEvent id="Fin" />
"""


def _case(ctx: Context, role: str, relation: str) -> tuple[UserView, dict[str, Any]]:
    group, assignee, cand_users, cand_groups = RELATIONS[relation]
    deploy_xml(ctx, "acceso.bpmn", process_xml(TASK, pid="acceso"))
    user = users.add_user(ctx, "usu", roles=role, groups=group)
    users.add_user(ctx, "otro", groups="dep")
    data = {"asignado": assignee, "usuarios": cand_users, "grupos": cand_groups}
    return user, data


def _started(ctx: Context, data: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    instance_id = instances.start_process(ctx, "acceso", data=data, actor="otro").id
    [task] = open_tasks(ctx, instance_id)
    return instance_id, task


def _outcome(action: Any) -> str:
    try:
        action()
    except Forbidden:
        return "forbidden"
    except Conflict:
        return "conflict"
    return "done"


@pytest.mark.parametrize("relation", sorted(RELATIONS))
@pytest.mark.parametrize("role", ROLES)
def test_lists_and_use_cases_follow_the_access_rules(ctx: Context, role: str, relation: str) -> None:
    user, data = _case(ctx, role, relation)
    instance_id, task = _started(ctx, data)
    rule = (user, task["assignee"], task["candidate_users"], task["candidate_groups"])

    sees = access.may_see_task(*rule)
    assert sees == (role in SEES[relation])
    listed, _ = views.tasks(ctx, views.task_filter_for(user, instance_id=instance_id))
    assert (task["id"] in [t["id"] for t in listed]) == sees  # the SQL form agrees with the Python form
    mine, _ = views.tasks(ctx, views.task_filter_for(user, instance_id=instance_id, assignee_me=True))
    open_to_me, _ = views.tasks(ctx, views.task_filter_for(user, instance_id=instance_id, candidate_me=True))
    assert {t["id"] for t in mine + open_to_me} <= {t["id"] for t in listed}

    expected_view = access.may_view_instance(user, "otro", [task])
    assert _outcome(lambda: diagrams.instance_for(ctx, instance_id, user)) == (
        "done" if expected_view else "forbidden"
    )

    claim_expected = (
        "forbidden" if not sees else ("done" if access.may_claim_task(user, task["assignee"]) else "conflict")
    )
    assert _outcome(lambda: tasks.claim_task(ctx, task["id"], user)) == claim_expected

    _, task = _started(ctx, data)
    supervises = access.may_supervise_task(*rule)
    assign_expected = "done" if sees and supervises else "forbidden"
    assert _outcome(lambda: tasks.assign_task(ctx, task["id"], user, "otro")) == assign_expected

    _, task = _started(ctx, data)
    completes = sees and access.may_complete_task(*rule)
    assert _outcome(lambda: tasks.complete_task(ctx, task["id"], user, {})) == (
        "done" if completes else "forbidden"
    )


def test_supervisors_see_the_instances_of_their_dependencias_only(ctx: Context) -> None:
    deploy_xml(ctx, "acceso.bpmn", process_xml(TASK, pid="acceso"))
    sara = users.add_user(ctx, "sara", roles="supervisor", groups="dep")
    sol = users.add_user(ctx, "sol", roles="supervisor", groups="otra")
    instance_id, _ = _started(ctx, {"asignado": "", "usuarios": "", "grupos": "dep"})
    assert diagrams.instance_for(ctx, instance_id, sara)["id"] == instance_id
    with pytest.raises(Forbidden):
        diagrams.instance_for(ctx, instance_id, sol)
