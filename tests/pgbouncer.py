"""A throwaway PgBouncer in transaction mode in front of a test PostgreSQL (Debian package `pgbouncer`)."""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

from sqlalchemy.engine import make_url

from tests.pg import PostgresServer

BINARY = "/usr/sbin/pgbouncer"


def pgbouncer_unavailable_reason() -> str | None:
    if shutil.which("pgbouncer") is None and not Path(BINARY).exists():
        return "pgbouncer not found (apt-get install pgbouncer; make test-deps does)"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgBouncer:
    """`pool_mode = transaction`: each transaction may run on another server connection, so session state
    (prepared statements, session advisory locks, SET) does not carry from one transaction to the next."""

    def __init__(self, server: PostgresServer, pool_size: int = 4, query_wait_timeout: int = 120) -> None:
        target = make_url(server.base_url)
        self.workdir = Path(tempfile.mkdtemp(prefix="phva-pgbouncer-"))
        self.port = _free_port()
        runner: list[str] = []
        if os.geteuid() == 0:  # pgbouncer refuses to run as root
            user = pwd.getpwnam("postgres")
            os.chown(self.workdir, user.pw_uid, user.pw_gid)
            runner = ["runuser", "-u", "postgres", "--"]
        config = self.workdir / "pgbouncer.ini"
        config.write_text(
            "[databases]\n"
            f"* = host={target.host} port={target.port} user={target.username}\n"
            "[pgbouncer]\n"
            f"listen_addr = 127.0.0.1\nlisten_port = {self.port}\nunix_socket_dir =\n"
            "auth_type = any\npool_mode = transaction\n"
            f"default_pool_size = {pool_size}\nmax_client_conn = 500\nquery_wait_timeout = {query_wait_timeout}\n"
            "server_reset_query =\nignore_startup_parameters = extra_float_digits\n"
            f"logfile = {self.workdir / 'pgbouncer.log'}\npidfile = {self.workdir / 'pgbouncer.pid'}\n"
        )
        binary = shutil.which("pgbouncer") or BINARY
        self.process = subprocess.Popen([*runner, binary, str(config)], stdout=subprocess.DEVNULL,
                                        stderr=subprocess.STDOUT)  # fmt: skip
        self.base_url = target.set(port=self.port).render_as_string(hide_password=False)
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise RuntimeError(f"pgbouncer did not start: {self.log()}") from None
                time.sleep(0.05)

    def url_for(self, database: str) -> str:
        return make_url(self.base_url).set(database=database).render_as_string(hide_password=False)

    def log(self) -> str:
        path = self.workdir / "pgbouncer.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.workdir, ignore_errors=True)
