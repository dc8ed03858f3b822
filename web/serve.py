"""`phva serve`: the one command that needs the web app (web.cli adds it to the `phva` group)."""

from __future__ import annotations

import logging
import os

import click

from engine.cli.base import context, handled
from engine.scheduler import TimerScheduler
from web.app import create_app


@click.command("serve", help="Inicia el servidor web (y el programador de temporizadores).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@handled
def serve_command(host: str, port: int) -> None:
    ctx = context()
    app = create_app(context=ctx)
    # Exactly one scheduler, in this process only: gunicorn workers never start one (run `phva scheduler`).
    scheduler = None
    if ctx.settings.run_scheduler:
        if not os.environ.get("PHVA_LOG_LEVEL"):
            logging.getLogger("engine").setLevel(logging.INFO)
        scheduler = TimerScheduler(ctx)
        scheduler.start()
    click.echo(f"phva escuchando en http://{host}:{port}/")
    try:
        app.run(host=host, port=port, use_reloader=False, threaded=True)
    finally:
        if scheduler is not None:
            scheduler.shutdown()
