"""A correlated message's variables become process variables, as Camunda 7's
`correlateMessage(name, businessKey, variables)` sets them.

SpiffWorkflow's Camunda message event puts the whole payload under one variable, `<event id>_Response`
(its own convention, unknown to Camunda): a model written for Camunda that reads `${messageVariable}`
after the catch found nothing. Here the catching event sets each variable of the payload in the data
that flows on from it (a catch event, a receive task, a boundary event, an event-based gateway's branch,
an event subprocess's start), so the following elements, gateways and output mappings see them by name.

A message throw event (intermediate or end) without an implementation does nothing and the flow goes on,
as in Camunda 7 (MessageIntermediateThrowEventTest.testSingleIntermediateThrowMessageEvent): SpiffWorkflow
evaluated its missing payload expression and stopped on a Python `TypeError`. Camunda runs a Java
delegate there; engine.modeling.event_checks refuses those at deploy.

A payload that is not a mapping, or a throw that names its own `camunda:resultVariable` (SpiffWorkflow's
extension for messages thrown inside a diagram), keeps SpiffWorkflow's single variable.
"""

from __future__ import annotations

import copy
from typing import Any

from SpiffWorkflow.camunda.specs.event_definitions import MessageEventDefinition

_VARIABLES = "phva_variables"  # marks, in the caught event's internal data, a payload of process variables


def _update_internal_data(self: Any, my_task: Any, event: Any) -> None:
    caught = dict(event.payload or {}) if isinstance(event.payload, dict) else {"payload": event.payload}
    if caught.get("result_var") is None:
        if isinstance(caught.get("payload"), dict):
            caught[_VARIABLES] = True
        else:
            caught["result_var"] = f"{my_task.task_spec.name}_Response"
    my_task.internal_data[self.name] = caught


def _update_task_data(self: Any, my_task: Any) -> None:
    caught = my_task.internal_data.get(self.name)
    if not caught:
        return
    if caught.get(_VARIABLES):
        my_task.set_data(**copy.deepcopy(caught["payload"]))
    else:
        my_task.data[caught["result_var"]] = caught["payload"]


_spiff_throw = MessageEventDefinition.throw


def _throw(self: Any, my_task: Any) -> None:
    if self.expression is None:
        return  # Camunda: a message throw event without an implementation is a no-op
    _spiff_throw(self, my_task)


def install() -> None:
    """Replace the Camunda message event's payload handling (idempotent; done on import of engine.runtime)."""
    MessageEventDefinition.update_internal_data = _update_internal_data
    MessageEventDefinition.update_task_data = _update_task_data
    MessageEventDefinition.throw = _throw
