"""The `phva` command line, one module per area over the same use cases as the web.

Exit codes: 0 done, 1 the operation failed, 2 bad input (nothing was written).
"""

from __future__ import annotations

from engine.cli import (
    calendar,
    caracterizacion,
    demo,
    dependencias,
    deploy,
    migrate,
    modeltests,
    pqrsd,
    tokens,
    users,
    workflow,
)
from engine.cli import reassign as reassign  # registers reassign
from engine.cli import report as report  # registers report pqrsd, turnos import, metas
from engine.cli.base import cli

__all__ = [
    "calendar",
    "caracterizacion",
    "cli",
    "demo",
    "dependencias",
    "deploy",
    "main",
    "migrate",
    "modeltests",
    "pqrsd",
    "tokens",
    "users",
    "workflow",
]


def main() -> None:
    cli(prog_name="phva")
