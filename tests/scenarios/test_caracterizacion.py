"""The caracterización printed from the deployed BPMN lists every activity of the value chain (seed 004)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from engine.reports import caracterizacion
from tests.conftest import DATA
from tests.scenarios.conftest import Scenario

STAGE_LETTERS = {"conocer": "P", "formular": "P", "desarrollar": "H", "proponer": "A", "seguimiento": "V"}


def seed_activities() -> list[tuple[str, str]]:
    """(PHVA letter, activity text) for every row of the value-chain table in seed 004."""
    seed = (DATA / "seeds" / "004_f26a4cb32da66089.txt").read_text(encoding="utf-8")
    table = seed.split("Actividad clave del proceso", 1)[1].splitlines()[1:]
    found, letter = [], ""
    for line in table:
        cells = line.split("\t")
        if len(cells) < 2:
            continue
        if cells[0].strip():
            letter = STAGE_LETTERS[cells[0].split()[0].lower()]
        found.append((letter, cells[1].strip()))
    return found


def normal(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().rstrip(".").lower()


def test_seed_has_the_21_activities_of_the_five_stages() -> None:
    activities = seed_activities()
    assert len(activities) == 21
    assert {letter for letter, _ in activities} == {"P", "H", "V", "A"}


def test_ciclo_phva_caracterizacion_lists_every_seed_activity_under_its_phva_letter(sc: Scenario) -> None:
    sheet = caracterizacion.caracterizacion(sc.ctx, "ciclo_phva")
    rows = {(row.phva, normal(row.descripcion)) for row in sheet.filas}
    missing = [(letter, text) for letter, text in seed_activities() if (letter, normal(text)) not in rows]
    assert not missing
    assert sheet.lider and sheet.objetivo and sheet.alcance
    assert "Porcentaje de oportunidad en la respuesta a PQRSD (meta ≥ 95 %)" in sheet.indicadores
    assert any("fuera de los términos" in r for r in sheet.riesgos)
    assert sheet.etapas[:2] == [
        "Relacionamiento con la ciudadanía: ciclo PHVA",
        "Conocer a la ciudadanía, los usuarios y grupos de valor",
    ]


def test_markdown_and_html_show_the_published_table(sc: Scenario) -> None:
    sheet = caracterizacion.caracterizacion(sc.ctx, "pqrsd")
    markdown = caracterizacion.to_markdown(sheet)
    assert "| Proveedor | Entradas | PHVA | Actividades | Salidas | Usuarios / clientes |" in markdown
    assert "**Trasladar a la entidad competente**" in markdown
    html = caracterizacion.to_html(sheet)
    assert html.count("<tr>") > 20 and "<th>Actividades</th>" in html


def test_cli_prints_the_caracterizacion_and_refuses_unknown_keys(sc: Scenario) -> None:
    from engine.cli import cli

    ok = CliRunner().invoke(cli, ["caracterizacion", "conocer_ciudadania"], obj=sc.ctx)
    assert ok.exit_code == 0, ok.output
    assert "Conformar un grupo de trabajo" in ok.output
    missing = CliRunner().invoke(cli, ["caracterizacion", "no_existe"], obj=sc.ctx)
    assert missing.exit_code == 2
    assert "no_existe" in missing.output


def test_generated_files_match_the_process_data() -> None:
    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "tools" / "layout_bpmn.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
