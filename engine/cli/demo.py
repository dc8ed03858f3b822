"""`phva demo`: a year of example PQRSD through the real services (engine.demo)."""

from __future__ import annotations

import click

from engine.cli.base import cli, context, emit, handled, json_option
from engine.demo import volumes
from engine.demo.people import PASSWORD_FILE
from engine.demo.year import DemoResult, run_demo


@cli.command(
    "demo",
    help="Carga un año de PQRSD de ejemplo por los servicios reales (radicación, tareas, temporizadores), "
    "moviendo el reloj: informes mensuales, seguimiento con su acción de mejora y usuarios de ejemplo. "
    "Sin --year, los 365 días hasta ayer.",
)
@click.option(
    "--year",
    type=click.IntRange(2000, 2100),
    default=None,
    help="Año a simular (hasta ayer si es el actual).",
)
@click.option("--seed", type=int, default=2026, show_default=True, help="Semilla: la misma da el mismo año.")
@click.option("--cases", type=click.IntRange(1, 50_000), default=volumes.CASES_PER_YEAR, show_default=True,
              help="PQRSD a radicar en el periodo.")  # fmt: skip
@click.option("--force", is_flag=True, help="Cargar aunque la base de datos ya tenga PQRSD.")
@json_option
@handled
def demo_command(year: int | None, seed: int, cases: int, force: bool, as_json: bool) -> None:
    settings = context().settings
    say = (lambda _: None) if as_json else (lambda line: click.echo(line, err=True))
    result = run_demo(settings, year=year, seed=seed, cases=cases, force=force, progress=say)
    emit(result.to_dict(), as_json, lambda r: _lines(result, settings.instance_dir / PASSWORD_FILE))


def _lines(result: DemoResult, secret: object) -> list[str]:
    lines = [
        f"Demostración cargada: {result.cases} PQRSD del {result.start.isoformat()} al {result.end.isoformat()} "
        f"en {result.seconds:.0f} s.",
        f"  {result.tasks_completed} tareas completadas, {result.timers_fired} temporizadores disparados, "
        f"{result.reports} informes mensuales, {result.improvement_actions} acción(es) de mejora, "
        f"{result.turns} turnos de ventanilla, {result.reviews} evaluaciones de calidad.",
        "  Por canal: " + ", ".join(f"{k} {n}" for k, n in result.by_channel.most_common()),
        "  Por tipo: " + ", ".join(f"{k} {n}" for k, n in result.by_type.most_common()),
        f"  Usuarios de ejemplo: {', '.join(result.users)}; contraseña en {secret}.",
    ]
    if result.problems:
        lines.append(
            f"  {len(result.problems)} tarea(s) no se pudieron completar; la primera: {result.problems[0]}"
        )
    return lines
