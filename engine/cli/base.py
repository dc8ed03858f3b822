"""What every `phva` command shares: the root group, the engine context, error handling and output."""

from __future__ import annotations

import functools
import importlib
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

from engine.cli import spanish
from engine.errors import PhvaError

if TYPE_CHECKING:
    from engine.context import Context

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("phva")


def context() -> Context:
    from engine.bootstrap import create_context
    from engine.context import Context

    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = create_context()
    assert isinstance(root.obj, Context)
    return root.obj


def handled(func: F) -> F:
    """Turn domain errors into one clear line and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PhvaError as error:
            click.echo(f"Error: {error.message}", err=True)
            for field, message in error.details.items():
                click.echo(f"  - {field}: {message}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:
            if os.environ.get("PHVA_DEBUG"):
                raise
            _exit_if_unavailable(error)
            log.debug("unexpected error", exc_info=True)
            first_line = str(error).splitlines()[0] if str(error) else ""
            click.echo(
                f"Error inesperado ({type(error).__name__}): {first_line} — "
                "repita con PHVA_DEBUG=1 para ver el detalle.",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


UNAVAILABLE_EXIT = 75  # EX_TEMPFAIL: try again later


def _exit_if_unavailable(error: Exception) -> None:
    """The database down, or busy past its timeout, is said as such, not as an unexpected error."""
    from engine.store.availability import unavailable

    found = unavailable(error)
    if found is None:
        return
    if found.outage:
        click.echo(f"Error: la base de datos no responde ({found.reason}). Revise PHVA_DATABASE_URL y que el "
                   "servidor esté en marcha; si el comando cambiaba datos, compruebe si quedó hecho antes de "
                   "repetirlo.", err=True)  # fmt: skip
    else:
        click.echo("Error: la base de datos está ocupada con los cambios de otro proceso y no respondió a "
                   f"tiempo. No se cambió nada. Vuelva a intentarlo en {found.retry_after} s.", err=True)  # fmt: skip
    sys.exit(UNAVAILABLE_EXIT)


def emit(record: Any, as_json: bool, text: Callable[[Any], Iterable[str]] | None = None) -> None:
    if as_json or text is None:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    else:
        for line in text(record):
            click.echo(line)


def parse_json(text: str | None, what: str = "--data") -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"JSON inválido en {what}: {error.msg} (columna {error.colno})") from error


json_option = click.option("--json", "as_json", is_flag=True, help="Imprime JSON.")


class LazyGroup(click.Group):
    """A group that imports a command's module only when that command runs (or its own --help is asked
    for): `phva timers` loads no engine, `phva users` no web app, and `phva --help` lists every command
    from one-line summaries without importing any of them."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lazy: dict[str, tuple[str, str]] = {}

    def add_lazy(self, name: str, target: str, summary: str) -> None:
        """`target` is "module:attribute", the command object; `summary` is its line in `phva --help`."""
        self.lazy[name] = (target, summary)

    def load(self, name: str) -> click.Command:
        module, attribute = self.lazy[name][0].split(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command), self.lazy[name][0]
        return command

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.lazy:
            self.add_command(self.load(cmd_name), cmd_name)
        return self.commands.get(cmd_name)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as error:  # suggest among every command, loaded or not
            raise click.exceptions.NoSuchCommand(
                args[0], possibilities=self.list_commands(ctx), ctx=ctx
            ) from error

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, self._summary(name)) for name in self.list_commands(ctx)]
        if rows:
            with formatter.section(spanish.gettext("Commands")):
                formatter.write_dl(rows)

    def _summary(self, name: str) -> str:
        if name in self.commands:
            return self.commands[name].get_short_help_str(limit=10_000)
        return self.lazy[name][1]

    def main(self, args: Sequence[str] | None = None, *rest: Any, **extra: Any) -> Any:
        spanish.install()
        return super().main(args, *rest, **extra)


@click.group(cls=LazyGroup, help="phva: motor PHVA para la atención a la ciudadanía (PQRSD).")
def cli() -> None:
    logging.basicConfig(
        level=os.environ.get("PHVA_LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def actor() -> str:
    """Who the audit names for a CLI action: PHVA_USER, else the login name."""
    return os.environ.get("PHVA_USER") or os.environ.get("USER") or "cli"


def safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)
