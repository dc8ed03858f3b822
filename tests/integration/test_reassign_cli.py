"""Issue 11: `phva reassign TASK_ID… --to USER [--group G] --reason TEXT --as USER` reassigns as the web does —
audited, the new holder notified, all or nothing — and bad input is one Spanish line, exit 2, nothing moved."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import select

from engine.context import Context
from engine.store.notification_tables import Notification
from engine.store.tables import AuditEvent, Task
from engine.store.uow import UnitOfWork
from tests.helpers import SOLICITUD, deploy_files, open_tasks, phva_runner, staff, start_model

Phva = Callable[..., Result]


@pytest.fixture
def phva(ctx: Context, tmp_path: Path) -> Phva:
    return phva_runner(
        PHVA_DATABASE_URL=ctx.settings.database_url,
        PHVA_INSTANCE_DIR=str(tmp_path / "instance"),
        PHVA_BPMN_DIR=str(tmp_path / "none"),
    )


def _two_requests(ctx: Context) -> list[int]:
    """Two open review tasks of atencion_ciudadano (ana, beto and the supervisor sofia work there)."""
    staff(ctx)
    deploy_files(ctx, *SOLICITUD)
    ids = []
    for n in range(2):
        started = start_model(
            ctx, "atender_solicitud", {"solicitante": "ana", "tipo": "queja", "asunto": f"A{n}"}
        )
        [task] = open_tasks(ctx, started.id)
        ids.append(int(task["id"]))
    return ids


def _holders(ctx: Context, ids: list[int]) -> list[tuple[str | None, list[str]]]:
    by_id = {t["id"]: t for i in ids for t in open_tasks(ctx, _instance_of(ctx, i))}
    return [(by_id[i]["assignee"], by_id[i]["candidate_groups"]) for i in ids]


def _instance_of(ctx: Context, task_id: int) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return int(uow.session.scalar(select(Task.instance_id).where(Task.id == task_id)) or 0)


def _reassignments(ctx: Context) -> list[tuple[str | None, int | None, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(AuditEvent.actor, AuditEvent.task_id, AuditEvent.summary)
            .where(AuditEvent.action == "reasignar")
            .order_by(AuditEvent.id)
        )
        return [(r.actor, r.task_id, r.summary) for r in rows]


def _notified(ctx: Context, who: str) -> list[str]:
    with UnitOfWork(ctx.db, write=False) as uow:
        return list(uow.session.scalars(select(Notification.subject).where(Notification.recipient == who)))


def test_a_supervisor_reassigns_tasks_in_bulk_from_the_cli_audited_and_notified(
    ctx: Context, phva: Phva
) -> None:
    ids = _two_requests(ctx)
    done = phva(
        "reassign", *map(str, ids), "--to", "beto", "--reason", "Ana está de vacaciones", "--as", "sofia"
    )
    assert done.exit_code == 0, done.output
    assert [line.startswith(f"Tarea {i} (") and line.endswith("reasignada a beto.") for i, line in
            zip(ids, done.output.splitlines(), strict=True)] == [True, True]  # fmt: skip
    assert [holder for holder, _ in _holders(ctx, ids)] == ["beto", "beto"]
    assert [(a, t) for a, t, _ in _reassignments(ctx)] == [("sofia", ids[0]), ("sofia", ids[1])]
    assert all("Motivo: Ana está de vacaciones" in summary for _, _, summary in _reassignments(ctx))
    assert len([s for s in _notified(ctx, "beto") if s.startswith("Tarea asignada")]) == 2


def test_reassigning_to_a_dependencia_prints_json_of_the_tasks_as_they_now_are(
    ctx: Context, phva: Phva
) -> None:
    ids = _two_requests(ctx)
    done = phva("reassign", str(ids[0]), "--group", "juridica", "--reason", "Es de su competencia", "--as", "root",
                "--json")  # fmt: skip
    assert done.exit_code == 0, done.output
    [task] = json.loads(done.output)
    assert (task["id"], task["assignee"], task["candidate_groups"]) == (ids[0], None, ["juridica"])
    assert _holders(ctx, ids) == [(None, ["juridica"]), (None, ["atencion_ciudadano"])]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("{t}", "--to", "beto", "--as", "sofia"), "Escriba el motivo de la reasignación."),
        (
            ("{t}", "--reason", "x", "--as", "sofia"),
            "Indique a qué persona o a qué dependencia pasa la tarea.",
        ),
        (("{t}", "--to", "nadie", "--reason", "x", "--as", "sofia"), "No existe el usuario 'nadie'."),
        (("{t}", "--to", "beto", "--reason", "x", "--as", "fantasma"), "No existe el usuario 'fantasma'."),
        (("x{t}", "--to", "beto", "--reason", "x", "--as", "sofia"), "no es un número de tarea válido"),
        (
            ("9223372036854775808", "--to", "beto", "--reason", "x", "--as", "sofia"),
            "no es un número de tarea",
        ),
        (("999999", "--to", "beto", "--reason", "x", "--as", "sofia"), "No existe la tarea 999999."),
        (("--to", "beto", "--reason", "x", "--as", "sofia"), "Elija al menos una tarea para reasignar."),
        (("{t}", "--to", "beto", "--reason", "x" * 501, "--as", "sofia"), "hasta 500 caracteres"),
    ],
)
def test_bad_input_is_one_spanish_line_exit_2_and_nothing_moves(
    ctx: Context, phva: Phva, args: tuple[str, ...], message: str
) -> None:
    ids = _two_requests(ctx)
    before = _holders(ctx, ids)
    done = phva("reassign", *(a.format(t=ids[0]) for a in args))
    assert done.exit_code == 2, done.output
    assert message in done.output and "Traceback" not in done.output and "inesperado" not in done.output
    assert _holders(ctx, ids) == before and _reassignments(ctx) == []


def test_one_refused_task_moves_none_and_names_it(ctx: Context, phva: Phva) -> None:
    ids = _two_requests(ctx)
    before = _holders(ctx, ids)
    done = phva("reassign", *map(str, ids), "--to", "juan", "--reason", "Traslado interno", "--as", "ana")
    assert done.exit_code == 1, done.output  # a funcionario reassigns nobody's task
    assert "No se reasignó ninguna de las 2 tareas." in done.output and f"la tarea {ids[0]}" in done.output
    assert _holders(ctx, ids) == before and _reassignments(ctx) == []
