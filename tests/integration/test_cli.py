"""The issue's done-when, from the command line: deploy, start, claim, refuse bad data, complete, conflict."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from engine.store import db
from tests.conftest import make_empty_database_url
from tests.helpers import DATA, SOLICITUD, TASK_FIELDS, phva_runner


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def phva(request: pytest.FixtureRequest, tmp_path: Path):
    return phva_runner(
        PHVA_DATABASE_URL=make_empty_database_url(request.param, request, tmp_path),
        PHVA_INSTANCE_DIR=str(tmp_path / "instance"),
        PHVA_BPMN_DIR=str(tmp_path / "none"),
        PHVA_ADMIN_PASSWORD="clave-de-prueba",
    )


def test_camunda_modeler_file_runs_end_to_end_from_the_cli(phva) -> None:
    assert phva("init").exit_code == 0
    deployed = phva("deploy", *(str(DATA / name) for name in SOLICITUD))
    assert deployed.exit_code == 0, deployed.output
    assert "atender_solicitud' versión 1" in deployed.output
    for user, groups in (("ana", "atencion_ciudadano"), ("beto", "atencion_ciudadano"), ("juan", "juridica")):
        assert phva("users", "add", user, "--groups", groups, "--create").exit_code == 0
    started = phva(
        "start",
        "atender_solicitud",
        "--data",
        '{"solicitante": "ana", "tipo": "queja"}',
        "--business-key",
        "R-7",
        "--json",
    )
    assert started.exit_code == 0, started.output
    record = json.loads(started.output)
    assert set(record) == {"id", "process_key", "version", "status"} and record["status"] == "running"

    listed = json.loads(phva("tasks", "--user", "ana", "--json").output)
    [review] = listed
    assert set(review) >= TASK_FIELDS
    assert phva("tasks", "--user", "juan", "--json").output.strip() == "[]"

    assert phva("claim", str(review["id"]), "--user", "ana").exit_code == 0
    bad = phva("complete", str(review["id"]), "--user", "ana", "--data", '{"folios": "tres"}')
    assert bad.exit_code == 2
    assert "concepto" in bad.output and "folios" in bad.output and "Traceback" not in bad.output
    forbidden = phva("complete", str(review["id"]), "--user", "juan", "--data", "{}")
    assert forbidden.exit_code == 1 and "juan" in forbidden.output

    good = phva(
        "complete",
        str(review["id"]),
        "--user",
        "ana",
        "--data",
        '{"concepto": "Procede", "folios": 2, "aprobado": true}',
    )
    assert good.exit_code == 0, good.output
    again = phva("complete", str(review["id"]), "--user", "ana", "--data", '{"concepto": "x"}')
    assert again.exit_code == 1 and "ya fue completada" in again.output

    shown = json.loads(phva("show", str(record["id"]), "--json").output)
    assert [h["action"] for h in shown["history"]].count("task_completed") == 1
    assert any(t["name"] == "Responder" and t["assignee"] == "ana" for t in shown["tasks"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("start", "no_existe"), "no_existe"),
        (("start", "x", "--data", "{nope"), "JSON inválido"),
        (("complete", "abc", "--user", "ana"), "abc"),
        (("deploy", "/no/such/file.bpmn"), "No existe el archivo"),
        (("users", "add", "Ana Maria"), "Nombre de usuario inválido"),
        (("users", "add", "ana", "--roles", "jefe"), "Rol desconocido"),
        (("tasks", "--user", "nadie"), "nadie"),
    ],
)
def test_bad_input_is_one_clear_line_and_exit_2(phva, args: tuple[str, ...], message: str) -> None:
    assert phva("init").exit_code == 0
    result = phva(*args)
    assert result.exit_code == 2, result.output
    assert message in result.output
    assert "Traceback" not in result.output


def test_deploy_check_reports_file_element_and_problem(phva, tmp_path: Path) -> None:
    broken = tmp_path / "roto.bpmn"
    broken.write_text((DATA / "loop.bpmn").read_text().replace('targetRef="fin"', 'targetRef="nada"'))
    result = phva("deploy", "--check", str(broken))
    assert result.exit_code == 2
    assert "roto.bpmn" in result.output and "nada" in result.output


def test_console_script_is_installed_and_answers() -> None:
    phva_bin = Path(sys.executable).with_name("phva")
    done = subprocess.run([str(phva_bin), "--help"], capture_output=True, text=True, env=os.environ.copy())
    assert done.returncode == 0 and "deploy" in done.stdout


def test_tokens_are_listed_and_revoked_from_the_cli(phva) -> None:
    assert phva("init").exit_code == 0
    assert phva("users", "add", "bus", "--roles", "mensajes").exit_code == 0
    assert phva("users", "token", "bus", "--days", "7").output.startswith("phva_")
    listed = phva("users", "tokens", "bus", "--json")
    assert listed.exit_code == 0
    (token,) = json.loads(listed.output)
    assert token["expires_at"] > token["created_at"]
    assert phva("users", "revoke", str(token["id"])).exit_code == 0
    assert json.loads(phva("users", "tokens", "bus", "--json").output) == []
    unknown = phva("users", "revoke", str(token["id"]))
    assert unknown.exit_code == 2 and "No existe el token" in unknown.output
    assert phva("users", "token", "bus", "--days", "0").exit_code == 2


def test_an_unreachable_database_is_said_so_with_exit_75_not_as_an_unexpected_error(tmp_path: Path) -> None:
    run = phva_runner(
        PHVA_DATABASE_URL="postgresql+psycopg://phva@127.0.0.1:1/phva",  # nothing listens on port 1
        PHVA_INSTANCE_DIR=str(tmp_path / "instance"),
    )
    done = run("tasks", "--all")
    assert done.exit_code == 75, done.output
    assert "la base de datos no responde" in done.output and "PHVA_DATABASE_URL" in done.output
    assert "inesperado" not in done.output and "Traceback" not in done.output


def test_a_sqlite_database_locked_by_another_process_is_busy_and_nothing_changes(
    phva_sqlite_locked: tuple[Callable[..., Any], sqlite3.Connection],
) -> None:
    run, holder = phva_sqlite_locked
    done = run("users", "add", "carla", "--groups", "juridica", "--create")
    assert done.exit_code == 75, done.output
    assert "ocupada con los cambios de otro proceso" in done.output and "No se cambió nada" in done.output
    assert "Otro usuario" not in done.output and "inesperado" not in done.output
    holder.execute("ROLLBACK")
    assert "carla" not in run("users", "list").output


@pytest.fixture
def phva_sqlite_locked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Callable[..., Any], sqlite3.Connection]]:
    """`phva` on a SQLite file whose write lock another connection holds (BEGIN IMMEDIATE), with a busy
    timeout of 0.2 s instead of 15."""
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 200)
    path = tmp_path / "phva.db"
    run = phva_runner(PHVA_DATABASE_URL=f"sqlite:///{path}", PHVA_INSTANCE_DIR=str(tmp_path / "instance"),
                      PHVA_BPMN_DIR=str(tmp_path / "none"), PHVA_ADMIN_PASSWORD="clave-de-prueba")  # fmt: skip
    assert run("init").exit_code == 0
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    yield run, holder
    holder.close()


def test_init_after_a_changed_amarillo_share_recomputes_the_dashboard(tmp_path: Path) -> None:
    """The README's way to change PHVA_SEMAFORO_AMARILLO in a large entity: `phva init`, not the first page."""
    env = {
        "PHVA_DATABASE_URL": f"sqlite:///{tmp_path / 'phva.db'}",
        "PHVA_INSTANCE_DIR": str(tmp_path / "instance"),
        "PHVA_BPMN_DIR": str(tmp_path / "none"),
    }
    shares = []
    for percent in ("50", "30"):
        assert phva_runner(**env, PHVA_SEMAFORO_AMARILLO=percent)("init").exit_code == 0
        with closing(sqlite3.connect(tmp_path / "phva.db")) as conn:
            shares.append(conn.execute("SELECT amarillo_share FROM supervision_state").fetchone()[0])
    assert shares == [0.5, 0.3]
