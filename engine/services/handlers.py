"""Built-in Python handlers for service tasks (camunda:type="external" topic, class or expression name)."""

from __future__ import annotations

from engine.runtime.workflow import ServiceRegistry


def register_builtin_handlers(registry: ServiceRegistry) -> None:
    """Handlers every deployment gets; entities add theirs with PHVA_SERVICE_HANDLERS modules."""
