"""`phva calendar …`: due dates, holidays, entity closures and the calendar settings."""

from __future__ import annotations

import sys
from datetime import date
from typing import Any

import click

from engine.cli.base import actor, cli, context, emit, handled, json_option
from engine.errors import BadInput
from engine.legal.explanation import fecha_larga
from engine.legal.inputs import parse_days, parse_moment
from engine.legal.typed import parse_day, parse_unit
from engine.pqrsd import calendar as calendar_service
from engine.pqrsd import recalculation


@cli.group("calendar", help="Calendario de días hábiles: vencimientos, festivos y cierres de la entidad.")
def calendar_group() -> None:
    pass


@calendar_group.command(
    "due", help="Fecha de vencimiento: N días hábiles (o calendario, meses) desde un recibo."
)
@click.option(
    "--from", "from_", metavar="FECHA", help="Recibo: AAAA-MM-DD[THH:MM[:SS][±HH:MM]] (hora de Bogotá)."
)
@click.option("--days", metavar="N", help="Número de días (o meses) del término.")
@click.option("--unit", default="habiles", show_default=True, help="habiles | calendario | meses | horas.")
@click.option("--explain", is_flag=True, help="Explica el cálculo día por día.")
@click.option("--batch", is_flag=True, help="Lee líneas CSV filed_at,days de la entrada estándar.")
@json_option
@handled
def due_command(
    from_: str | None, days: str | None, unit: str, explain: bool, batch: bool, as_json: bool
) -> None:
    ctx, term_unit = context(), parse_unit(unit)
    if batch:
        lines = sys.stdin.read().splitlines()
        results = calendar_service.due_batch(ctx, lines, term_unit)
        if _has_header(lines):
            results.insert(0, "filed_at,days,due_date")
        if results:
            click.echo("\n".join(results))
        return
    if from_ is None or days is None:
        raise BadInput("Indique --from FECHA y --days N (o --batch para leer líneas filed_at,days).")
    received = parse_moment(from_, None)
    amount = parse_days(days)
    result = calendar_service.due(ctx, received, amount, term_unit)
    if as_json:
        emit(result.to_dict(), True)
        return
    click.echo(result.day.isoformat())
    if explain:
        for line in result.trace:
            click.echo(line)


def _has_header(lines: list[str]) -> bool:
    first = next((line.strip() for line in lines if line.strip() and not line.strip().startswith("#")), "")
    return first.lower().startswith("filed_at")


@calendar_group.command("holidays", help="Festivos nacionales (y cierres de la entidad) de un año.")
@click.argument("year")
@json_option
@handled
def holidays_command(year: str, as_json: bool) -> None:
    if not year.strip().isdigit():
        raise BadInput(f"Año no válido: «{year}»; use cuatro dígitos, p. ej. 2026.")
    rows = calendar_service.holidays(context(), int(year))
    emit(
        rows,
        as_json,
        lambda rs: [
            f"{r['date']}  {r['weekday']:<9}  {r['name']}  ({'cierre; ' if r['kind'] == 'cierre' else ''}{r['source_act']})"
            for r in rs
        ],
    )


@calendar_group.command(
    "close", help="Registra un cierre de la entidad (día no hábil) y recalcula los términos."
)
@click.argument("day", metavar="FECHA")
@click.option("--reason", required=True, help="Motivo (día cívico, cierre de sede…).")
@click.option("--act", help="Acto administrativo que lo ordena (p. ej. Resolución 123 de 2026).")
@json_option
@handled
def close_command(day: str, reason: str, act: str | None, as_json: bool) -> None:
    outcome = recalculation.close_day(context(), parse_day(day), reason=reason, legal_act=act, actor=actor())
    emit(
        outcome.to_dict(),
        as_json,
        lambda r: [
            f"Cierre registrado el {fecha_larga(date.fromisoformat(r['date']))}: {r['reason']} ({r['legal_act']}).",
            *_change_lines(r),
        ],
    )


@calendar_group.command("reopen", help="Anula un cierre de la entidad y recalcula los términos.")
@click.argument("day", metavar="FECHA")
@json_option
@handled
def reopen_command(day: str, as_json: bool) -> None:
    outcome = recalculation.reopen_day(context(), parse_day(day), actor=actor())
    emit(
        outcome.to_dict(),
        as_json,
        lambda r: [
            f"Cierre anulado: el {fecha_larga(date.fromisoformat(r['date']))} vuelve a ser día hábil.",
            *_change_lines(r),
        ],
    )


def _change_lines(record: dict[str, Any]) -> list[str]:
    lines = [f"Radicados recalculados: {record['changed']}."]
    for change in record["cases"]:
        note = " (se adelanta: avise al responsable)" if change["earlier"] else ""
        lines.append(f"  {change['radicado']}: {change['old_due_date']} → {change['new_due_date']}{note}")
    if record["timers"] or record["tasks"]:
        lines.append(
            f"Temporizadores reprogramados: {record['timers']}; tareas con nuevo vencimiento: "
            f"{record['tasks']}."
        )
    return lines


@calendar_group.command("closures", help="Lista los cierres de la entidad.")
@click.option("--all", "show_all", is_flag=True, help="Incluye los cierres anulados.")
@json_option
@handled
def closures_command(show_all: bool, as_json: bool) -> None:
    rows = calendar_service.closures(context(), include_removed=show_all)
    emit(
        rows,
        as_json,
        lambda rs: (
            [
                f"{r['date']}  {r['reason']}  ({r['legal_act']})" + ("  [anulado]" if r["removed_at"] else "")
                for r in rs
            ]
            or ["No hay cierres registrados."]
        ),
    )


@calendar_group.command("settings", help="Muestra o cambia la configuración del calendario de la entidad.")
@click.option("--saturday/--no-saturday", "saturday", default=None, help="¿La entidad atiende los sábados?")
@click.option("--closing-time", metavar="HH:MM", help="Hora de cierre (radicación política A).")
@click.option("--saturday-closing-time", metavar="HH:MM", help="Hora de cierre los sábados.")
@click.option(
    "--policy",
    metavar="A|B",
    help="A: después del cierre o en día no hábil, radica el día hábil "
    "siguiente; B: fecha calendario de recibo.",
)
@click.option("--suspension", metavar="resume|restart", help="Art. 17: reanudar (por defecto) o reiniciar.")
@click.option("--timezone", metavar="ZONA", help="Zona horaria de la entidad (America/Bogota).")
@json_option
@handled
def settings_command(
    saturday: bool | None,
    closing_time: str | None,
    saturday_closing_time: str | None,
    policy: str | None,
    suspension: str | None,
    timezone: str | None,
    as_json: bool,
) -> None:
    ctx = context()
    changes = {
        "saturday_is_business_day": saturday,
        "closing_time": closing_time,
        "saturday_closing_time": saturday_closing_time,
        "radicacion_policy": policy,
        "suspension_mode": suspension,
        "timezone": timezone,
    }
    if any(v is not None for v in changes.values()):
        current = calendar_service.update_settings(ctx, changes, actor=actor())
    else:
        current = calendar_service.get_settings(ctx)
    emit(
        current,
        as_json,
        lambda r: [
            f"Sábado hábil: {'sí' if r['saturday_is_business_day'] else 'no'}",
            f"Hora de cierre: {r['closing_time']} (sábados {r['saturday_closing_time']})",
            f"Política de radicación: {r['radicacion_policy']}",
            f"Suspensión (art. 17): {r['suspension_mode']}",
            f"Zona horaria: {r['timezone']}",
        ],
    )
