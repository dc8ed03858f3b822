"""Event subprocesses started by a message or a signal, over SpiffWorkflow's.

SpiffWorkflow starts a process's event subprocess when its event is caught, but nothing listed it as
waiting, so no message or signal could be delivered to it (MessageEventSubprocessTest): `triggers` gives
those start events for the message and signal subscriptions. Only the non-interrupting ones at the
process level are accepted at deploy (engine.modeling.events_check): SpiffWorkflow does not cancel the
rest of the scope for an interrupting one, nor look for event subprocesses inside a subprocess.
"""

from __future__ import annotations

from typing import Any


def triggers(workflow: Any) -> list[tuple[str, Any]]:
    """(start event id, event definition) of the process's event subprocesses started by an event."""
    if workflow.completed:
        return []
    found = []
    for name in workflow.spec.start.trigger_specs:
        spec = workflow.subprocess_specs.get(name)
        for start in spec.bpmn_start_events if spec is not None else []:
            found.append((start.bpmn_id or start.name, start.event_definition))
    return found
