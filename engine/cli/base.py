"""What every `phva` command shares: the root group, the engine context, error handling and output."""

from __future__ import annotations

import functools
import json
import logging
import os
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from engine.bootstrap import create_context
from engine.context import Context
from engine.errors import PhvaError

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("phva")


def context() -> Context:
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
            log.debug("unexpected error", exc_info=True)
            first_line = str(error).splitlines()[0] if str(error) else ""
            click.echo(
                f"Error inesperado ({type(error).__name__}): {first_line} — "
                "repita con PHVA_DEBUG=1 para ver el detalle.",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


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


@click.group(help="phva: motor PHVA para la atención a la ciudadanía (PQRSD).")
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
