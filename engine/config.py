"""Settings from environment variables (documented in README.md → Configuración)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Settings:
    database_url: str
    instance_dir: Path
    timezone: str = "America/Bogota"
    bpmn_dir: Path = Path("bpmn")
    forms_dir: Path = Path("forms")
    secret_key: str | None = None
    run_scheduler: bool = True
    handler_modules: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        instance_dir = Path(env.get("PHVA_INSTANCE_DIR", "instance")).resolve()
        url = env.get("PHVA_DATABASE_URL") or f"sqlite:///{instance_dir / 'phva.db'}"
        return cls(
            database_url=url,
            instance_dir=instance_dir,
            timezone=env.get("PHVA_TIMEZONE", "America/Bogota"),
            bpmn_dir=Path(env.get("PHVA_BPMN_DIR", "bpmn")),
            forms_dir=Path(env.get("PHVA_FORMS_DIR", "forms")),
            secret_key=env.get("PHVA_SECRET_KEY"),
            run_scheduler=env.get("PHVA_SCHEDULER", "on").lower() not in {"off", "0", "false", "no"},
            handler_modules=tuple(
                m.strip() for m in env.get("PHVA_SERVICE_HANDLERS", "").split(",") if m.strip()
            ),
        )
