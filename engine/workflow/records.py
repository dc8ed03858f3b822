"""The shapes the workflow's read models hand to the CLI, the web and the API (JSON-ready: times as ISO text)."""

from __future__ import annotations

from typing import Any, TypedDict


class TaskRecord(TypedDict):
    id: int
    instance_id: int
    process_key: str
    name: str
    state: str  # ready | completed | cancelled
    assignee: str | None
    candidate_groups: list[str]
    candidate_users: list[str]
    due_at: str | None
    priority: int
    form: str | None
    bpmn_id: str
    lane: str | None
    created_at: str | None
    follow_up_at: str | None
    claimed_at: str | None
    completed_at: str | None
    completed_by: str | None
    radicado: str | None  # the PQRSD case the task works on, if any
    term_start: str | None  # the case's radicación date: its legal term counts from there
    term_due_at: str | None  # the case's effective due date (None while suspended)
    amarillo_at: str | None
    alerta_at: str | None


class InboxTask(TaskRecord):
    semaforo: str | None  # verde | amarillo | rojo, None without a due date
    term_used: float | None  # share of the term already used
    alerta: bool  # the case's 2/3 alert is due


class InstanceRecord(TypedDict):
    id: int
    process_key: str
    version: int
    status: str  # running | incident | completed
    business_key: str | None
    started_at: str | None
    started_by: str | None
    updated_at: str | None
    ended_at: str | None


class TimerRecord(TypedDict):
    id: int
    instance_id: int | None  # None: a timer start event, waiting to start an instance
    activity: str
    name: str | None
    kind: str
    timer_type: str
    interrupting: bool
    due_at: str | None
    status: str


class IncidentRecord(TypedDict):
    id: int
    instance_id: int | None
    activity: str | None
    kind: str
    message: str
    created_at: str | None
    resolved_at: str | None


class AuditRecord(TypedDict):
    at: str | None
    actor: str | None
    action: str
    summary: str
    task_id: int | None
    data_before: dict[str, Any] | None
    data_after: dict[str, Any] | None


class InstanceDetail(InstanceRecord):
    completed_activities: list[str]
    tasks: list[TaskRecord]
    timers: list[TimerRecord]
    incidents: list[IncidentRecord]
    history: list[AuditRecord]


class InstancePage(InstanceDetail):
    data: dict[str, Any]
    process_name: str | None


class DefinitionRecord(TypedDict):
    id: int
    key: str
    version: int
    name: str
    file: str
    deployed_at: str | None


class TaskPage(TypedDict):
    task: TaskRecord
    can: dict[str, bool]  # claim, unclaim, assign, complete, draft
    documentation: str | None
    form: dict[str, Any] | None  # the form schema, as FormSchema.to_dict()
    values: dict[str, Any]  # the form's values: defaults over the task's data
    options: dict[str, list[dict[str, Any]]]  # choices read from the task's data, per field
    data: dict[str, Any]
    draft: dict[str, Any] | None
    draft_saved_at: str | None
    process_name: str
