"""The composition root: builds a `Context` and wires handlers and BPMN functions into it; nothing imports it back."""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable, Mapping
from typing import Any

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.context import Context
from engine.errors import BadInput
from engine.mail.smtp import SmtpSettings
from engine.pqrsd import case_tasks, radicacion
from engine.pqrsd.calendar import register_calendar_functions
from engine.reports import phva_loop
from engine.runtime import spiff_patches
from engine.store.db import Database
from engine.workflow import signals
from engine.workflow.handlers import register_builtin_handlers


def create_context(
    settings: Settings | None = None,
    clock: Clock | None = None,
    functions: Mapping[str, Callable[..., Any]] | None = None,
    mail: SmtpSettings | None = None,
) -> Context:
    settings = settings or Settings.from_env()
    spiff_patches.set_local_timezone(settings.timezone)
    ctx = Context(
        settings=settings,
        db=Database(
            settings.database_url,
            pool_size=settings.db_pool_size,
            pool_recycle=settings.db_pool_recycle,
            pgbouncer=settings.db_pgbouncer,
        ),
        clock=clock or SystemClock(),
        functions=dict(functions or {}),
        mail=mail or SmtpSettings.from_env(dict(os.environ)),
    )
    register_builtin_handlers(ctx.services, ctx)
    ctx.broadcast_thrown = signals.broadcast_thrown  # Camunda broadcasts what a model throws
    for module in settings.handler_modules:
        register_handler_module(ctx, module)
    register_calendar_functions(ctx)  # lazy: reads the calendar on first call, not here
    radicacion.register(ctx)
    case_tasks.register(ctx.services)
    phva_loop.register(ctx.services)
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
