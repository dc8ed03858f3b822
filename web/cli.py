"""The `phva` console script. Start-up loads only what a command needs: `timers` reads its rows with the
database driver alone (engine.cli.overdue); every other command loads the engine and the web app (web.serve).
"""

from __future__ import annotations

import sys
from typing import Any


def main() -> None:
    if sys.argv[1:2] == ["timers"]:
        from engine.cli.overdue import main as timers

        timers(sys.argv[2:])
        return
    from web.serve import cli

    cli(prog_name="phva")


def __getattr__(name: str) -> Any:
    if name == "cli":  # `from web.cli import cli` (the tests' CliRunner) gets the whole group
        from web.serve import cli

        return cli
    raise AttributeError(name)
