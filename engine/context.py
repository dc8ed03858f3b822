"""The engine's shared state for one database: settings, clock, registries and every per-process cache.

Built by `engine.bootstrap.create_context`; use cases receive it as their first argument. Caches live
here, not in module globals, so two contexts (two databases, or two tests) never see each other's.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.clock import Clock, SystemClock
from engine.config import Settings
from engine.legal.cache import LegalCache
from engine.mail.smtp import SmtpSettings
from engine.modeling.spiff_registry import specs_from_json
from engine.modeling.start_info import StartInfo
from engine.runtime.scripting import ScriptLimits, make_script_engine
from engine.runtime.workflow import ServiceRegistry
from engine.store.db import Database


@dataclass
class Context:
    settings: Settings
    db: Database
    clock: Clock = field(default_factory=SystemClock)
    services: ServiceRegistry = field(default_factory=ServiceRegistry)
    functions: dict[str, Callable[..., Any]] = field(default_factory=dict)
    legal: LegalCache = field(default_factory=LegalCache, repr=False)
    # Per definition version (never changes once deployed): start-event facts, task extensions by element.
    start_infos: dict[int, StartInfo] = field(default_factory=dict, repr=False)
    task_extensions: dict[tuple[int, str], dict[str, Any]] = field(default_factory=dict, repr=False)
    # Processes only a feature may start (key → where to go instead), and the business keys it hands out.
    reserved_starts: dict[str, str] = field(default_factory=dict, repr=False)
    reserved_business_keys: re.Pattern[str] | None = field(default=None, repr=False)
    # Per process key: the due date of tasks the model gives none (a PQRSD's tasks carry its legal due date).
    default_task_due: dict[str, Callable[[Session, str | None], datetime | None]] = field(
        default_factory=dict, repr=False
    )
    mail: SmtpSettings | None = field(default=None, repr=False)  # None: PHVA_SMTP_HOST unset, no mail
    # Set by bootstrap: delivers the signals a save's run threw, in that transaction (engine.workflow.signals)
    broadcast_thrown: Callable[[Context, Session, int, list[str]], None] | None = field(
        default=None, repr=False
    )
    _specs: dict[int, tuple[Any, dict[str, Any]]] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _script_engine: Any = field(default=None, repr=False)

    @property
    def script_engine(self) -> Any:
        if self._script_engine is None:
            limits = ScriptLimits(self.settings.script_timeout, self.settings.script_memory_mb)
            self._script_engine = make_script_engine(
                self.functions, limits=limits, data_limits=self.settings.data_limits
            )
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
