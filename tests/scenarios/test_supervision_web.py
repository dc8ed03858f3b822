"""The supervision pages and API over real PQRSD: counts that link to their lists, CSV, bulk reassignment,
Spanish refusals, and the nav item only for supervisors and admins."""

from __future__ import annotations

import csv
import io
import re

from flask import Flask
from flask.testing import FlaskClient

from engine.identity import users
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_supervision import RECEIVED, file_case
from tests.web.conftest import csrf_token
from web import create_app

PASSWORD = "clave-segura-1"


def _app(sc: Scenario) -> Flask:
    for name in ("u.supervision", "u.juridica", "u.planeacion"):
        users.set_password(sc.ctx, name, PASSWORD)
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/ingresar", data={"usuario": username, "contrasena": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def _cases(sc: Scenario) -> dict[str, str]:
    return {state: file_case(sc, moment, "juridica") for state, moment in RECEIVED.items()}


def test_the_dashboard_counts_link_to_their_lists_and_the_csv(sc: Scenario) -> None:
    cases = _cases(sc)
    client = _signed_in(_app(sc), "u.supervision")
    page = client.get("/supervision").get_data(as_text=True)
    assert "Toda la entidad" in page and 'aria-current="page">Supervisión' in page
    link = re.search(
        r'href="(/supervision/lista\?ver=casos&amp;semaforo=alerta)"><span class="n">1</span>', page
    )
    assert link, page
    listed = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert cases["alerta"] in listed and cases["verde"] not in listed
    rojo = client.get("/supervision/lista?ver=tareas&semaforo=rojo&dependencia=juridica").get_data(
        as_text=True
    )
    assert "vencida hace 5 días hábiles" in rojo and "23 feb. 2026" in rojo
    exported = client.get("/supervision/lista.csv?ver=tareas&semaforo=rojo")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Radicado", "Tarea", "Asunto"]
    assert sorted(r[1] for r in rows[1:]) == ["Atender la PQRSD vencida", "Proyectar la respuesta"]
    assert {r[8] for r in rows[1:]} == {"-5"} and {r[9] for r in rows[1:]} == {"Vencido"}
    bad = client.get("/supervision/lista?semaforo=morado")
    assert bad.status_code == 400 and "Semáforo desconocido «morado»" in bad.get_data(as_text=True)


def test_staff_without_the_role_get_a_403_and_no_nav_item(sc: Scenario) -> None:
    client = _signed_in(_app(sc), "u.juridica")
    assert "Supervisión" not in client.get("/tareas").get_data(as_text=True)
    refused = client.get("/supervision")
    assert refused.status_code == 403 and "supervisores y administradores" in refused.get_data(as_text=True)


def test_bulk_reassignment_from_the_list_moves_all_or_nothing(sc: Scenario) -> None:
    cases = _cases(sc)
    users.add_user(sc.ctx, "juan", groups="juridica")
    client = _signed_in(_app(sc), "u.supervision")
    listing = "/supervision/lista?ver=tareas&dependencia=juridica"
    page = client.get(listing).get_data(as_text=True)
    ids = re.findall(r'name="tarea" value="(\d+)"', page)
    assert len(ids) == 4
    token = csrf_token(client, listing)
    no_reason = client.post(
        "/supervision/reasignar",
        data={"tarea": ids, "usuario": "juan", "motivo": " ", "volver": listing, "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)
    assert "Escriba el motivo de la reasignación." in no_reason
    assert client.get(listing + "&funcionario=juan").get_data(as_text=True).count('name="tarea"') == 0
    done = client.post(
        "/supervision/reasignar",
        data={"tarea": ids[:2], "usuario": "juan", "motivo": "Reparto de carga", "volver": listing,
              "csrf_token": token},
        follow_redirects=True,
    ).get_data(as_text=True)  # fmt: skip
    assert "Reasignó 2 tarea(s) a juan" in done
    assert client.get(listing + "&funcionario=juan").get_data(as_text=True).count('name="tarea"') == 2
    one = client.get(f"/supervision/reasignar?tarea={ids[3]}&volver={listing}").get_data(as_text=True)
    assert "Reasignar la tarea" in one and "Proyectar la respuesta" in one
    assert cases


def test_the_api_summary_items_and_reassign(sc: Scenario) -> None:
    cases = _cases(sc)
    app = _app(sc)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {users.issue_token(sc.ctx, 'u.supervision')}"}
    summary = client.get("/api/v1/supervision/summary?dependencia=juridica", headers=headers).get_json()
    assert summary["casos"]["semaforo"]["rojo"] == 1 and summary["scope"] is None
    listed = client.get("/api/v1/supervision/items?ver=tareas&semaforo=alerta", headers=headers).get_json()
    (item,) = listed["items"]
    assert (item["radicado"], item["tarea"]) == (cases["alerta"], "Proyectar la respuesta")
    moved = client.post(
        "/api/v1/supervision/reassign",
        json={"task_ids": [item["task_id"]], "to_user": "u.juridica", "reason": "Urgente"},
        headers=headers,
    )
    assert moved.status_code == 200 and moved.get_json()["items"][0]["assignee"] == "u.juridica"
    refused = client.post(
        "/api/v1/supervision/reassign", json={"task_ids": [item["task_id"]], "to_user": "nadie", "reason": "x"},
        headers=headers,
    )  # fmt: skip
    assert refused.status_code == 400 and refused.get_json()["error"] == "No existe el usuario 'nadie'."
    other = {"Authorization": f"Bearer {users.issue_token(sc.ctx, 'u.juridica')}"}
    assert client.get("/api/v1/supervision/summary", headers=other).status_code == 403
    assert client.get("/api/v1/supervision/items?ver=nada", headers=headers).status_code == 400
