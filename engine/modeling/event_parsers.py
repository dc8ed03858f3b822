"""Start and end events of the kinds Camunda 7 runs and SpiffWorkflow's parsers skip.

SpiffWorkflow's end-event parser ignores a signal definition (the end event threw nothing), and its
start-event parser ignores error and escalation definitions (an error event subprocess became a plain
start). Both read every definition here; `engine.modeling.events_check` says where each may stand.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.parser.event_parsers import (
    CANCEL_EVENT_XPATH,
    CONDITIONAL_EVENT_XPATH,
    ERROR_EVENT_XPATH,
    ESCALATION_EVENT_XPATH,
    MESSAGE_EVENT_XPATH,
    SIGNAL_EVENT_XPATH,
    TERMINATION_EVENT_XPATH,
    TIMER_EVENT_XPATH,
)
from SpiffWorkflow.bpmn.specs.control import BpmnStartTask
from SpiffWorkflow.camunda.parser.event_parsers import CamundaEndEventParser, CamundaStartEventParser
from SpiffWorkflow.util.task import TaskState

NON_INTERRUPTING = "Non-Interrupting"  # SpiffWorkflow's own marker on boundary events' descriptions
START_KINDS = [MESSAGE_EVENT_XPATH, SIGNAL_EVENT_XPATH, TIMER_EVENT_XPATH, CONDITIONAL_EVENT_XPATH,
               ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH]  # fmt: skip
END_KINDS = [MESSAGE_EVENT_XPATH, CANCEL_EVENT_XPATH, ERROR_EVENT_XPATH, ESCALATION_EVENT_XPATH,
             TERMINATION_EVENT_XPATH, SIGNAL_EVENT_XPATH]  # fmt: skip


class StartEventParser(CamundaStartEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        task = self._create_task(self.get_event_definition(START_KINDS))
        if self.node.get("isInterrupting") == "false":  # read by engine.runtime.event_subprocesses
            task.description = f"{NON_INTERRUPTING} {task.description or ''}".strip()
        self.spec.start.connect(task)
        return task


class EndEventParser(CamundaEndEventParser):  # type: ignore[misc]
    def create_task(self) -> Any:
        task = self._create_task(self.get_event_definition(END_KINDS))
        task.connect(self.spec.end)
        return task


# An event subprocess started by an event is joined to its process's end when the model is parsed, so the
# stored spec has it. SpiffWorkflow joined it when first triggered, on the shared in-memory spec, and
# made it a branch of the process's start too: later instances of the same version ran it at once.
_stock_connect_or_add_trigger = BpmnStartTask.connect_or_add_trigger


def _connect_or_add_trigger(self: Any, task_spec: Any, sp_spec: Any) -> None:
    _stock_connect_or_add_trigger(self, task_spec, sp_spec)
    if sp_spec.name in self.trigger_specs:
        _join(self, task_spec)


def _join(start: Any, task_spec: Any) -> None:
    if start.name not in task_spec._inputs:
        task_spec._inputs.append(start.name)  # an input, not an output: instances do not run it at start
    if start._wf_spec.end not in task_spec.outputs:
        task_spec.connect(start._wf_spec.end)


def _trigger_wf(self: Any, my_task: Any, spec_name: str) -> Any:
    spec = self._wf_spec.task_specs.get(spec_name)
    _join(self, spec)  # a spec stored before this was
    child = my_task._add_child(spec, TaskState.FUTURE)
    child.triggered = True
    child.task_spec._predict(child, mask=TaskState.NOT_FINISHED_MASK)  # its way to the end, to follow later
    child.task_spec._update(child)
    return child.id


BpmnStartTask.connect_or_add_trigger = _connect_or_add_trigger
BpmnStartTask.trigger_wf = _trigger_wf
