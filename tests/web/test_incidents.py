"""The incidents page: a failed timer shows with its error, process, step and attempts, and retrying it from the
page fires it; a script that failed after a timer is corrected and retried; who sees and repairs what."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.runtime.workflow import ProcessRun
from engine.store.tables import AuditEvent, Incident, Timer
from engine.store.uow import UnitOfWork
from engine.workflow import instances, timers, views
from tests.helpers import deploy_files, open_tasks
from tests.web.conftest import PASSWORD, engine, post, sign_in


@pytest.fixture
def failing(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """The next N firings raise, as when the database or a mail server drops mid-firing."""
    remaining = [0]
    stock = ProcessRun.advance

    def advance(self: ProcessRun, *args: Any, **kwargs: Any) -> Any:
        if remaining[0] > 0:
            remaining[0] -= 1
            raise ConnectionError("se perdió la conexión con el servidor")
        return stock(self, *args, **kwargs)

    monkeypatch.setattr(ProcessRun, "advance", advance)
    yield remaining


def clock_of(ctx: Context) -> FrozenClock:
    assert isinstance(ctx.clock, FrozenClock)
    return ctx.clock


def failed_timer(ctx: Context, failing: list[int]) -> int:
    """An escalation whose reminder timer failed its three firings: an incident of kind timer."""
    deploy_files(ctx, "timers_escalation.bpmn")
    instance_id = instances.start_process(ctx, "escalamiento", actor="ana").id
    failing[0] = 3
    clock = clock_of(ctx)
    clock.advance(seconds=4)
    for wait in (0, 5, 10):
        clock.advance(seconds=wait)
        assert timers.fire_due_timers(ctx, worker="prueba").failed == 1
    return instance_id


def script_after_timer(ctx: Context) -> int:
    """A timer fires and the script after it fails: `solicitante` is missing."""
    deploy_files(ctx, "timer_script.bpmn")
    instance_id = instances.start_process(ctx, "recordatorio", actor="ana").id
    clock_of(ctx).advance(hours=2)
    assert timers.fire_due_timers(ctx, worker="prueba").fired == 1
    return instance_id


def only_incident(ctx: Context) -> dict[str, Any]:
    [incident] = views.incidents(ctx)
    return incident


def audits(ctx: Context, action: str) -> list[tuple[str | None, str, Any]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [(a.actor, a.summary, a.data_after) for a in rows]


def page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_a_failed_timer_shows_on_the_page_and_retrying_it_there_fires_it(
    any_app: Flask, failing: list[int]
) -> None:
    ctx = engine(any_app)
    instance_id = failed_timer(ctx, failing)
    incident = only_incident(ctx)
    client = any_app.test_client()
    sign_in(client, "root")

    listing = page(client, "/incidentes")
    assert "1 incidente(s) abierto(s)" in listing
    assert "Temporizador" in listing
    assert "El temporizador &#39;3 segundos sin atender&#39; falló 3 veces" in listing
    assert "se perdió la conexión con el servidor" in listing
    assert f'href="/procesos/{instance_id}"' in listing and "Escalamiento por tiempo" in listing
    assert "<code>Recordar</code>" in listing and "3 segundos sin atender" in listing
    row = re.search(r"<tr>.*?</tr>", listing.split("<tbody>")[1], re.S)
    assert row and "<td>3</td>" in row.group(0)  # attempts

    detail = page(client, f"/incidentes/{incident['id']}")
    assert "Qué falló" in detail and "Reintentar" in detail

    done = post(client, f"/incidentes/{incident['id']}/reintentar", {"variables": ""})
    assert done.status_code == 302
    assert "el proceso quedó en curso" in page(client, "/incidentes")
    assert sorted(t["name"] for t in open_tasks(ctx, instance_id)) == [
        "Atender solicitud",
        "Escalar al supervisor",
    ]
    with UnitOfWork(ctx.db, write=False) as uow:
        statuses = list(uow.session.scalars(select(Timer.status).where(Timer.bpmn_id == "Recordar")))
    assert statuses == ["fired"]
    assert views.incidents(ctx) == []
    assert [(actor, summary) for actor, summary, _ in audits(ctx, "incident_retried")] == [
        ("root", f"Reintentó el incidente {incident['id']}")
    ]


def test_a_script_that_failed_after_its_timer_is_corrected_and_retried(app: Flask) -> None:
    ctx = engine(app)
    instance_id = script_after_timer(ctx)
    incident = only_incident(ctx)
    assert (incident["kind"], incident["activity"]) == ("script", "Calcular")
    client = app.test_client()
    sign_in(client, "root")
    listing = page(client, "/incidentes")
    assert "El nombre &#39;solicitante&#39; no está definido" in listing
    assert "Redactar el recordatorio" in listing and "Script" in listing

    bad = post(client, f"/incidentes/{incident['id']}/reintentar", {"variables": '{"solicitante": "Ana"'})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Las variables deben ser un objeto JSON" in text and "No se cambió nada." in text
    assert "{&#34;solicitante&#34;: &#34;Ana&#34;" in text  # what was typed comes back
    not_object = post(client, f"/incidentes/{incident['id']}/reintentar", {"variables": "[1, 2]"})
    assert not_object.status_code == 422 and "objeto JSON" in not_object.get_data(as_text=True)
    assert only_incident(ctx)["id"] == incident["id"] and audits(ctx, "incident_retried") == []

    fixed = post(client, f"/incidentes/{incident['id']}/reintentar", {"variables": '{"solicitante": "Ana"}'})
    assert fixed.status_code == 302
    assert "corrigiendo solicitante" in page(client, "/incidentes")
    [escalar] = [t for t in open_tasks(ctx, instance_id) if t["name"] == "Escalar al supervisor"]
    assert escalar
    assert views.instance(ctx, instance_id)["status"] == "running"
    [(actor, summary, after)] = audits(ctx, "incident_retried")
    assert (actor, after) == ("root", {"solicitante": "Ana"}) and "corrigiendo solicitante" in summary


def test_who_sees_the_incidents_and_who_may_cancel(app: Flask) -> None:
    ctx = engine(app)
    script_after_timer(ctx)  # its tasks are offered to "atencion"
    users.add_user(ctx, "tere", password=PASSWORD, roles="supervisor", groups="atencion")
    users.add_user(ctx, "vigia", password=PASSWORD, roles="supervisor", groups="supervision")
    with UnitOfWork(ctx.db) as uow:  # a mail that failed for nobody's process
        uow.session.add(Incident(kind="mail", message="No se pudo enviar el correo «Aviso» a x@y.co", spiff_id=None,
                                 created_at=datetime(2026, 3, 2, 14, 0, tzinfo=UTC)))  # fmt: skip
        uow.commit()
    incident = next(i for i in views.incidents(ctx) if i["kind"] == "script")

    def seen_by(user: str) -> tuple[int, str]:
        client = app.test_client()
        sign_in(client, user)
        response = client.get("/incidentes")
        return response.status_code, response.get_data(as_text=True)

    assert seen_by("ana")[0] == 403  # a funcionario
    status, text = seen_by("sara")  # supervisor of another dependencia
    assert status == 200 and "No hay incidentes abiertos" in text
    status, text = seen_by("tere")  # supervisor of the dependencia
    assert (
        "1 incidente(s)" in text
        and "Redactar el recordatorio" in text
        and "Correo" not in text.split("<tbody>")[1]
    )
    assert "1 incidente(s)" in seen_by("vigia")[1]  # the supervision dependencia: every process, no mail
    assert "2 incidente(s)" in seen_by("root")[1]

    client = app.test_client()
    sign_in(client, "sara")
    assert client.get(f"/incidentes/{incident['id']}").status_code == 404
    sign_in(client, "tere")
    assert "Cancelar el proceso" not in page(client, f"/incidentes/{incident['id']}")
    refused = post(
        client, f"/incidentes/{incident['id']}/cancelar", {"motivo": "No aplica", "confirmo": "true"}
    )
    assert refused.status_code == 403 and "Solo un administrador" in refused.get_data(as_text=True)
    assert views.instance(ctx, incident["instance_id"])["status"] == "incident"

    sign_in(client, "root")
    no_reason = post(client, f"/incidentes/{incident['id']}/cancelar", {"motivo": " ", "confirmo": "true"})
    assert no_reason.status_code == 302
    assert "Indique el motivo" in page(client, f"/incidentes/{incident['id']}")
    assert views.instance(ctx, incident["instance_id"])["status"] == "incident"
    no_csrf = client.post(f"/incidentes/{incident['id']}/cancelar", data={"motivo": "x", "confirmo": "true"})
    assert no_csrf.status_code == 400
    done = post(
        client,
        f"/incidentes/{incident['id']}/cancelar",
        {"motivo": "Solicitud duplicada", "confirmo": "true"},
    )
    assert done.status_code == 302
    assert views.instance(ctx, incident["instance_id"])["status"] == "cancelled"
    assert [s for _, s, _ in audits(ctx, "instance_cancelled")] == ["Canceló el proceso: Solicitud duplicada"]
    assert [i["kind"] for i in views.incidents(ctx)] == ["mail"]
