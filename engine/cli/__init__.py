"""The `phva` command line, one module per area over the same use cases as the web.

Exit codes: 0 done, 1 the operation failed, 2 bad input (nothing was written).
"""

from __future__ import annotations

from typing import Any

import click

from engine.cli import base

# Each command's module and its line in `phva --help`: a command imports its module (and the engine) only
# when it runs, so `phva timers` reads the database with the driver alone and `phva --help` loads nothing.
_WORKFLOW = "engine.cli.workflow"
COMMANDS = {
    "assign": (f"{_WORKFLOW}:assign_command", "Asigna una tarea a otro usuario (supervisores y administradores)."),
    "calendar": ("engine.cli.calendar:calendar_group", "Calendario de días hábiles: vencimientos, festivos y cierres de la entidad."),
    "caracterizacion": ("engine.cli.caracterizacion:caracterizacion_command", "Imprime la caracterización del proceso KEY (Proveedor | Entradas | PHVA | Actividades | Salidas | Usuarios) generada desde el BPMN desplegado."),
    "claim": (f"{_WORKFLOW}:claim_command", "Reclama una tarea para el usuario."),
    "complete": (f"{_WORKFLOW}:complete_command", "Completa una tarea con los datos de su formulario."),
    "correlate": (f"{_WORKFLOW}:correlate_command", "Entrega un mensaje al proceso que lo espera."),
    "demo": ("engine.cli.demo:demo_command", "Carga un año de PQRSD de ejemplo por los servicios reales (radicación, tareas, temporizadores), moviendo el reloj: informes mensuales, seguimiento con su acción de mejora y usuarios de ejemplo."),
    "dependencias": ("engine.cli.dependencias:dependencias_group", "Dependencias (grupos): deben existir antes de que un usuario o un modelo las nombre."),
    "deploy": ("engine.cli.deploy:deploy_command", "Despliega archivos .bpmn, .dmn y .form (o valida con --check)."),
    "incidents": (f"{_WORKFLOW}:incidents_group", "Lista incidentes abiertos; 'retry ID' reintenta."),
    "init": ("engine.cli.deploy:init_command", "Crea o actualiza la base de datos, despliega bpmn/ y forms/ y crea el usuario admin."),
    "instances": (f"{_WORKFLOW}:instances_command", "Lista instancias de proceso."),
    "metas": ("engine.cli.report:metas_group", "Metas de los indicadores por vigencia."),
    "migrate": ("engine.cli.migrate:migrate_command", "Migra las instancias en curso de una versión de un proceso a otra."),
    "pqrsd": ("engine.cli.pqrsd:pqrsd_group", "Peticiones, quejas, reclamos, sugerencias y denuncias (Ley 1755 de 2015)."),
    "reassign": ("engine.cli.reassign:reassign_command", "Reasigna una o varias tareas abiertas a una persona y/o dependencia, con motivo."),
    "report": ("engine.cli.report:report_group", "Informes: el informe de PQRSD con sus indicadores."),
    "scheduler": (f"{_WORKFLOW}:scheduler_command", "Dispara los temporizadores vencidos e inicia los procesos con inicio temporizado."),
    "show": (f"{_WORKFLOW}:show_command", "Muestra una instancia: tareas, temporizadores, incidentes e historial."),
    "signal": (f"{_WORKFLOW}:signal_command", "Difunde una señal: la reciben todos los procesos que la esperan y se inician los que empiezan con ella."),
    "start": (f"{_WORKFLOW}:start_command", "Inicia una instancia del proceso KEY."),
    "tasks": (f"{_WORKFLOW}:tasks_command", "Lista tareas abiertas (las del usuario con --user; todas con --all)."),
    "test-model": ("engine.cli.modeltests:test_model_command", "Corre pruebas de modelo (YAML) en una base de datos en memoria; sale con 1 si alguna falla."),
    # The driver-only reader; `load_commands` (flask --app web, the tests) gets the engine's own, which the
    # workflow module registers.
    "timers": ("engine.cli.overdue:timers", "Lista temporizadores en espera (los primeros --limit, por vencimiento)."),
    "turnos": ("engine.cli.report:turnos_group", "Registro de turnos del canal presencial (nivel de servicio)."),
    "unclaim": (f"{_WORKFLOW}:unclaim_command", "Libera una tarea reclamada."),
    "users": ("engine.cli.tokens:users_group", "Usuarios, roles y dependencias."),  # tokens adds its own to it
}  # fmt: skip
for _name, (_target, _summary) in COMMANDS.items():
    base.cli.add_lazy(_name, _target, _summary)


def load_commands() -> click.Group:
    """The `phva` group with every command module's commands loaded on it (the web app lists them)."""
    import importlib

    for target, _ in COMMANDS.values():  # each module registers its commands on the group
        importlib.import_module(target.split(":")[0])
    return base.cli


def __getattr__(name: str) -> Any:
    if name != "cli":
        raise AttributeError(name)
    return load_commands()


__all__ = ["COMMANDS", "cli", "load_commands", "main"]


def main() -> None:
    base.cli(prog_name="phva")
