"""A database outage under the deployed shape: gunicorn and a `phva scheduler` on a PostgreSQL cluster that is
crashed (pg_ctl stop -m immediate) and started again. While it is down a signed-in page and the API answer
503 with Retry-After and a Spanish page or the API's envelope; each process logs one
warning for the outage
and one line when it is back, and no traceback."""

from __future__ import annotations

import http.cookiejar
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from engine.bootstrap import create_context
from engine.config import Settings
from engine.identity import users
from engine.store.metadata import metadata
from tests.pg import PostgresServer, postgres_unavailable_reason
from tests.processes import Processes, call, free_port

pytestmark = [pytest.mark.slow, pytest.mark.postgres]
PASSWORD = "clave-segura-1"


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str


class Browser:
    """Cookies kept between requests, like a signed-in person's browser."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, form: dict[str, str] | None = None) -> Page:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with self.opener.open(self.base + path, data=data, timeout=30) as response:
                return Page(response.status, dict(response.headers), response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, dict(error.headers), error.read().decode())

    def sign_in(self, username: str) -> None:
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.open("/ingresar").text)
        assert token
        landed = self.open("/ingresar", {"usuario": username, "contrasena": PASSWORD, "csrf_token": token[1]})
        assert landed.status == 200 and "Salir" in landed.text


@pytest.fixture
def deployment(tmp_path: Path) -> Iterator[tuple[PostgresServer, Processes, str]]:
    reason = postgres_unavailable_reason()
    if reason:
        pytest.skip(reason)
    server = PostgresServer.start()  # its own cluster: the crash must not touch the other tests' one
    processes: Processes | None = None
    try:
        url = server.empty_database("caida")
        ctx = create_context(Settings(database_url=url, instance_dir=tmp_path / "instance"))
        metadata.create_all(ctx.db.write_engine)
        users.add_user(ctx, "ana", groups="atencion_ciudadano", password=PASSWORD)
        token = users.issue_token(ctx, "ana")
        ctx.db.dispose()
        processes = Processes(url, tmp_path)
        yield server, processes, token
    finally:
        if processes is not None:
            processes.stop_all()
        server.stop()


def test_a_database_outage_answers_503_with_retry_after_logs_once_and_recovers(
    deployment: tuple[PostgresServer, Processes, str],
) -> None:
    server, processes, token = deployment
    port = free_port()
    processes.web("web", port, workers=1)  # one worker: its log lines are exactly the outage's
    processes.scheduler("vigia")
    processes.wait_ready([port], ["vigia"])
    browser = Browser(port)
    browser.sign_in("ana")
    assert browser.open("/tareas").status == 200
    assert call(port, "GET", "/api/v1/tasks", token)[0] == 200

    server.halt()
    time.sleep(6)  # past the 5 s the web keeps who a session or token is
    for _ in range(5):
        page = browser.open("/tareas")
        assert page.status == 503, page.text[:500]
        assert page.headers["Retry-After"] == "5" and page.headers["Content-Type"].startswith("text/html")
        assert "Servicio no disponible" in page.text and "la base de datos no responde" in page.text
        status, body = call(port, "GET", "/api/v1/tasks", token)
        assert status == 503 and set(body) == {"error", "details"} and "base de datos" in body["error"]
        status, body = call(port, "POST", "/api/v1/process-instances", token, {"process_key": "x"})
        assert status == 503 and "no hayan quedado guardados" in body["error"]
    assert call(port, "GET", "/health")[0] == 200  # the process is alive: a balancer keeps it

    server.resume()
    deadline = time.monotonic() + 15
    while browser.open("/tareas").status != 200:
        assert time.monotonic() < deadline, "the web did not come back"
        time.sleep(0.2)
    assert call(port, "GET", "/api/v1/tasks", token)[0] == 200
    deadline = time.monotonic() + 15
    while "volvió" not in processes.log("vigia"):
        assert time.monotonic() < deadline, processes.log("vigia")
        time.sleep(0.2)
    processes.stop_all()

    web = processes.log("web")
    assert "Traceback" not in web and "[ERROR]" not in web, web[-3000:]
    assert web.count("La base de datos no está disponible") == 1, web[-3000:]
    assert web.count("Base de datos disponible de nuevo") == 1, web[-3000:]
    assert "[WARNING]" in web and "[INFO] Base de datos disponible de nuevo" in web
    scheduler = processes.log("vigia")
    assert "Traceback" not in scheduler, scheduler[-3000:]
    assert scheduler.count("no responde") == 1 and scheduler.count("volvió") == 1, scheduler
