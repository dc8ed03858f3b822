"""`phva caracterizacion KEY [--format md|html|pdf]`: the process sheet generated from the deployed BPMN."""

from __future__ import annotations

from pathlib import Path

import click

from engine.cli.base import cli, context, handled
from engine.errors import BadInput
from engine.reports import caracterizacion as service
from engine.reports.printing import print_pdf


@cli.command(
    "caracterizacion",
    help="Imprime la caracterización del proceso KEY (Proveedor | Entradas | PHVA | "
    "Actividades | Salidas | Usuarios) generada desde el BPMN desplegado.",
)
@click.argument("key")
@click.option("--format", "fmt", type=click.Choice(["md", "html", "pdf"]), default="md", show_default=True)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Archivo de salida (obligatorio con --format pdf).",
)
@handled
def caracterizacion_command(key: str, fmt: str, output: Path | None) -> None:
    sheet = service.caracterizacion(context(), key)
    if fmt == "pdf":
        if output is None:
            raise BadInput("Con --format pdf indique el archivo de salida con --output.")
        print_pdf(service.to_html(sheet), output)
        click.echo(f"Caracterización de '{key}' guardada en {output}.")
        return
    text = service.to_markdown(sheet) if fmt == "md" else service.to_html(sheet)
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Caracterización de '{key}' guardada en {output}.")
