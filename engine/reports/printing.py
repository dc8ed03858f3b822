"""HTML to PDF through headless Chromium, for every printed document (no PDF library needs system libraries
this way): the caracterización and the informe de PQRSD."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path

from engine.errors import PhvaError

CHROMIUM = ("chromium", "chromium-browser", "google-chrome")


def print_pdf(html: str, output: Path) -> None:
    """Headless Chromium prints the HTML document to `output`."""
    browser = next((found for name in CHROMIUM if (found := shutil.which(name))), None)
    if browser is None:
        raise PhvaError(
            "No se encontró Chromium para generar el PDF; use --format html e imprima desde el navegador."
        )
    with tempfile.TemporaryDirectory() as folder:
        page = Path(folder) / "documento.html"
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
