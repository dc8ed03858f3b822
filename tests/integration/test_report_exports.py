"""`phva report pqrsd` in every format: the XLSX (read back with openpyxl) and the PDF (read with pdftotext) carry
the same figures as the hand count of the month; bad input exits 2 with a clear message and writes nothing."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from openpyxl import load_workbook

from engine.clock import FrozenClock
from engine.context import Context
from tests.integration import report_month as m
from tests.unit.test_acuse import pdf_text
from web.cli import cli

MARCH = ("--from", "2026-03-01", "--to", "2026-03-31")


@pytest.fixture
def month(sqlite_ctx: Context, clock: FrozenClock) -> m.Month:
    return m.file_month(sqlite_ctx, clock)


def _run(ctx: Context, *args: str) -> Result:
    return CliRunner().invoke(cli, list(args), obj=ctx, catch_exceptions=False)


def test_the_xlsx_has_one_sheet_per_block_and_numbers_as_numbers(
    sqlite_ctx: Context, month: m.Month, tmp_path: Path
) -> None:
    want = m.expected(month)
    target = tmp_path / "informe.xlsx"
    result = _run(sqlite_ctx, "report", "pqrsd", *MARCH, "--format", "xlsx", "--output", str(target))
    assert result.exit_code == 0, result.output
    book = load_workbook(target)
    assert book.sheetnames[:4] == ["Resumen", "Indicadores", "Por tipología", "Por canal"]
    assert {"Oportunidad", "Tiempos de respuesta", "Traslados", "Acceso a la información", "Denuncias", "Calidad",
            "Satisfacción", "Canal presencial", "Recomendaciones", "Acciones de mejora"} <= set(book.sheetnames)  # fmt: skip
    indicators = {row[0]: row for row in book["Indicadores"].iter_rows(min_row=2, values_only=True)}
    on_time, cohort = want["oportunidad"]
    row = indicators["Porcentaje de oportunidad en la respuesta a PQRSD"]
    assert (row[3], row[5], row[6], row[7]) == (on_time, cohort, m.pct(on_time, cohort), 90.0)
    assert isinstance(row[3], int) and isinstance(row[6], float)
    kinds = {r[0]: r[1] for r in book["Por tipología"].iter_rows(min_row=2, values_only=True)}
    assert (
        kinds["Queja"] == want["por_tipologia"]["queja"]
        and kinds["Consulta"] == want["por_tipologia"]["consulta"]
    )
    summary = {r[0]: r[1] for r in book["Resumen"].iter_rows(min_row=2, values_only=True)}
    assert summary["PQRSD recibidas"] == 36
    counter = {r[0]: r[1] for r in book["Canal presencial"].iter_rows(min_row=2, values_only=True)}
    assert counter["Turnos emitidos"] == 8 and counter["Atendidos dentro del estándar"] == 3


def test_the_pdf_prints_the_charts_and_the_same_figures(
    sqlite_ctx: Context, month: m.Month, tmp_path: Path
) -> None:
    want = m.expected(month)
    target = tmp_path / "informe.pdf"
    result = _run(sqlite_ctx, "report", "pqrsd", *MARCH, "--format", "pdf", "--output", str(target))
    assert result.exit_code == 0, result.output
    text = pdf_text(target.read_bytes(), tmp_path)
    on_time, cohort = want["oportunidad"]
    assert "Informe de PQRSD" in text and "Indicadores frente a su meta" in text  # a chart's title
    assert f"Respondidas a tiempo {on_time} PQRSD con vencimiento en el periodo {cohort}" in text
    assert str(m.pct(on_time, cohort)).replace(".", ",") in text
    assert "Turnos emitidos 8" in text and "PQRSD recibidas 36" in text
    assert "Superintendencia de Servicios Públicos 1 0" in text


def test_json_and_csv_carry_the_same_counts(sqlite_ctx: Context, month: m.Month) -> None:
    as_json = _run(sqlite_ctx, "report", "pqrsd", *MARCH, "--format", "json")
    assert as_json.exit_code == 0
    data = json.loads(as_json.output)
    assert data["totales"]["recibidas"] == 36 and len(data["indicadores"]) == 4
    as_csv = _run(sqlite_ctx, "report", "pqrsd", *MARCH, "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv.output.lstrip("\ufeff"))))
    assert ["PQRSD recibidas", "36"] in rows and ["Por canal"] in rows


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--from", "2026-13-01", "--to", "2026-03-31"), "Fecha no válida en --from"),
        (("--from", "2026-03-31", "--to", "2026-03-01"), "anterior a la inicial"),
        ((*MARCH, "--format", "docx"), "Formato no válido"),
        ((*MARCH, "--format", "xlsx"), "indique el archivo de salida"),
    ],
)
def test_bad_input_exits_2_with_its_reason(sqlite_ctx: Context, args: tuple[str, ...], message: str) -> None:
    result = _run(sqlite_ctx, "report", "pqrsd", *args)
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_metas_set_and_list_by_an_administrator_only(
    sqlite_ctx: Context, month: m.Month, monkeypatch
) -> None:
    monkeypatch.setenv("PHVA_USER", m.ADMIN)
    done = _run(sqlite_ctx, "metas", "set", "satisfaccion", "2026", "75,5")
    assert done.exit_code == 0 and "75.5 %" in done.output
    listed = json.loads(_run(sqlite_ctx, "metas", "list", "--vigencia", "2027", "--json").output)
    assert {g["indicador"]: (g["meta"], g["origen"]) for g in listed} == {
        "oportunidad": (90.0, "anterior"), "calidad": (90.0, "defecto"), "satisfaccion": (75.5, "anterior"),
        "canal_presencial": (85.0, "defecto"),
    }  # fmt: skip
    assert _run(sqlite_ctx, "metas", "set", "rapidez", "2026", "90").exit_code == 2
    assert _run(sqlite_ctx, "metas", "set", "calidad", "2026", "120").exit_code == 2
    monkeypatch.setenv("PHVA_USER", m.CLERK)
    refused = _run(sqlite_ctx, "metas", "set", "calidad", "2026", "80")
    assert refused.exit_code == 1 and "Solo un administrador" in refused.output


def test_turnos_import_takes_every_row_or_none(
    sqlite_ctx: Context, month: m.Month, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("PHVA_USER", m.CLERK)
    bad = tmp_path / "malo.csv"
    bad.write_text(
        "turno;punto;emitido;llamado;finalizado;abandonado\n"
        "A-1;Sede norte;2026-03-11 08:00;2026-03-11 08:10;2026-03-11 08:20;\n"
        "A-2;Sede norte;2026-03-11 08:05;2026-03-11 08:00;;\n"
        "A-3;Sede norte;ayer;;;\n"
        "A-1;Sede norte;2026-03-11 08:00;;;\n",
        encoding="utf-8",
    )
    refused = _run(sqlite_ctx, "turnos", "import", str(bad))
    assert refused.exit_code == 2 and "3 errores: no se importó nada" in refused.output
    assert "línea 3: «llamado» es anterior a «emitido»" in refused.output
    assert (
        "línea 4: «emitido» no es una fecha" in refused.output and "línea 5: el turno A-1" in refused.output
    )
    good = tmp_path / "bueno.csv"
    good.write_text(
        "turno,punto,emitido,llamado,finalizado,abandonado\n"
        "A-1,Sede norte,11/03/2026 08:00,11/03/2026 08:10,11/03/2026 08:20,\n"
        "A-2,Sede norte,11/03/2026 08:05,,,11/03/2026 08:30\n",
        encoding="utf-8",
    )
    imported = _run(sqlite_ctx, "turnos", "import", str(good), "--json")
    assert imported.exit_code == 0 and json.loads(imported.output)["importados"] == 2
    again = _run(sqlite_ctx, "turnos", "import", str(good))
    assert again.exit_code == 2 and "ya está registrado" in again.output
    data = json.loads(_run(sqlite_ctx, "report", "pqrsd", *MARCH).output)
    assert (
        data["canal_presencial"]["emitidos"] == 8 + 2
        and data["canal_presencial"]["dentro_del_estandar"] == 3 + 1
    )
