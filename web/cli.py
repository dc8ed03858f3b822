"""The `phva` console script: the engine's commands plus `serve`, each loading only what it needs when it
runs (engine.cli's lazy group). `phva timers` reads with the database driver alone; only `serve` loads the
web app.
"""

from __future__ import annotations

from typing import Any

from engine.cli import base

base.cli.add_lazy(
    "serve", "web.serve:serve_command", "Inicia el servidor web (y el programador de temporizadores)."
)


def main() -> None:
    base.cli(prog_name="phva")


def __getattr__(name: str) -> Any:
    if name == "cli":  # `from web.cli import cli` (the tests' CliRunner) gets the whole group
        from engine.cli import load_commands

        return load_commands()
    raise AttributeError(name)
