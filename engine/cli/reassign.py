"""`phva reassign`: move open tasks to a person or a dependencia, with a reason, as the web's reassignment does."""

from __future__ import annotations

import click

from engine.cli.base import cli, context, emit, handled, json_option
from engine.errors import BadInput
from engine.identity import users
from engine.workflow import reassign

MAX_ID = 2**63 - 1  # a bigint: the ids the database can hold


@cli.command(
    "reassign", help="Reasigna una o varias tareas abiertas a una persona y/o dependencia, con motivo."
)
@click.argument("task_ids", nargs=-1, metavar="TASK_ID…")
@click.option("--to", "to_user", help="Usuario que recibe las tareas.")
@click.option("--group", "to_group", help="Dependencia a la que pasan las tareas.")
@click.option("--reason", default="", help="Motivo de la reasignación (obligatorio; queda en la auditoría).")
@click.option("--as", "as_user", required=True, help="Usuario que reasigna (un supervisor o administrador).")
@json_option
@handled
def reassign_command(
    task_ids: tuple[str, ...],
    to_user: str | None,
    to_group: str | None,
    reason: str,
    as_user: str,
    as_json: bool,
) -> None:
    ids = [_task_id(text) for text in task_ids]
    ctx = context()
    actor = users.get_user(ctx, as_user)
    moved = reassign.reassign_tasks(ctx, actor, ids, to_user=to_user, to_group=to_group, reason=reason)
    emit(
        moved,
        as_json,
        lambda rows: [
            f"Tarea {t['id']} («{t['name']}») reasignada a "
            f"{t['assignee'] or 'la dependencia ' + ', '.join(t['candidate_groups'])}."
            for t in rows
        ],
    )


def _task_id(text: str) -> int:
    value = text.strip()
    if not value.isdigit() or not 0 < int(value) <= MAX_ID:
        raise BadInput(
            f"«{text}» no es un número de tarea válido.", {"TASK_ID": "Use el número de la tarea."}
        )
    return int(value)
