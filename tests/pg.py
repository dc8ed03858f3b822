"""A throwaway PostgreSQL cluster for tests, started with the machine's initdb/pg_ctl."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
from sqlalchemy.engine import make_url

# Backends of this database waiting on a lock: a test knows its transaction queued where it meant it to.
LOCK_WAITERS = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = current_database()"
)


def _pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def postgres_unavailable_reason() -> str | None:
    if _pg_bin("initdb") is None or _pg_bin("pg_ctl") is None:
        return "initdb/pg_ctl not found (apt-get install postgresql, or set PHVA_TEST_DATABASE_URL)"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return "running as root and there is no 'postgres' user to run the cluster"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresServer:
    template_name = "phva_template"

    def __init__(self, base_url: str, data_dir: Path | None, runner: list[str]) -> None:
        self.base_url = base_url
        self.data_dir = data_dir
        self.runner = runner
        self.options = ""

    @classmethod
    def external(cls, url: str) -> PostgresServer:
        server = cls(url, None, [])
        server._recreate(cls.template_name, template=None)
        return server

    @classmethod
    def start(cls) -> PostgresServer:
        # Its own directory under /tmp: pytest's tmp dirs are private to root, and the cluster runs as postgres.
        workdir = Path(tempfile.mkdtemp(prefix="phva-pg-"))
        data_dir = workdir / "data"
        runner: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            os.chown(workdir, user.pw_uid, user.pw_gid)
            runner = ["runuser", "-u", "postgres", "--"]
        port = _free_port()
        _run(
            [
                *runner,
                str(_pg_bin("initdb")),
                "-D",
                str(data_dir),
                "-A",
                "trust",
                "-U",
                "postgres",
                "-E",
                "UTF8",
                "--no-locale",
            ]
        )
        options = (
            f"-p {port} -c listen_addresses=127.0.0.1 -k {workdir} -c fsync=off "
            "-c full_page_writes=off -c synchronous_commit=off -c max_connections=200"
        )
        _run(
            [
                *runner,
                str(_pg_bin("pg_ctl")),
                "-D",
                str(data_dir),
                "-o",
                options,
                "-w",
                "-l",
                str(workdir / "log"),
                "start",
            ]
        )
        server = cls(f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres", data_dir, runner)
        server.options = options
        server._recreate(cls.template_name, template=None)
        return server

    def halt(self) -> None:
        """Stop the cluster as a crash would, keeping its data, to test an outage (see `resume`)."""
        assert self.data_dir is not None
        _run([*self.runner, str(_pg_bin("pg_ctl")), "-D", str(self.data_dir), "-m", "immediate", "stop"])

    def resume(self) -> None:
        assert self.data_dir is not None
        log = str(self.data_dir.parent / "log")
        _run([*self.runner, str(_pg_bin("pg_ctl")), "-D", str(self.data_dir), "-o", self.options, "-w", "-l", log,
              "start"])  # fmt: skip

    def url_for(self, database: str) -> str:
        return make_url(self.base_url).set(database=database).render_as_string(hide_password=False)

    def _admin(self) -> psycopg.Connection:
        url = make_url(self.base_url)
        return psycopg.connect(
            host=url.host,
            port=url.port or 5432,
            user=url.username,
            password=url.password,
            dbname=url.database or "postgres",
            autocommit=True,
        )

    def _recreate(self, name: str, template: str | None) -> None:
        with self._admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))

    def empty_database(self, name: str) -> str:
        self._recreate(name, template=None)
        return self.url_for(name)

    def fresh_database(self, name: str) -> str:
        self._recreate(name, self.template_name)
        return self.url_for(name)

    def stop(self) -> None:
        if self.data_dir is not None:
            subprocess.run(
                [*self.runner, str(_pg_bin("pg_ctl")), "-D", str(self.data_dir), "-m", "immediate", "stop"],
                capture_output=True,
            )
            shutil.rmtree(self.data_dir.parent, ignore_errors=True)


def _run(command: list[str]) -> None:
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed: {done.stderr or done.stdout}")
