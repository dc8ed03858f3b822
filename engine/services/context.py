"""The composition root: settings, database, clock, script engine and spec cache in one object."""

from __future__ import annotations

import importlib
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.errors import BadInput
from engine.modeling.spiff_registry import specs_from_json
from engine.runtime import spiff_patches
from engine.runtime.scripting import make_script_engine
from engine.runtime.workflow import ServiceRegistry
from engine.store.db import Database


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    services: ServiceRegistry = field(default_factory=ServiceRegistry)
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    _specs: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _script_engine: Any = field(default=None, repr=False)

    @property
    def script_engine(self) -> Any:
        if self._script_engine is None:
            self._script_engine = make_script_engine(self.functions)
        return self._script_engine

    def specs(self, definition_id: int, load_json: Callable[[], str]) -> tuple[Any, dict[str, Any]]:
        """Parsed specs per definition version, restored once per process (never per request)."""
        cached = self._specs.get(definition_id)
        if cached is None:
            with self._lock:
                cached = self._specs.get(definition_id)
                if cached is None:
                    cached = specs_from_json(load_json())
                    self._specs[definition_id] = cached
        return cached


def create_context(
    settings: Settings | None = None,
    clock: Clock | None = None,
    functions: Mapping[str, Callable[..., Any]] | None = None,
) -> Context:
    from engine.services.calendar import register_calendar_functions
    from engine.services.handlers import register_builtin_handlers

    settings = settings or Settings.from_env()
    spiff_patches.set_local_timezone(settings.timezone)
    ctx = Context(
        settings=settings,
        db=Database(settings.database_url),
        clock=clock or SystemClock(),
        functions=dict(functions or {}),
    )
    register_builtin_handlers(ctx.services, ctx)
    for module in settings.handler_modules:
        register_handler_module(ctx, module)
    register_calendar_functions(ctx)  # lazy: reads the calendar on first call, not here
    return ctx


def register_handler_module(ctx: Context, module: str) -> None:
    """An entity's own service-task handlers: a module with `register(registry)` (PHVA_SERVICE_HANDLERS)."""
    try:
        register = importlib.import_module(module).register
    except (ImportError, AttributeError) as error:
        raise BadInput(
            f"PHVA_SERVICE_HANDLERS: no se pudo cargar '{module}' (debe definir register(registry)): {error}"
        ) from error
    register(ctx.services)
