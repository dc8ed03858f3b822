"""`phva migrate`: move the running instances of one version of a process onto another, with a dry run first."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import click

from engine.cli.base import cli, context, emit, handled, json_option
from engine.workflow.migration import migrate_instances, parse_mapping


@cli.command("migrate", help="Migra las instancias en curso de una versión de un proceso a otra.")
@click.argument("key")
@click.option(
    "--from", "from_version", type=click.IntRange(1, 1_000_000), required=True, help="Versión de origen."
)
@click.option(
    "--to", "to_version", type=click.IntRange(1, 1_000_000), required=True, help="Versión de destino."
)
@click.option(
    "--map", "pairs", multiple=True, metavar="ANTERIOR=NUEVO", help="Elemento anterior → elemento nuevo."
)
@click.option("--dry-run", is_flag=True, help="Solo dice qué pasaría con cada instancia; no cambia nada.")
@click.option("--as", "actor", default="cli", show_default=True, help="Quién migra (queda en la auditoría).")
@json_option
@handled
def migrate_command(
    key: str,
    from_version: int,
    to_version: int,
    pairs: tuple[str, ...],
    dry_run: bool,
    actor: str,
    as_json: bool,
) -> None:
    ctx = context()
    report = migrate_instances(
        ctx, key, from_version, to_version, mapping=parse_mapping(pairs), dry_run=dry_run, actor=actor
    )
    emit(report.to_dict(), as_json, _lines)


def _lines(report: dict[str, Any]) -> Iterator[str]:
    verb = "se migrarían" if report["dry_run"] else "migradas"
    movable = len(report["instances"]) - report["refused"]
    yield (
        f"{report['key']} v{report['from_version']} → v{report['to_version']}: "
        f"{movable if report['dry_run'] else report['migrated']} {verb}, {report['refused']} rechazadas."
    )
    for item in report["instances"]:
        label = f"  {item['instance_id']}" + (f" ({item['business_key']})" if item["business_key"] else "")
        if item["refusals"]:
            yield f"{label}: no se migra: {'; '.join(item['refusals'])}"
            continue
        moves = ", ".join(a if a == b else f"{a} → {b}" for a, b in item["mapped"]) or "sin tareas abiertas"
        extra = f"; temporizadores rearmados: {', '.join(item['rearmed'])}" if item["rearmed"] else ""
        yield f"{label}: {moves}{extra}; {len(item['variables'])} variables se conservan"
