"""The `phva` command line, one module per area over the same use cases as the web.

Exit codes: 0 done, 1 the operation failed, 2 bad input (nothing was written).
"""

from __future__ import annotations

from typing import Any

import click

# The command modules register themselves on the group when imported: only when the group is asked for,
# so a light command (engine.cli.overdue) starts without the engine.
_COMMANDS = (
    "calendar", "caracterizacion", "demo", "dependencias", "deploy", "migrate", "modeltests", "pqrsd", "reassign", "report",
    "tokens", "users", "workflow",
)  # fmt: skip


def load_commands() -> click.Group:
    """The `phva` group with every command module's commands on it."""
    import importlib

    for module in _COMMANDS:
        importlib.import_module(f"engine.cli.{module}")
    from engine.cli.base import cli

    return cli


def __getattr__(name: str) -> Any:
    if name != "cli":
        raise AttributeError(name)
    return load_commands()


__all__ = ["cli", "load_commands", "main"]


def main() -> None:
    load_commands()(prog_name="phva")
