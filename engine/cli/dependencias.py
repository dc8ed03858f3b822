"""`phva dependencias`: the groups users belong to and models offer tasks to."""

from __future__ import annotations

import click

from engine.cli.base import actor, cli, context, emit, handled, json_option
from engine.identity import dependencias
from engine.identity.dependencias import DependenciaView


@cli.group(
    "dependencias",
    help="Dependencias (grupos): deben existir antes de que un usuario o un modelo las nombre.",
)
def dependencias_group() -> None:
    pass


def _line(d: dict[str, object]) -> str:
    state = "" if d["active"] else "  [inactiva]"
    members = d["members"]
    assert isinstance(members, list)
    return f"{d['code']:<24} {d['name']}  ({len(members)} usuario(s), {d['open_tasks']} tarea(s) abierta(s)){state}"


def _emit_one(view: DependenciaView, as_json: bool, verb: str) -> None:
    emit(view.to_dict(), as_json, lambda r: [f"Dependencia '{r['code']}' {verb}."])


@dependencias_group.command("list", help="Lista las dependencias con sus usuarios activos y tareas abiertas.")
@click.option("--active", "only_active", is_flag=True, help="Solo las activas.")
@json_option
@handled
def list_command(only_active: bool, as_json: bool) -> None:
    rows = [d.to_dict() for d in dependencias.list_dependencias(context(), include_inactive=not only_active)]
    emit(rows, as_json, lambda rs: [_line(r) for r in rs] or ["No hay dependencias registradas."])


@dependencias_group.command("add", help="Crea una dependencia.")
@click.argument("code")
@click.option("--name", help="Nombre para mostrar (por defecto, el código).")
@json_option
@handled
def add_command(code: str, name: str | None, as_json: bool) -> None:
    _emit_one(dependencias.create_dependencia(context(), code, name, actor=actor()), as_json, "creada")


@dependencias_group.command("rename", help="Cambia el nombre de una dependencia (el código no cambia).")
@click.argument("code")
@click.option("--name", required=True, help="Nombre nuevo.")
@json_option
@handled
def rename_command(code: str, name: str, as_json: bool) -> None:
    _emit_one(dependencias.rename_dependencia(context(), code, name, actor=actor()), as_json, "renombrada")


@dependencias_group.command(
    "deactivate", help="Desactiva una dependencia sin usuarios activos ni tareas abiertas."
)
@click.argument("code")
@json_option
@handled
def deactivate_command(code: str, as_json: bool) -> None:
    _emit_one(
        dependencias.set_dependencia_active(context(), code, False, actor=actor()), as_json, "desactivada"
    )


@dependencias_group.command("activate", help="Reactiva una dependencia.")
@click.argument("code")
@json_option
@handled
def activate_command(code: str, as_json: bool) -> None:
    _emit_one(
        dependencias.set_dependencia_active(context(), code, True, actor=actor()), as_json, "reactivada"
    )
