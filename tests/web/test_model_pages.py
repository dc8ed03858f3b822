"""The analysts' model pages: versions with their instances, files exactly as deployed, the diff between two
versions, an upload checked per element before it deploys, model tests run from the page, and migration."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.identity import users
from engine.workflow import instances, views
from tests.helpers import deploy_xml
from tests.integration.test_instance_migration import v1, v2
from tests.web.conftest import DATA, PASSWORD, bearer, engine, post, sign_in


@pytest.fixture
def analyst(app: Flask) -> FlaskClient:
    users.add_user(engine(app), "lina", password=PASSWORD, roles="analista", groups="atencion_ciudadano")
    client = app.test_client()
    sign_in(client, "lina")
    return client


@pytest.fixture
def two_versions(app: Flask) -> list[int]:
    ctx = engine(app)
    deploy_xml(ctx, "tramite.bpmn", v1())
    started = [instances.start_process(ctx, "tramite").id for _ in range(3)]
    deploy_xml(ctx, "tramite.bpmn", v2())
    return started


def upload(client: FlaskClient, path: str, files: dict[str, bytes], **fields: str) -> tuple[int, str]:
    data = {"archivos": [(io.BytesIO(content), name) for name, content in files.items()], **fields}
    response = post(client, path, data, content_type="multipart/form-data")
    return response.status_code, response.get_data(as_text=True)


def test_the_list_shows_each_version_who_deployed_it_and_its_instances(
    analyst: FlaskClient, two_versions: list[int]
) -> None:
    html = analyst.get("/modelos").get_data(as_text=True)
    assert "tramite" in html and "Versión 2" in html and "Versión 1" in html
    assert "/modelos/tramite/diferencias?de=1&amp;a=2" in html
    assert '<td data-label="En curso">3</td>' in html  # version 1's three instances


def test_a_version_page_offers_its_exact_files_and_diagram(
    analyst: FlaskClient, two_versions: list[int]
) -> None:
    page = analyst.get("/modelos/tramite/1").get_data(as_text=True)
    assert "tramite.bpmn" in page and "/modelos/tramite/1/diagrama" in page
    downloaded = analyst.get("/modelos/tramite/1/archivos/tramite.bpmn")
    assert downloaded.status_code == 200 and downloaded.data == v1().encode()
    assert "attachment" in downloaded.headers["Content-Disposition"]
    assert analyst.get("/modelos/tramite/1/diagrama").get_json()["xml"] == v1()
    assert analyst.get("/modelos/tramite/1/archivos/otro.bpmn").status_code == 404
    assert analyst.get("/modelos/tramite/9").status_code == 404


def test_the_diff_lists_what_was_added_removed_and_changed_and_marks_it(
    analyst: FlaskClient, two_versions: list[int]
) -> None:
    html = analyst.get("/modelos/tramite/diferencias?de=1&a=2").get_data(as_text=True)
    assert "Agregados (3)" in html and "Clasificar" in html and "Quitados (1)" in html
    assert "nombre: «Radicar» → «Radicar (v2)»" in html
    new = analyst.get("/modelos/tramite/diferencias/diagrama?de=1&a=2&lado=nueva").get_json()
    assert new["markers"]["Clasificar"] == "added" and new["markers"]["Radicar"] == "changed"
    old = analyst.get("/modelos/tramite/diferencias/diagrama?de=1&a=2&lado=anterior").get_json()
    assert old["markers"]["Revisar"] == "removed"
    assert analyst.get("/modelos/tramite/diferencias?de=uno&a=2").status_code == 400


def test_an_upload_is_checked_per_element_and_deploys_only_when_asked_and_clean(
    analyst: FlaskClient, app: Flask
) -> None:
    ctx = engine(app)
    broken = (DATA / "loop.bpmn").read_bytes().replace(b'targetRef="fin"', b'targetRef="nada"')
    status, html = upload(analyst, "/modelos/subir", {"roto.bpmn": broken}, accion="desplegar")
    assert status == 422 and "nada" in html and "Error" in html and "no trae el dibujo" in html
    before = len(views.definitions(ctx))
    status, html = upload(
        analyst, "/modelos/subir", {"loop.bpmn": (DATA / "loop.bpmn").read_bytes()}, accion="revisar"
    )
    assert status == 200 and len(views.definitions(ctx)) == before  # checked, not deployed
    status, html = upload(
        analyst, "/modelos/subir", {"loop.bpmn": (DATA / "loop.bpmn").read_bytes()}, accion="desplegar"
    )
    assert status == 200 and "Desplegado" in html and len(views.definitions(ctx)) == before + 1
    status, html = upload(analyst, "/modelos/subir", {"nota.txt": b"hola"}, accion="revisar")
    assert status == 422 and "no es un archivo .bpmn" in html


def test_model_tests_run_from_the_page_and_report_each_step(analyst: FlaskClient) -> None:
    tests = (
        (DATA / "model_tests" / "roto.test.yaml")
        .read_bytes()
        .replace(b"../timers_business_days.bpmn", b"timers_business_days.bpmn")
    )
    model = (DATA / "timers_business_days.bpmn").read_bytes()
    data = {
        "prueba": (io.BytesIO(tests), "roto.test.yaml"),
        "archivos": [(io.BytesIO(model), "timers_business_days.bpmn")],
    }
    response = post(analyst, "/modelos/pruebas", data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422 and "Hay pruebas que fallan" in html
    assert "paso 2 (complete): no hay una tarea abierta «Aprobar»" in html
    alone = {"prueba": (io.BytesIO(tests), "roto.test.yaml")}
    response = post(analyst, "/modelos/pruebas", alone, content_type="multipart/form-data")
    assert response.status_code == 422 and "suba también timers_business_days.bpmn" in response.get_data(
        as_text=True
    )


def test_migration_from_the_page_simulates_then_migrates(
    analyst: FlaskClient, two_versions: list[int], app: Flask
) -> None:
    dry = post(analyst, "/modelos/tramite/migrar", {"de": "1", "a": "2", "accion": "simular"}).get_data(
        as_text=True
    )
    assert "3 instancias se migrarían y 0 no." in dry and "Migrar 3 instancias" in dry
    assert {views.instance(engine(app), i)["version"] for i in two_versions} == {1}
    done = post(analyst, "/modelos/tramite/migrar", {"de": "1", "a": "2", "accion": "migrar"}).get_data(
        as_text=True
    )
    assert "3 instancias migradas" in done
    assert {views.instance(engine(app), i)["version"] for i in two_versions} == {2}


def test_a_funcionario_cannot_reach_the_model_pages(app: Flask, tmp_path: Path) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    assert client.get("/modelos").status_code == 403


def test_the_api_migrates_with_a_dry_run_first_and_only_for_analysts(
    app: Flask, two_versions: list[int]
) -> None:
    ctx = engine(app)
    users.add_user(ctx, "lina", password=PASSWORD, roles="analista", groups="atencion_ciudadano")
    client = app.test_client()
    body = {"key": "tramite", "from": 1, "to": 2}
    dry = client.post("/api/v1/migrations", json=body, headers=bearer(ctx, "lina"))
    assert dry.status_code == 200 and dry.get_json()["dry_run"] is True
    assert [i["mapped"] for i in dry.get_json()["instances"]] == [[["Radicar", "Radicar"]]] * 3
    assert client.post("/api/v1/migrations", json=body, headers=bearer(ctx, "ana")).status_code == 403
    bad = client.post("/api/v1/migrations", json={**body, "to": "2"}, headers=bearer(ctx, "lina"))
    assert bad.status_code == 400 and "'to'" in bad.get_json()["error"]
    done = client.post("/api/v1/migrations", json={**body, "dry_run": False}, headers=bearer(ctx, "lina"))
    assert done.get_json()["migrated"] == 3
    assert {views.instance(ctx, i)["version"] for i in two_versions} == {2}


def test_each_version_has_its_own_caracterizacion(analyst: FlaskClient, two_versions: list[int]) -> None:
    first = analyst.get("/modelos/tramite/caracterizacion?version=1").get_data(as_text=True)
    latest = analyst.get("/modelos/tramite/caracterizacion").get_data(as_text=True)
    assert "versión 1" in first and "Revisar" in first and "Clasificar" not in first
    assert "versión vigente" in latest and "Clasificar" in latest
    assert analyst.get("/modelos/tramite/caracterizacion?version=7").status_code == 404
    pdf = analyst.get("/modelos/tramite/caracterizacion.pdf?version=1")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
