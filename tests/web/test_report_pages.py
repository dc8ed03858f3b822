"""The report's pages and API over the month of known cases: who may see them, the same figures as the hand
count, goals edited by admins only, quality reviews, and the counter's turn log from the web and the API."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from openpyxl import load_workbook

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from tests.integration import report_month as m
from tests.web.conftest import PASSWORD, bearer, csrf_token
from web import create_app

MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture
def month(sqlite_ctx: Context, clock: FrozenClock) -> m.Month:
    built = m.file_month(sqlite_ctx, clock)
    for name in (m.CLERK, m.BOSS, m.ADMIN):
        users.set_password(sqlite_ctx, name, PASSWORD)
    users.add_user(sqlite_ctx, "r.analista", password=PASSWORD, roles="analista")
    return built


@pytest.fixture
def app(sqlite_ctx: Context, month: m.Month) -> Iterator[Flask]:
    yield create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sqlite_ctx)


def _client(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client)
    done = client.post("/ingresar", data={"usuario": username, "contrasena": PASSWORD, "csrf_token": token})
    assert done.status_code == 302, done.get_data(as_text=True)
    return client


def _post(client: FlaskClient, path: str, page: str, data: dict[str, str]) -> str:
    response = client.post(path, data={**data, "csrf_token": csrf_token(client, page)}, follow_redirects=True)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def test_the_report_page_shows_the_hand_counted_figures_with_its_charts(app: Flask, month: m.Month) -> None:
    want = m.expected(month)
    html = _client(app, "r.analista").get(f"/reportes/pqrsd?{MARCH}").get_data(as_text=True)
    on_time, cohort = want["oportunidad"]
    assert "<strong>36</strong> PQRSD recibidas (6 en el periodo anterior, +500,0 %)" in html
    assert f"Respondidas a tiempo: {on_time} · PQRSD con vencimiento en el periodo: {cohort}" in html
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart"') == 6
    assert "<desc id=" in html and "PQRSD por canal: " in html  # each chart has its text alternative
    assert "Superintendencia de Servicios Públicos" in html and "Acceso a la información" in html


def test_the_page_downloads_the_same_report(app: Flask, month: m.Month) -> None:
    client = _client(app, m.BOSS)
    response = client.get(f"/reportes/pqrsd.xlsx?{MARCH}")
    assert response.status_code == 200
    assert 'filename="informe-pqrsd-2026-03-01-a-2026-03-31.xlsx"' in response.headers["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.data))
    summary = {r[0]: r[1] for r in book["Resumen"].iter_rows(min_row=2, values_only=True)}
    assert summary["PQRSD recibidas"] == 36
    assert client.get(f"/reportes/pqrsd.docx?{MARCH}").status_code == 400


def test_staff_without_a_reporting_role_are_refused(app: Flask) -> None:
    client = _client(app, m.CLERK)
    response = client.get(f"/reportes/pqrsd?{MARCH}")
    assert response.status_code == 403 and "supervisores, analistas y administradores" in response.get_data(
        as_text=True
    )
    assert client.get(f"/reportes/pqrsd.pdf?{MARCH}").status_code == 403
    assert client.get("/reportes/calidad?mes=2026-03").status_code == 403


def test_a_bad_date_says_so_and_shows_no_report(app: Flask) -> None:
    response = _client(app, m.BOSS).get("/reportes/pqrsd?from=2026-02-30&to=2026-03-31")
    assert response.status_code == 400 and "La fecha inicial no es válida" in response.get_data(as_text=True)


def test_goals_are_edited_by_administrators_and_read_by_the_report(app: Flask, sqlite_ctx: Context) -> None:
    boss = _client(app, m.BOSS)
    page = boss.get("/reportes/metas?vigencia=2026").get_data(as_text=True)
    assert "Solo un administrador cambia las metas." in page and 'name="meta_oportunidad"' not in page
    refused = boss.post("/reportes/metas", data={"vigencia": "2026", "meta_calidad": "50",
                                                 "csrf_token": csrf_token(boss, "/reportes/metas")})  # fmt: skip
    assert refused.status_code == 403
    admin = _client(app, m.ADMIN)
    bad = admin.post("/reportes/metas", data={"vigencia": "2026", "meta_calidad": "ciento",
                                              "csrf_token": csrf_token(admin, "/reportes/metas")})  # fmt: skip
    assert bad.status_code == 400 and "Meta no válida" in bad.get_data(as_text=True)
    html = _post(admin, "/reportes/metas", "/reportes/metas", {"vigencia": "2026", "meta_calidad": "60,5",
                                                               "meta_oportunidad": "90"})  # fmt: skip
    assert "Metas de 2026 guardadas." in html and 'value="60,5"' in html
    report = _client(app, m.BOSS).get(f"/reportes/pqrsd?{MARCH}").get_data(as_text=True)
    assert "Meta 2026: 60,5 % · cumple" in report  # calidad 66,67 % now meets its goal


def test_a_reviewer_evaluates_the_months_sample(app: Flask, month: m.Month) -> None:
    client = _client(app, m.BOSS)
    page = client.get("/reportes/calidad?mes=2026-03").get_data(as_text=True)
    sampled = re.findall(r'id="caso-([^"]+)"', page)
    assert len(sampled) >= 10 and client.get("/reportes/calidad?mes=2026-03").get_data(as_text=True) == page
    pending = next(r for r in sampled if r not in {month.by(n).radicado for n in m.REVIEWS})
    html = _post(client, f"/reportes/calidad/{pending}", "/reportes/calidad?mes=2026-03",
                 {"mes": "2026-03", **{c: "si" for c in m.CRITERIA}, "observaciones": "Clara y a tiempo."})  # fmt: skip
    assert f"Evaluación de {pending} guardada: cumple 5 de 5 criterios." in html
    api = app.test_client().get(
        f"/api/v1/reports/indicadores?{MARCH}", headers=bearer(app.extensions["phva"], m.BOSS)
    )
    calidad = next(i for i in api.get_json()["items"] if i["key"] == "calidad")
    assert (calidad["numerator"], calidad["denominator"]) == (5, 7)


def test_the_counter_issues_calls_and_ends_turns(app: Flask, sqlite_ctx: Context, clock: FrozenClock) -> None:
    client = _client(app, m.CLERK)
    html = _post(client, "/turnos", "/turnos", {"punto": "Sede norte"})
    assert "Turno T-001 entregado en Sede norte." in html
    [turno_id] = re.findall(r'action="/turnos/(\d+)/llamar"', html)
    clock.advance(minutes=7)
    html = _post(client, f"/turnos/{turno_id}/llamar", "/turnos", {"punto": "Sede norte"})
    assert "Turno T-001 llamado." in html and "7,0 min" in html
    again = _post(client, f"/turnos/{turno_id}/llamar", "/turnos", {"punto": "Sede norte"})
    assert "ya fue llamado" in again
    html = _post(client, f"/turnos/{turno_id}/finalizar", "/turnos", {"punto": "Sede norte"})
    assert "Turno T-001 atendido." in html and "1 dentro del estándar de 15 min" in html


def test_the_api_serves_the_report_and_the_turn_log(app: Flask, sqlite_ctx: Context) -> None:
    client = app.test_client()
    boss, clerk = bearer(sqlite_ctx, m.BOSS), bearer(sqlite_ctx, m.CLERK)
    report = client.get(f"/api/v1/reports/pqrsd?{MARCH}", headers=boss)
    assert report.status_code == 200 and report.get_json()["totales"]["recibidas"] == 36
    assert client.get(f"/api/v1/reports/pqrsd?{MARCH}", headers=clerk).status_code == 403
    bad = client.get("/api/v1/reports/pqrsd?from=ayer", headers=boss)
    assert bad.status_code == 400 and "no es válida" in bad.get_json()["error"]
    assert client.get("/api/v1/reports/pqrsd").status_code == 401
    issued = client.post("/api/v1/turnos", json={"punto": "Sede sur"}, headers=clerk)
    assert issued.status_code == 201 and issued.get_json()["turno"] == "T-001"
    called = client.post(f"/api/v1/turnos/{issued.get_json()['id']}/llamar", headers=clerk)
    assert called.status_code == 200 and called.get_json()["estado"] == "en_atencion"
    ended = client.post(f"/api/v1/turnos/{issued.get_json()['id']}/cerrar", headers=clerk)
    assert ended.status_code == 400 and "Acción desconocida" in ended.get_json()["error"]
    day = client.get("/api/v1/turnos?punto=Sede%20sur", headers=clerk).get_json()
    assert [t["estado"] for t in day["items"]] == ["en_atencion"]
    goals = client.get("/api/v1/reports/metas?vigencia=2026", headers=boss).get_json()
    assert {g["indicador"]: g["meta"] for g in goals["items"]}["oportunidad"] == 90.0
    assert (
        client.put("/api/v1/reports/metas/calidad/2026", json={"meta": 70}, headers=boss).status_code == 403
    )
    admin = bearer(sqlite_ctx, m.ADMIN)
    assert (
        client.put("/api/v1/reports/metas/calidad/2026", json={"meta": 70}, headers=admin).get_json()["meta"]
        == 70
    )
