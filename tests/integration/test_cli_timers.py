"""`phva timers` answers from the database driver alone: the same rows, order and output as the engine's
read model, a --limit (100 by default), and no engine, SQLAlchemy or web app loaded on the way."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

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


def test_the_quick_timers_command_loads_neither_the_engine_nor_sqlalchemy() -> None:
    probe = (
        "import sys; sys.argv = ['phva', 'timers', '--help']\n"
        "from web.cli import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('sqlalchemy', 'flask', 'SpiffWorkflow', 'engine.context') if m in sys.modules]\n"
        "print(heavy)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip().splitlines()[-1] == "[]", done.stdout + done.stderr


def test_without_a_database_it_says_so_in_one_line(tmp_path: Path) -> None:
    env = {**os.environ, "PHVA_DATABASE_URL": f"sqlite:///{tmp_path / 'no.db'}"}
    done = subprocess.run([PHVA, "timers", "--overdue"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "phva init" in done.stderr and "Traceback" not in done.stderr
