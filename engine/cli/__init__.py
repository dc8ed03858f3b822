"""The `phva` command line, one module per area over the same use cases as the web.

Exit codes: 0 done, 1 the operation failed, 2 bad input (nothing was written).
"""

from __future__ import annotations

from engine.cli import calendar, caracterizacion, dependencias, deploy, pqrsd, users, workflow
from engine.cli.base import cli

__all__ = [
    "calendar",
    "caracterizacion",
    "cli",
    "dependencias",
    "deploy",
    "main",
    "pqrsd",
    "users",
    "workflow",
]


def main() -> None:
    cli(prog_name="phva")
