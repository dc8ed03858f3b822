"""`phva caracterizacion KEY [--format md|html|pdf]`: the process sheet generated from the deployed BPMN."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

import click

from engine.cli.base import cli, context, handled
from engine.errors import BadInput, PhvaError
from engine.reports import caracterizacion as service

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


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


def print_pdf(html: str, output: Path) -> None:
    """Headless Chromium prints the HTML sheet (no PDF library needs system libraries this way)."""
    browser = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    if browser is None:
        raise PhvaError(
            "No se encontró Chromium para generar el PDF; use --format html e imprima desde el navegador."
        )
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "caracterizacion.html"
        page.write_text(html, encoding="utf-8")
        target = output.resolve()
        command = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={folder}/profile",
            "--no-pdf-header-footer",
            f"--print-to-pdf={target}",
            page.as_uri(),
        ]
        result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0 or not target.exists():
        raise PhvaError(f"Chromium no pudo generar el PDF: {result.stderr.strip()[-300:]}")
