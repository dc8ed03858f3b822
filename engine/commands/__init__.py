"""`phva` subcommands grouped by area; importing this package adds them to `engine.cli.cli`."""

from engine.commands import calendar, pqrsd

__all__ = ["calendar", "pqrsd"]
