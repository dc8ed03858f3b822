"""The power an open escalation task gives its holder over the tasks it is about (same instance).

Which tasks an escalation task is about comes from the model (`engine.modeling.escalation`), read once per
deployed version: versions never change, so the memo is keyed by the version's content hash.
"""

from __future__ import annotations

import threading

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.identity import access
from engine.identity.users import UserView
from engine.modeling.escalation import escalations
from engine.store import definitions as definition_store
from engine.store.tables import ProcessDefinition, ProcessInstance, Task

_memo: dict[tuple[str, str], dict[str, frozenset[str]]] = {}
_lock = threading.Lock()


def escalates(session: Session, user: UserView, instance_id: int, bpmn_id: str) -> bool:
    """Whether the user holds an open escalation task of the instance that is about `bpmn_id`."""
    held = session.execute(
        select(Task.bpmn_id, ProcessDefinition.id, ProcessDefinition.key, ProcessDefinition.content_hash)
        .join(ProcessInstance, ProcessInstance.id == Task.instance_id)
        .join(ProcessDefinition, ProcessDefinition.id == ProcessInstance.definition_id)
        .where(
            Task.instance_id == instance_id,
            Task.state == "ready",
            Task.bpmn_id != bpmn_id,
            access.held_tasks_sql(user.username, user.groups),
        )
    ).all()
    if not held:
        return False
    _, definition_id, key, content_hash = held[0]
    about = _escalations(session, definition_id, key, content_hash)
    return any(bpmn_id in about.get(row.bpmn_id, ()) for row in held)


def _escalations(
    session: Session, definition_id: int, key: str, content_hash: str
) -> dict[str, frozenset[str]]:
    found = _memo.get((key, content_hash))
    if found is None:
        xml = definition_store.definition_xml(session, definition_id)
        found = escalations(xml.encode(), key) if xml else {}
        with _lock:
            _memo[(key, content_hash)] = found
    return found
