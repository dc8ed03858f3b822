"""phva run as it is deployed, for the tests and benches that need real processes: gunicorn web workers and
`phva scheduler`s on one database, each writing a log to read back, and a JSON API client for them.

No pytest here, so bench/ can use it too: a wait that runs out raises TimeoutError.
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
PHVA = str(Path(sys.executable).with_name("phva"))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def call(port: int, method: str, path: str, token: str = "", payload: Any = None,
         timeout: float = 30) -> tuple[int | None, Any]:  # fmt: skip
    """One API request with a bearer token: (status, the JSON body or the first bytes of another);
    (None, None) when the connection failed or was dropped."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        body = json.dumps(payload).encode() if payload is not None else None
        conn.request(method, path, body=body, headers={"Authorization": f"Bearer {token}",
                                                       "Content-Type": "application/json"})  # fmt: skip
        response = conn.getresponse()
        raw = response.read()
        try:
            return response.status, json.loads(raw) if raw else None
        except ValueError:
            return response.status, raw[:300]
    except (OSError, http.client.HTTPException):
        return None, None
    finally:
        conn.close()


def healthy(port: int) -> bool:
    return call(port, "GET", "/health", timeout=2)[0] == 200


def wait_until(condition: Callable[[], bool], timeout: float, what: str,
               log: Callable[[], str] | None = None) -> None:  # fmt: skip
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            tail = f"\n{log()[-3000:]}" if log else ""
            raise TimeoutError(f"timed out after {timeout} s waiting for {what}{tail}")
        time.sleep(0.1)


def children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


class Processes:
    """Child processes on one database, as a deployment runs them: the web app under gunicorn (its own
    scheduler off) and separate `phva scheduler`s. Each one's output goes to `<logs>/<name>.log`."""

    def __init__(self, url: str, workdir: Path, **env: str) -> None:
        self.logs = workdir
        self.env = {
            **os.environ,
            "PHVA_DATABASE_URL": url,
            "PHVA_INSTANCE_DIR": str(workdir / "instance"),
            "PHVA_BPMN_DIR": str(workdir / "none"),
            "PHVA_FORMS_DIR": str(workdir / "none"),
            "PHVA_SCHEDULER": "off",
            "PHVA_SECRET_KEY": "pruebas",
            **env,
        }
        self.env.pop("PHVA_LOG_LEVEL", None)
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def spawn(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        with (self.logs / f"{name}.log").open("wb") as log:
            process = subprocess.Popen(list(command), env=self.env, stdout=log, stderr=subprocess.STDOUT)
        self.running[name] = process
        return process

    def web(self, name: str, port: int, workers: int = 1) -> subprocess.Popen[bytes]:
        return self.spawn(name, GUNICORN, "-w", str(workers), "-b", f"127.0.0.1:{port}", "--timeout", "60",
                          "--no-control-socket", "web:create_app()")  # fmt: skip

    def scheduler(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        return self.spawn(name, PHVA, "scheduler", "--name", name, *args)

    def wait_ready(self, ports: list[int], schedulers: list[str], timeout: float = 120) -> None:
        """Until every web port answers /health and every scheduler has logged that it is running."""
        for port in ports:
            wait_until(functools.partial(healthy, port), timeout, f"gunicorn on {port}", self.all_logs)
        wait_until(lambda: all("en marcha" in self.log(n) for n in schedulers), timeout, "the schedulers",
                   self.all_logs)  # fmt: skip

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        """`phva ARGS…` run to its end on the same database; a failed one raises with its stderr."""
        done = subprocess.run([PHVA, *args], env=self.env, capture_output=True, text=True, timeout=timeout)
        if done.returncode != 0:
            raise RuntimeError(f"phva {' '.join(args)} exited {done.returncode}: {done.stderr}")
        return done

    def log(self, name: str) -> str:
        return (self.logs / f"{name}.log").read_text(errors="replace")

    def all_logs(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)}" for name in self.running)

    def stop(self, name: str) -> None:
        """SIGTERM to one, then wait for it (killing it if it takes over 20 s); it leaves `running`."""
        process = self.running.pop(name)
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        _wait(process)

    def stop_all(self) -> None:
        """SIGTERM to all, then wait for each (killing one that takes over 20 s)."""
        for process in self.running.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running.values():
            _wait(process)


def _wait(process: subprocess.Popen[bytes]) -> None:
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
