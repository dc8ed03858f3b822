"""`phva timers` answers from the database driver alone: the same rows, order and output as the engine's
read model, a --limit (100 by default), and no engine, SQLAlchemy or web app loaded on the way; `phva --help`
and a mistyped command load no command module at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import insert

from engine.context import Context
from engine.store.tables import Timer
from engine.store.uow import UnitOfWork
from engine.workflow import views

PHVA = str(Path(sys.executable).with_name("phva"))


def _phva(ctx: Context, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PHVA_DATABASE_URL": ctx.db.url}
    return subprocess.run([PHVA, "timers", *args], env=env, capture_output=True, text=True, timeout=60)


def _waiting(ctx: Context, n: int) -> None:
    now = datetime.now(UTC)
    rows = [
        {"bpmn_id": f"T{i}", "name": f"Temporizador {i}", "kind": "start", "timer_type": "date",
         "interrupting": True, "due_at": now + timedelta(hours=i - n // 2), "status": "waiting",
         "created_at": now, "attempts": 0}
        for i in range(n)
    ]  # fmt: skip
    with UnitOfWork(ctx.db) as uow:
        uow.session.execute(insert(Timer), rows)
        uow.commit()


def test_the_quick_timers_command_prints_what_the_read_model_lists(ctx: Context) -> None:
    _waiting(ctx, 8)
    ctx.clock.set(datetime.now(UTC))  # type: ignore[attr-defined]
    expected = views.timers(ctx, overdue=True, limit=3)
    done = _phva(ctx, "--overdue", "--limit", "3", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == expected and len(expected) == 3
    listed = _phva(ctx)
    assert listed.returncode == 0
    assert len(listed.stdout.splitlines()) == 8 and "vence" in listed.stdout
    refused = _phva(ctx, "--limit", "0")
    assert refused.returncode == 2 and "--limit" in refused.stderr


HEAVY = ("flask", "werkzeug", "jinja2", "SpiffWorkflow", "lxml", "apscheduler", "sqlalchemy", "engine.context",
         "web.app", "weasyprint", "reportlab", "openpyxl")  # fmt: skip


def _imported(args: list[str], env: dict[str, str]) -> set[str]:
    """The modules a `phva ARGS` process has loaded when it exits (-X importtime misses import_module)."""
    probe = (
        "import atexit, sys\n"
        "out = sys.argv.pop()\n"
        "atexit.register(lambda: print(*sorted(sys.modules), sep='\\n', file=open(out, 'w')))\n"
        "from web.cli import main\n"
        "sys.argv[0] = 'phva'\n"
        "main()\n"
    )
    with tempfile.NamedTemporaryFile("r", suffix=".txt") as listing:
        subprocess.run(
            [sys.executable, "-c", probe, *args, listing.name], env=env, capture_output=True, timeout=60
        )
        return set(Path(listing.name).read_text().split())


def test_the_quick_timers_command_loads_neither_the_engine_nor_the_web_app(ctx: Context) -> None:
    _waiting(ctx, 8)
    env = {**os.environ, "PHVA_DATABASE_URL": ctx.db.url}
    loaded = _imported(["timers", "--overdue", "--limit", "5"], env)
    assert "engine.cli.overdue" in loaded and ("psycopg" in loaded) == ctx.db.url.startswith("postgresql")
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY) == []


@pytest.mark.parametrize(
    ("args", "light"),
    [
        (["--help"], set()),
        (["timer"], set()),
        (["timers", "--limit", "cinco"], {"engine.cli.overdue"}),
    ],
)
def test_help_and_bad_input_load_no_other_command(args: list[str], light: set[str]) -> None:
    loaded = _imported(args, dict(os.environ))
    assert sorted(m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY) == []
    commands = {m for m in loaded if m.startswith("engine.cli.")} - {"engine.cli.base", "engine.cli.spanish"}
    assert commands == light


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--limit", "cinco"], "Valor inválido en '--limit': 'cinco' no es un entero válido."),
        (["--limit", "0"], "Valor inválido en '--limit': 0 está fuera del rango 1<=x<=100000."),
        (["--limit", "-5"], "Valor inválido en '--limit': -5 está fuera del rango 1<=x<=100000."),
        (["--limit"], "La opción '--limit' necesita un valor."),
        (["--vencidos"], "No existe la opción '--vencidos'."),
    ],
)
def test_a_bad_limit_is_refused_in_spanish_with_exit_2(tmp_path: Path, args: list[str], says: str) -> None:
    env = {**os.environ, "PHVA_DATABASE_URL": f"sqlite:///{tmp_path / 'no.db'}"}
    done = subprocess.run([PHVA, "timers", *args], env=env, capture_output=True, text=True, timeout=60)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.splitlines()[-1] == f"Error: {says}"


def test_without_a_database_it_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PHVA_DATABASE_URL": f"sqlite:///{tmp_path / 'no.db'}"}
    done = subprocess.run([PHVA, "timers", "--overdue"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "phva init" in done.stderr and "Traceback" not in done.stderr


def test_the_help_lists_every_command_by_the_summary_of_its_own_help() -> None:
    from engine.cli import base
    from web.cli import cli

    listed = {name: base.cli.lazy[name][1] for name in base.cli.lazy}
    assert set(listed) == set(cli.commands) | {"serve"}
    assert {name: base.cli.load(name).get_short_help_str(limit=10_000) for name in listed} == listed
