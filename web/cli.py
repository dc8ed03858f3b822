"""The `phva` console script: the engine's commands plus `serve`, which needs the web app."""

from __future__ import annotations

import click

from engine.cli import cli, context, handled


@cli.command("serve", help="Inicia el servidor web (y el programador de temporizadores).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@handled
def serve_command(host: str, port: int) -> None:
    from web import create_app

    app = create_app(context=context())
    click.echo(f"phva escuchando en http://{host}:{port}/")
    app.run(host=host, port=port, use_reloader=False, threaded=True)


def main() -> None:
    cli(prog_name="phva")
