"""A deployment's DMN decisions stored as versions per key (a new version only when the decision, or one
it requires, changed), so later deployments and running instances can bind to them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from engine.modeling.definitions import DecisionBlueprint
from engine.store import bindings as store


class _Outcome(Protocol):
    new_versions: list[dict[str, Any]]
    unchanged: list[dict[str, Any]]


def store_decisions(
    session: Session,
    outcome: _Outcome,
    deployment_id: int,
    decisions: Sequence[DecisionBlueprint],
    now: datetime,
) -> None:
    for decision in decisions:
        entry = {"kind": "decision", "key": decision.key, "file": decision.file}
        latest = store.latest_decision_version(session, decision.key)
        if latest is not None and latest[1] == decision.content_hash:
            outcome.unchanged.append({**entry, "version": latest[0]})
            continue
        version = (latest[0] if latest else 0) + 1
        outcome.new_versions.append({**entry, "version": version})
        store.insert_decision(
            session,
            deployment_id,
            key=decision.key,
            version=version,
            name=decision.name,
            file=decision.file,
            version_tag=decision.version_tag,
            content_hash=decision.content_hash,
            models=decision.models,
            now=now,
        )
