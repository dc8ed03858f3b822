"""`phva timers [--overdue] [--limit N] [--json]` with nothing but the database driver: an operator's
quick look at what is due must not wait for the engine, SpiffWorkflow and the web app to load.

The same rows, order and output as `views.timers` and the full command (`flask --app web timers`), read
with one indexed SELECT (ix_timers_status_due). Imports: the standard library, click, and sqlite3 or psycopg.
"""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import click

DEFAULT_LIMIT = 100
_SELECT = (
    "SELECT id, instance_id, bpmn_id, name, kind, timer_type, interrupting, due_at, status FROM timers "
    "WHERE status = 'waiting'{overdue} ORDER BY due_at, id LIMIT {limit}"
)
NOT_READY = "La base de datos no está inicializada o le faltan tablas: ejecute 'phva init'."


def _url() -> str:
    instance_dir = Path(os.environ.get("PHVA_INSTANCE_DIR", "instance")).resolve()
    return os.environ.get("PHVA_DATABASE_URL") or f"sqlite:///{instance_dir / 'phva.db'}"


def _rows(url: str, now: datetime, overdue: bool, limit: int) -> list[tuple[Any, ...]]:
    parts = urlsplit(url)
    scheme = parts.scheme.split("+")[0]
    if scheme == "sqlite":
        import sqlite3

        path = url.split(":///", 1)[1] if ":///" in url else ""
        if not path or not Path(path).exists():
            raise LookupError(NOT_READY)
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        stamp = now.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
        sql = _SELECT.format(overdue=" AND due_at <= ?" if overdue else "", limit=int(limit))
        try:
            return conn.execute(sql, (stamp,) if overdue else ()).fetchall()
        except sqlite3.OperationalError as error:
            raise LookupError(NOT_READY) from error
        finally:
            conn.close()
    if scheme in ("postgresql", "postgres"):
        import psycopg

        conninfo: dict[str, Any] = {
            "host": parts.hostname or None,
            "port": parts.port or None,
            "user": unquote(parts.username) if parts.username else None,
            "password": unquote(parts.password) if parts.password else None,
            "dbname": parts.path.lstrip("/") or None,
        }
        with psycopg.connect(**{k: v for k, v in conninfo.items() if v is not None}) as pg:
            sql = _SELECT.format(overdue=" AND due_at <= %s" if overdue else "", limit=int(limit))
            try:
                return pg.execute(sql, (now,) if overdue else ()).fetchall()  # type: ignore[call-overload]
            except psycopg.errors.UndefinedTable as error:
                raise LookupError(NOT_READY) from error
    raise LookupError(f"PHVA_DATABASE_URL no admitida para este comando: {scheme or url!r}.")


def _moment(value: Any) -> str | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)).isoformat()


def records(url: str, now: datetime, *, overdue: bool, limit: int) -> list[dict[str, Any]]:
    """What `views.timers` returns for the same arguments."""
    return [
        {
            "id": r[0],
            "instance_id": r[1],
            "activity": r[2],
            "name": r[3],
            "kind": r[4],
            "timer_type": r[5],
            "interrupting": bool(r[6]),
            "due_at": _moment(r[7]),
            "status": r[8],
        }
        for r in _rows(url, now, overdue, limit)
    ]


def line(r: dict[str, Any]) -> str:
    owner = f"proceso {r['instance_id']}" if r["instance_id"] is not None else "inicio de proceso"
    return f"{r['id']:>5}  {owner}  {r['activity']}  {r['kind']}  vence {r['due_at']}"


@click.command("timers", help="Lista temporizadores en espera (los primeros --limit, por vencimiento).")
@click.option("--overdue", is_flag=True, help="Solo los ya vencidos.")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=DEFAULT_LIMIT,
    show_default=True,
    help="Cuántos como máximo.",
)
@click.option("--json", "as_json", is_flag=True, help="Imprime JSON.")
def timers(overdue: bool, limit: int, as_json: bool) -> None:
    try:
        found = records(_url(), datetime.now(UTC), overdue=overdue, limit=limit)
    except LookupError as error:
        click.echo(f"Error: {error.args[0]}", err=True)
        sys.exit(1)
    except Exception as error:  # the server is down or refuses us: one line, not a traceback
        if os.environ.get("PHVA_DEBUG"):
            raise
        first = str(error).splitlines()[0] if str(error) else type(error).__name__
        click.echo(f"Error: no se pudo leer la base de datos ({first}).", err=True)
        sys.exit(1)
    if as_json:
        click.echo(json.dumps(found, ensure_ascii=False, indent=2, default=str))
    else:
        for text in [line(r) for r in found] or ["No hay temporizadores en espera."]:
            click.echo(text)
