"""The bandeja de PQRSD: only the cases a user may see, found by radicado, name, document or asunto, filtered, exported."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

from flask import Flask

from engine.identity import users
from engine.pqrsd import radicacion, tray
from tests.scenarios.conftest import Scenario
from tests.web.conftest import csrf_token
from web import create_app

PASSWORD = "clave-segura-1"


def _file(sc: Scenario, **changes: str) -> str:
    filing = {"tipo": "queja", "canal": "formulario_web", "fecha_recibo": "02/03/2026 08:00",
              "asunto": "Basuras en el parque", "descripcion": "No recogen las basuras.", "nombre": "Ana Gómez",
              **changes}  # fmt: skip
    return radicacion.file_pqrsd(sc.ctx, filing, actor="u.atencion_ciudadano")["radicado"]


def _app(sc: Scenario) -> Flask:
    users.set_password(sc.ctx, "u.atencion_ciudadano", PASSWORD)
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def test_search_finds_by_radicado_name_document_and_asunto(any_db: Scenario) -> None:
    sc = any_db
    first = _file(sc)
    second = _file(
        sc, nombre="Pedro Ruiz", tipo_documento="CC", numero_documento="79.555.111", asunto="Ruido nocturno"
    )
    clerk = "u.atencion_ciudadano"

    def found(text: str) -> list[str]:
        return [c["radicado"] for c in tray.cases(sc.ctx, clerk, tray.CaseQuery(text=text))["items"]]

    assert found(second) == [second]
    assert found("pedro") == [second]
    assert found("79555111") == [second]
    assert found("basuras") == [first]
    assert sorted(found("")) == sorted([first, second])


def test_filters_by_semaforo_and_dates_and_only_visible_cases(any_db: Scenario) -> None:
    sc = any_db
    old = _file(sc, fecha_recibo="02/03/2026 08:00")
    sc.clock.set(datetime(2026, 3, 17, 14, 0, tzinfo=UTC))
    fresh = _file(sc, fecha_recibo="17/03/2026 08:00")
    clerk = "u.atencion_ciudadano"

    def radicados(**criteria: object) -> list[str]:
        return [c["radicado"] for c in tray.cases(sc.ctx, clerk, tray.CaseQuery(**criteria))["items"]]  # type: ignore[arg-type]

    assert radicados(semaforo="alerta") == [old]  # day 11 of 15
    assert radicados(semaforo="verde") == [fresh]
    assert radicados(desde=datetime(2026, 3, 10).date()) == [fresh]
    assert radicados(hasta=datetime(2026, 3, 2).date()) == [old]
    assert (
        tray.cases(sc.ctx, "u.juridica", tray.CaseQuery())["total"] == 0
    )  # no task of theirs, not filed by them


def test_the_tray_page_the_csv_and_the_api_list(sc: Scenario) -> None:
    radicado = _file(sc, asunto='=HYPERLINK("http://x")')
    app = _app(sc)
    client = app.test_client()
    token = csrf_token(client)
    client.post(
        "/ingresar", data={"usuario": "u.atencion_ciudadano", "contrasena": PASSWORD, "csrf_token": token}
    )
    page = client.get("/pqrsd?q=Ana").get_data(as_text=True)
    assert radicado in page and "Ana Gómez" in page
    exported = client.get("/pqrsd.csv?q=Ana")
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["Radicado", "Tipo", "Canal"] and rows[1][0] == radicado
    assert rows[1][5].startswith("'=")  # a formula in a field never runs in a spreadsheet
    headers = {"Authorization": f"Bearer {users.issue_token(sc.ctx, 'u.atencion_ciudadano')}"}
    listed = app.test_client().get("/api/v1/pqrsd?q=Ana&estado=en_tramite", headers=headers).get_json()
    assert listed["total"] == 1 and listed["items"][0]["radicado"] == radicado
    bad = app.test_client().get("/api/v1/pqrsd?semaforo=morado", headers=headers)
    assert bad.status_code == 400
