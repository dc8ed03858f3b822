"""Decisions and called processes found in the database when a running instance reaches them
(engine/runtime/bindings.py's `Definitions`, over this use case's session)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy.orm import Session

from engine.context import Context
from engine.runtime.bindings import Binding, CalledProcess
from engine.store import bindings as store
from engine.store import definitions


class StoredDefinitions:
    def __init__(self, ctx: Context, session: Session) -> None:
        self.ctx = ctx
        self.session = session

    def decision(self, binding: Binding) -> Mapping[str, Mapping[str, Any]] | None:
        return store.find_decision(
            self.session, binding.key, binding.binding, binding.version, binding.version_tag
        )

    def process(self, binding: Binding) -> CalledProcess | None:
        if binding.binding == "versionTag":
            return None  # refused at deploy: process versions carry no tag here
        found = store.find_process(self.session, binding.key, binding.binding, binding.version)
        if found is None:
            return None
        spec, subs = self._specs(found.id)
        return CalledProcess(f"{binding.key}@{found.id}", spec, subs)

    def called_specs(self, name: str) -> Mapping[str, Any]:
        """The specs registered under `name` ("<key>@<definition id>") when the instance called it."""
        spec, subs = self._specs(int(name.rpartition("@")[2]))
        return {name: spec, **subs}

    def _specs(self, definition_id: int) -> tuple[Any, dict[str, Any]]:
        return self.ctx.specs(definition_id, lambda: definitions.spec_json(self.session, definition_id))
