"""`phva report pqrsd`, `phva turnos import` and `phva metas list|set`: the informe de PQRSD in every format,
the counter's turns from another system's CSV, and the indicators' goals."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import click

from engine.cli.base import actor, cli, context, emit, handled, json_option
from engine.errors import BadInput
from engine.reports import pqrsd, pqrsd_export, pqrsd_goals, pqrsd_turnos
from engine.reports.pqrsd_model import INDICATOR_KEYS

FORMATS = ("json", "csv", "xlsx", "pdf")


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise BadInput(
            f"Fecha no válida en {option}: «{value}». Use AAAA-MM-DD, por ejemplo 2026-03-31."
        ) from None


@cli.group("report", help="Informes: el informe de PQRSD con sus indicadores.")
def report_group() -> None:
    pass


@report_group.command(
    "pqrsd",
    help="Informe de PQRSD del periodo (Ley 1712 art. 11 lit. h, Ley 1474 art. 76, Decreto 103 art. 52) "
    "con los indicadores de oportunidad, calidad, satisfacción y canal presencial.",
)
@click.option("--from", "start", required=True, metavar="AAAA-MM-DD", help="Primer día del periodo.")
@click.option("--to", "end", required=True, metavar="AAAA-MM-DD", help="Último día del periodo (incluido).")
@click.option("--dependencia", help="Solo las PQRSD de esta dependencia.")
@click.option("--format", "fmt", default="json", show_default=True, help="json, csv, xlsx o pdf.")
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help="Archivo de salida (xlsx y pdf)."
)
@handled
def report_pqrsd(start: str, end: str, dependencia: str | None, fmt: str, output: Path | None) -> None:
    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise BadInput(f"Formato no válido: «{fmt}». Use {', '.join(FORMATS)}.")
    if fmt in ("xlsx", "pdf") and output is None:
        raise BadInput(f"Con --format {fmt} indique el archivo de salida con --output.")
    report = pqrsd.build_report(context(), _day(start, "--from"), _day(end, "--to"), dependencia)
    if fmt in ("xlsx", "pdf"):
        assert output is not None
        output.write_bytes(pqrsd_export.to_xlsx(report) if fmt == "xlsx" else pqrsd_export.to_pdf(report))
        click.echo(f"Informe de PQRSD del {start} al {end} guardado en {output}.")
        return
    text = (
        pqrsd_export.to_csv(report)
        if fmt == "csv"
        else json.dumps(report.to_dict(), ensure_ascii=False, indent=2, default=str) + "\n"
    )
    if output is None:
        click.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8")
        click.echo(f"Informe de PQRSD del {start} al {end} guardado en {output}.")


@cli.group("turnos", help="Registro de turnos del canal presencial (nivel de servicio).")
def turnos_group() -> None:
    pass


@turnos_group.command(
    "import",
    help="Importa turnos desde un CSV con encabezado turno,punto,emitido,llamado,finalizado,abandonado "
    "(fechas AAAA-MM-DD HH:MM o dd/mm/aaaa hh:mm). Si una fila falla no se importa nada.",
)
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@json_option
@handled
def turnos_import(file: Path, as_json: bool) -> None:
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput(f"{file} no es texto UTF-8: guárdelo como CSV UTF-8.") from None
    result = pqrsd_turnos.import_csv(context(), text, actor())
    emit(
        result.to_dict(),
        as_json,
        lambda r: [f"Importó {r['importados']} turnos ({r['desde']} a {r['hasta']})."],
    )


@cli.group("metas", help="Metas de los indicadores por vigencia.")
def metas_group() -> None:
    pass


@metas_group.command("list", help="Las metas vigentes de los cuatro indicadores en la vigencia.")
@click.option("--vigencia", type=int, default=None, help="Año (por defecto, el actual).")
@json_option
@handled
def metas_list(vigencia: int | None, as_json: bool) -> None:
    ctx = context()
    year = vigencia or pqrsd.local_date(ctx, ctx.clock.now()).year
    goals = [g.to_dict() for g in pqrsd_goals.goals(ctx, year)]
    origin = {"vigencia": "", "anterior": " (de {de_vigencia})", "defecto": " (por defecto)"}
    emit(goals, as_json, lambda rows: [
        f"{r['indicador']:<18} {r['meta']:>6g} %{origin[r['origen']].format(**r)}  {r['nombre']}" for r in rows
    ])  # fmt: skip


@metas_group.command("set", help=f"Fija la meta (%) de INDICADOR ({', '.join(INDICATOR_KEYS)}) en VIGENCIA.")
@click.argument("indicador")
@click.argument("vigencia")
@click.argument("meta")
@json_option
@handled
def metas_set(indicador: str, vigencia: str, meta: str, as_json: bool) -> None:
    if not vigencia.strip().isdecimal():
        raise BadInput(f"Vigencia no válida: «{vigencia}». Escriba el año, por ejemplo 2026.")
    goal = pqrsd_goals.set_goal(context(), indicador.strip(), int(vigencia), meta, actor())
    emit(goal.to_dict(), as_json, lambda g: [f"Meta de {g['nombre']} para {g['vigencia']}: {g['meta']:g} %."])
