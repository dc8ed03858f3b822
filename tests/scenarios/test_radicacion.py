"""One radicación behind every entry point: web form, API and CLI give the same case, numbered without gaps."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.cli import cli
from engine.identity import users
from engine.store.legal_tables import PqrsdCase, RadicadoSequence
from engine.store.tables import AuditEvent, ProcessInstance
from engine.store.uow import UnitOfWork
from tests.scenarios.conftest import FILING, Scenario
from tests.smtp_server import Server
from tests.web.conftest import csrf_token
from web import create_app

PASSWORD = "clave-segura-1"
CLERK = "u.atencion_ciudadano"


def _app(sc: Scenario) -> Flask:
    users.set_password(sc.ctx, CLERK, PASSWORD)
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def _signed_in(app: Flask, username: str = CLERK) -> tuple[FlaskClient, str]:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/ingresar", data={"usuario": username, "contrasena": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client, csrf_token(client, "/pqrsd/radicar")


def _bearer(sc: Scenario, username: str = CLERK) -> dict[str, str]:
    return {"Authorization": f"Bearer {users.issue_token(sc.ctx, username)}"}


def _counts(sc: Scenario) -> tuple[int, ...]:
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        models = (PqrsdCase, ProcessInstance, RadicadoSequence, AuditEvent)
        return tuple(uow.session.scalar(select(func.count()).select_from(m)) or 0 for m in models)


def test_web_api_and_cli_give_consecutive_radicados_due_as_the_calendar_says(any_db: Scenario) -> None:
    sc = any_db
    app = _app(sc)
    client, token = _signed_in(app)
    page = client.post("/pqrsd/radicar", data={**FILING, "csrf_token": token})
    assert page.status_code == 302, page.get_data(as_text=True)
    web_radicado = page.headers["Location"].rsplit("/", 1)[1]

    api = app.test_client().post("/api/v1/pqrsd", json=FILING, headers=_bearer(sc))
    assert api.status_code == 201, api.get_json()
    made = api.get_json()
    assert set(made) >= {"radicado", "codigo_consulta", "radicado_at", "vence_el", "instance_id"}

    runner = CliRunner()
    args = ["pqrsd", "radicar", "--tipo", "peticion_general", "--recibido", "02/03/2026 08:00", "--canal",
            "telefonico", "--nombre", "María Pérez", "--asunto", "Certificado", "--descripcion", "Por teléfono",
            "--json"]  # fmt: skip
    by_cli = runner.invoke(cli, args, obj=sc.ctx)
    assert by_cli.exit_code == 0, by_cli.stderr
    cli_case = json.loads(by_cli.stdout)

    assert [web_radicado, made["radicado"], cli_case["radicado"]] == [
        "2026-000001",
        "2026-000002",
        "2026-000003",
    ]
    due = runner.invoke(cli, ["calendar", "due", "--from", "2026-03-02T08:00", "--days", "15"], obj=sc.ctx)
    assert made["vence_el"] == cli_case["due_date"] == due.stdout.strip() == "2026-03-24"
    for radicado in (web_radicado, made["radicado"], cli_case["radicado"]):
        case = app.test_client().get(f"/api/v1/pqrsd/{radicado}", headers=_bearer(sc)).get_json()
        assert (
            case["vence_el"] == "2026-03-24" and case["estado"] == "en_tramite"
        )  # classified by its process
        assert case["dias_habiles_restantes"] == 15
        assert sc.instance(case["instance_id"])["business_key"] == radicado  # the radicado keys the process
        assert {e["action"] for e in case["eventos"]} == {"pqrsd_radicada", "pqrsd_en_tramite"}
    assert cli_case["received_by"] is not None  # a telephone petition names who received it (Decreto 1166)


def test_a_bad_filing_is_422_per_field_and_writes_nothing(any_db: Scenario) -> None:
    sc = any_db
    app = _app(sc)
    before = _counts(sc)
    bad = {**FILING, "fecha_recibo": "ayer por la tarde", "correo": "maria@", "tipo": "peticion_rara",
           "numero_documento": "12AB", "nombre": ""}  # fmt: skip
    response = app.test_client().post("/api/v1/pqrsd", json=bad, headers=_bearer(sc))

    assert response.status_code == 422
    details = response.get_json()["details"]
    assert set(details) == {"fecha_recibo", "correo", "tipo", "numero_documento", "nombre"}
    assert "«ayer por la tarde»" in details["fecha_recibo"]
    assert _counts(sc)[:3] == before[:3]  # no case, no instance, no number used
    good = app.test_client().post("/api/v1/pqrsd", json=FILING, headers=_bearer(sc))
    assert good.get_json()["radicado"] == "2026-000001"


def test_a_future_reception_time_and_unknown_fields_are_refused(sc: Scenario) -> None:
    app = _app(sc)
    response = app.test_client().post(
        "/api/v1/pqrsd", json={**FILING, "fecha_recibo": "2026-03-05T08:00", "radicado": "2026-000777"},
        headers=_bearer(sc),
    )  # fmt: skip
    details = response.get_json()["details"]
    assert response.status_code == 422
    assert details == {
        "radicado": "Campo desconocido.",
        "fecha_recibo": "La fecha de recibo no puede ser posterior a este momento.",
    }


def test_fifty_concurrent_filings_get_fifty_consecutive_radicados(any_db: Scenario) -> None:
    sc = any_db
    app = _app(sc)
    headers = _bearer(sc)

    def file(index: int) -> str:
        body = {**FILING, "asunto": f"Petición {index}"}
        response = app.test_client().post("/api/v1/pqrsd", json=body, headers=headers)
        assert response.status_code == 201, response.get_json()
        return str(response.get_json()["radicado"])

    with ThreadPoolExecutor(max_workers=10) as pool:
        radicados = list(pool.map(file, range(50)))

    assert sorted(radicados) == [f"2026-{n:06d}" for n in range(1, 51)]


def test_pqrsd_and_radicado_shaped_keys_are_not_started_by_hand(sc: Scenario) -> None:
    app = _app(sc)
    api = app.test_client()
    by_hand = api.post("/api/v1/process-instances", json={"process_key": "pqrsd"}, headers=_bearer(sc))
    assert by_hand.status_code == 400 and "/pqrsd/radicar" in by_hand.get_json()["error"]
    taken = api.post(
        "/api/v1/process-instances",
        json={"process_key": "conocer_ciudadania", "business_key": "2026-000777"},
        headers=_bearer(sc, "u.planeacion"),
    )
    assert taken.status_code == 400 and "radicado" in taken.get_json()["error"]
    cli_start = CliRunner().invoke(cli, ["start", "pqrsd"], obj=sc.ctx)
    assert cli_start.exit_code == 2
    client, _ = _signed_in(app)
    assert client.get("/iniciar/pqrsd").headers["Location"].endswith("/pqrsd/radicar")
    assert _counts(sc)[1] == 0


def test_the_acuse_is_html_and_pdf_and_only_for_who_may_see_the_case(sc: Scenario) -> None:
    app = _app(sc)
    made = app.test_client().post("/api/v1/pqrsd", json=FILING, headers=_bearer(sc)).get_json()
    radicado, code = made["radicado"], made["codigo_consulta"]
    assert re.fullmatch(r"[A-Z2-9]{10}", code)

    pdf = app.test_client().get(f"/api/v1/pqrsd/{radicado}/acuse", headers=_bearer(sc))
    html = app.test_client().get(f"/api/v1/pqrsd/{radicado}/acuse?formato=html", headers=_bearer(sc))
    assert pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    text = html.get_data(as_text=True)
    assert radicado in text and code in text and "martes 24 de marzo de 2026" in text

    client, _ = _signed_in(app)
    page = client.get(f"/pqrsd/{radicado}").get_data(as_text=True)
    assert "quedan 15 días hábiles" in page and code in page
    stranger = app.test_client().get(f"/api/v1/pqrsd/{radicado}", headers=_bearer(sc, "u.juridica"))
    assert stranger.status_code == 403


def test_the_acuse_is_mailed_to_the_peticionario(sc: Scenario, start_server: Callable[..., Server]) -> None:
    server = start_server()
    sc.ctx.mail = server.settings
    app = _app(sc)
    made = app.test_client().post("/api/v1/pqrsd", json=FILING, headers=_bearer(sc)).get_json()

    [(envelope, message)] = server.inbox.received
    assert envelope.rcpt_tos == ["maria.perez@example.co"]
    assert made["radicado"] in str(message["Subject"])
    [attachment] = list(message.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_payload(decode=True).startswith(b"%PDF")
    assert made["codigo_consulta"] in message.get_body(("plain",)).get_content()


@pytest.mark.parametrize("anonymous", [True, False])
def test_anonymous_and_verbal_filings(sc: Scenario, anonymous: bool) -> None:
    app = _app(sc)
    client, token = _signed_in(app)
    form = {**FILING, "canal": "verbal_presencial", "csrf_token": token}
    if anonymous:
        form = {**form, "anonimo": "true", "nombre": "", "tipo_documento": "", "numero_documento": ""}
    response = client.post("/pqrsd/radicar", data=form)
    assert response.status_code == 302, response.get_data(as_text=True)
    radicado = response.headers["Location"].rsplit("/", 1)[1]
    case = app.test_client().get(f"/api/v1/pqrsd/{radicado}", headers=_bearer(sc)).get_json()
    assert case["anonymous"] is anonymous
    assert case["petitioner_name"] == (None if anonymous else "María Pérez")
    assert case["received_by"] == CLERK
    constancia = client.get(f"/pqrsd/{radicado}/acuse").get_data(as_text=True)
    assert "Constancia de petición verbal" in constancia
