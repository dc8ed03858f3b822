"""The citizens' portal over HTTP, on the real `pqrsd` model: filing (any type, anonymous, jurídica, with files
and characterization), the human check and the rate limits, tracking by radicado and code without revealing
anything, and the citizen's follow-up: completing a requerimiento, withdrawing, answering the survey once."""

from __future__ import annotations

import dataclasses
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.clock import FrozenClock
from engine.context import Context
from engine.errors import NotFound
from engine.identity import users
from engine.pqrsd import radicacion
from engine.store.legal_tables import CaseAttachment
from engine.store.portal_tables import PortalRequest, PqrsdCharacterization, PqrsdSurvey
from engine.store.uow import UnitOfWork
from tests.conftest import make_database_url
from tests.scenarios.conftest import Scenario, deployed_template, prepare, scenario_context  # noqa: F401
from web import create_app

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
FIRST = "2026-000001"  # the first radicado of 2026 in a fresh database


def with_settings(ctx: Context, **changes: Any) -> None:
    ctx.settings = dataclasses.replace(ctx.settings, **changes)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def portal(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FrozenClock,
    deployed_template: Path,  # noqa: F811
) -> Iterator[Scenario]:
    """The real bpmn/ deployed, staff of every dependencia; the human check off unless a test turns it on."""
    if request.param == "sqlite":
        shutil.copy(deployed_template, tmp_path / "phva.db")
        ctx = scenario_context(f"sqlite:///{tmp_path / 'phva.db'}", tmp_path, clock)
    else:
        ctx = scenario_context(make_database_url("postgres", request, tmp_path), tmp_path, clock)
        prepare(ctx)
    with_settings(ctx, portal_human_check=False, entity_name="Alcaldía de Ejemplo")
    yield Scenario(ctx, clock)
    ctx.db.dispose()


@pytest.fixture
def sc(portal: Scenario) -> Scenario:
    return portal


def app_of(sc: Scenario) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def petition(**changes: Any) -> dict[str, Any]:
    return {
        "tipo": "peticion_general",
        "asunto": "Arreglo del alumbrado del parque",
        "descripcion": "Las luminarias del parque central están apagadas desde hace un mes.",
        "tipo_peticionario": "natural",
        "nombre": "Lucía Fernández",
        "tipo_documento": "CC",
        "numero_documento": "52123456",
        "correo": "lucia.fernandez@example.co",
        "prioridad": "normal",
        **changes,
    }


def file(client: FlaskClient, data: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    form = {**(data if data is not None else petition()), "csrf_token": token(client, "/portal/radicar")}
    return client.post("/portal/radicar", data=form, content_type="multipart/form-data", **kwargs)


def track(client: FlaskClient, radicado: str, code: str) -> Any:
    form = {"radicado": radicado, "codigo": code, "csrf_token": token(client, "/portal/consulta")}
    return client.post("/portal/consulta", data=form)


def code_of(sc: Scenario, radicado: str = FIRST) -> str:
    code = radicacion.consultar(sc.ctx, radicado)["codigo_consulta"]
    assert code
    return code


def page(client: FlaskClient, path: str = "/portal/caso") -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


# ---- landing and filing ----------------------------------------------------------------------------
def test_portal_answers_without_login_and_the_old_addresses_lead_to_it(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    landing = page(client, "/portal")
    assert "Radicar una PQRSD" in landing and "Consultar mi PQRSD" in landing
    assert "Salir" not in landing and "Tareas" not in landing  # no staff navigation
    assert client.get("/radicar").headers["Location"].endswith("/portal/radicar")
    assert client.get("/consulta").headers["Location"].endswith("/portal/consulta")


def test_portal_and_api_filings_both_get_a_radicado_and_the_calendars_due_date(sc: Scenario) -> None:
    users.add_user(sc.ctx, "api.ventanilla", groups="atencion_ciudadano", roles="funcionario")
    client = app_of(sc).test_client()
    response = file(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/portal/radicada")
    shown = text_of(page(client, "/portal/radicada"))
    assert FIRST in shown and code_of(sc) in shown
    # Filed Monday 2 March 2026, 08:00: 15 business days, Monday 23 March (San José) is a holiday
    assert "martes 24 de marzo de 2026" in shown
    api = client.post(
        "/api/v1/pqrsd",
        json={**petition(), "canal": "correo_electronico"},
        headers={"Authorization": f"Bearer {users.issue_token(sc.ctx, 'api.ventanilla')}"},
    )
    assert api.status_code == 201, api.get_json()
    by_portal, by_api = radicacion.consultar(sc.ctx, FIRST), radicacion.consultar(sc.ctx, "2026-000002")
    assert (by_portal["due_date"], by_api["due_date"]) == ("2026-03-24", "2026-03-24")
    assert (by_portal["channel"], by_api["channel"]) == ("formulario_web", "correo_electronico")
    assert by_portal["instance_id"] is not None and by_api["instance_id"] is not None  # both run the process


def test_the_acuse_downloads_as_pdf_for_the_case_just_filed(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    file(client)
    response = client.get("/portal/acuse.pdf")
    assert response.status_code == 200 and response.data.startswith(b"%PDF-")
    assert f"acuse-{FIRST}.pdf" in response.headers["Content-Disposition"]
    assert app_of(sc).test_client().get("/portal/acuse.pdf").status_code == 404  # another browser: nothing


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"tipo": "felicitacion", "asunto": "Excelente atención en ventanilla"}, "felicitacion"),
        ({"tipo": "denuncia", "anonimo": "true", "nombre": "", "tipo_documento": "", "numero_documento": "",
          "correo": ""}, "denuncia"),
        ({"tipo": "queja", "tipo_peticionario": "juridica", "nombre": "Transportes del Valle S.A.S.",
          "tipo_documento": "NIT", "numero_documento": "900123456-7"}, "queja"),
    ],
    ids=["felicitacion", "denuncia-anonima", "persona-juridica"],
)  # fmt: skip
def test_any_type_is_filed_anonymous_or_by_a_juridica(
    sc: Scenario, changes: dict[str, Any], expected: str
) -> None:
    client = app_of(sc).test_client()
    assert file(client, petition(**changes)).status_code == 302
    case = radicacion.consultar(sc.ctx, FIRST)
    assert case["kind"] == expected
    assert case["anonymous"] is (changes.get("anonimo") == "true")
    if case["anonymous"]:
        assert case["petitioner_name"] is None and case["document_number"] is None


def test_bad_fields_are_named_together_and_nothing_is_radicated(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    response = file(
        client, petition(descripcion="", correo="no-es-correo", enfoque_diferencial="victima_conflicto")
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Revise 3 campos" in html
    assert "Escriba la descripción de la petición." in html
    assert "No es un correo electrónico válido" in html
    assert "autorice su tratamiento" in html
    with pytest.raises(NotFound):
        radicacion.consultar(sc.ctx, FIRST)


def test_characterization_is_stored_with_consent(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    data = petition(enfoque_diferencial=["victima_conflicto", "campesino"], genero="mujer", rango_edad="29_59",
                    territorio="Vereda El Salitre", autoriza_tratamiento_datos="true")  # fmt: skip
    assert file(client, data).status_code == 302
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        [row] = uow.session.scalars(select(PqrsdCharacterization)).all()
        assert (row.enfoque_diferencial, row.genero, row.rango_edad, row.territorio) == (
            ["victima_conflicto", "campesino"], "mujer", "29_59", "Vereda El Salitre")  # fmt: skip


def test_files_go_with_the_filing_and_a_hostile_one_is_refused_with_a_message(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    exe = (b"MZ\x90\x00" + b"\x00" * 64, "factura.pdf")
    import io

    response = file(client, {**petition(), "anexos": (io.BytesIO(exe[0]), exe[1])})
    assert response.status_code == 422
    assert "no corresponde a ningún tipo conocido" in response.get_data(as_text=True)
    with pytest.raises(NotFound):
        radicacion.consultar(sc.ctx, FIRST)
    assert file(client, {**petition(), "anexos": (io.BytesIO(PDF), "foto-poste.pdf")}).status_code == 302
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        [row] = uow.session.scalars(select(CaseAttachment)).all()
        assert (row.name, row.purpose, row.uploaded_by) == (
            "foto-poste.pdf",
            "radicacion",
            "ciudadano (portal)",
        )
    assert "foto-poste.pdf" in page(client)


# ---- against spam -----------------------------------------------------------------------------------
def challenge(client: FlaskClient) -> tuple[str, int, str]:
    html = client.get("/portal/radicar").get_data(as_text=True)
    question = re.search(r"¿Cuánto es (\w+) más (\w+)\?", html)
    found = re.search(r'name="verificacion_token" value="([^"]+)"', html)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert question and found and csrf, "the form asks no question"
    from engine.portal.human_check import NUMBERS

    return found.group(1), NUMBERS.index(question.group(1)) + NUMBERS.index(question.group(2)), csrf.group(1)


def post_checked(client: FlaskClient, tok: str, answer: str, csrf: str, **extra: str) -> Any:
    data = {**petition(), "verificacion_token": tok, "verificacion": answer, "csrf_token": csrf, **extra}
    return client.post("/portal/radicar", data=data, content_type="multipart/form-data")


def test_the_human_check_refuses_robots_and_lets_people_through_once(sc: Scenario) -> None:
    with_settings(sc.ctx, portal_human_check=True)
    client = app_of(sc).test_client()
    tok, answer, csrf = challenge(client)
    too_fast = post_checked(client, tok, str(answer), csrf)
    assert too_fast.status_code == 422 and "demasiado rápido" in too_fast.get_data(as_text=True)
    sc.clock.advance(seconds=20)
    wrong = post_checked(client, tok, str(answer + 1), csrf)
    assert wrong.status_code == 422 and "no es correcta" in wrong.get_data(as_text=True)
    robot = post_checked(client, tok, str(answer), csrf, pagina_web="http://spam.example")
    assert robot.status_code == 422
    assert post_checked(client, tok, str(answer), csrf).status_code == 302
    again = post_checked(client, tok, str(answer), csrf)  # the same solved question, replayed
    assert again.status_code == 422
    assert radicacion.consultar(sc.ctx, FIRST)["radicado"] == FIRST
    with pytest.raises(NotFound):
        radicacion.consultar(sc.ctx, "2026-000002")


def test_filings_per_address_are_rate_limited(sc: Scenario) -> None:
    with_settings(sc.ctx, portal_max_filings=2)
    client = app_of(sc).test_client()
    assert [file(client).status_code for _ in range(3)] == [302, 302, 429]
    other = app_of(sc).test_client()
    assert file(other, environ_base={"REMOTE_ADDR": "10.0.0.9"}).status_code == 302  # another address
    sc.clock.advance(hours=1, seconds=1)
    assert file(client).status_code == 302  # the hour went by


def test_csrf_protects_every_portal_form(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    assert client.post("/portal/radicar", data=petition()).status_code == 400
    assert client.post("/portal/consulta", data={"radicado": FIRST, "codigo": "X"}).status_code == 400
    for path in (
        "/portal/caso/complemento",
        "/portal/caso/desistir",
        "/portal/caso/encuesta",
        "/portal/salir",
    ):
        assert client.post(path).status_code == 400


# ---- tracking and privacy ---------------------------------------------------------------------------
def test_tracking_shows_the_estado_in_plain_words_and_no_personal_data(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    file(client, petition(reserva_identidad="true", telefono="3001234567", direccion="Calle 10 # 5-20"))
    citizen = app_of(sc).test_client()  # another browser: only the code opens it
    assert citizen.get("/portal/caso").headers["Location"].endswith("/portal/consulta")
    assert track(citizen, FIRST, code_of(sc).lower()).headers["Location"].endswith("/portal/caso")
    html = page(citizen)
    shown = text_of(html)
    assert "Estado: En trámite" in shown and "martes 24 de marzo de 2026" in shown
    assert "Radicada" in shown and "Su identidad Reservada" in shown
    for private in ("Lucía", "Fernández", "52123456", "lucia.fernandez", "3001234567", "Calle 10"):
        assert private not in html
    assert FIRST not in citizen.get("/portal/caso").headers.get("Location", "")


def test_a_wrong_code_looks_exactly_like_an_unknown_radicado_and_counts(sc: Scenario) -> None:
    with_settings(sc.ctx, portal_max_lookup_failures=3)
    file(app_of(sc).test_client())
    client = app_of(sc).test_client()
    strip = lambda r: re.sub(r'value="[^"]*"', "", r.get_data(as_text=True))  # noqa: E731  (csrf, typed radicado)
    wrong_code = track(client, FIRST, "AAAAAAAAAA")
    unknown = track(client, "2026-999999", code_of(sc))
    assert wrong_code.status_code == unknown.status_code == 404
    assert strip(wrong_code) == strip(unknown)
    assert "No encontramos una PQRSD con ese radicado y ese código" in strip(unknown)
    assert track(client, "", "").status_code == 404
    refused = track(client, FIRST, code_of(sc))  # the right code, after three failures: wait
    assert refused.status_code == 429
    assert client.get("/portal/caso").status_code == 302
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        kinds = [r.kind for r in uow.session.scalars(select(PortalRequest))]
        assert sorted(kinds) == ["consulta_fallida"] * 3 + ["radicacion"]
    sc.clock.advance(minutes=16)
    assert track(client, FIRST, code_of(sc)).status_code == 302


def test_wrong_and_unknown_lookups_cost_the_same_statements(sc: Scenario) -> None:
    from tests.sql_count import counting

    file(app_of(sc).test_client())
    client = app_of(sc).test_client()
    tok = token(client, "/portal/consulta")
    costs = []
    for radicado, code in ((FIRST, "AAAAAAAAAA"), ("2026-999999", "AAAAAAAAAA")):
        with counting(sc.ctx.db) as count:
            client.post("/portal/consulta", data={"radicado": radicado, "codigo": code, "csrf_token": tok})
        costs.append([re.sub(r"\s+", " ", s.split(" WHERE")[0]) for s in count.statements])
    assert costs[0] == costs[1]


def test_the_proven_case_is_forgotten_after_half_an_hour_idle(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    file(client)
    assert client.get("/portal/caso").status_code == 200
    sc.clock.advance(minutes=31)
    assert client.get("/portal/caso").status_code == 302
    assert client.get("/portal/acuse.pdf").status_code == 404


# ---- the citizen's follow-up --------------------------------------------------------------------------
def test_citizen_completes_the_requerimiento_the_clock_resumes_then_answers_the_survey_once(
    sc: Scenario,
) -> None:
    client = app_of(sc).test_client()
    file(client)
    pid = radicacion.consultar(sc.ctx, FIRST)["instance_id"]
    assert isinstance(pid, int)
    sc.advance(days=2)  # Wednesday 4 March: two business days used (3 and 4 March)
    sc.walk(pid, ("Task_Verificar", {"completa": False, "nivel": "autogestion",
                                     "informacion_faltante": "Copia de su cédula de ciudadanía."}),
            ("Task_Requerir", {"texto_requerimiento": "Anexe copia de su cédula."}))  # fmt: skip
    track(client, FIRST, code_of(sc))  # days later: the citizen comes back with the code
    shown = text_of(page(client))
    assert "Estado: Esperando información suya" in shown
    assert "Copia de su cédula de ciudadanía." in shown and "lunes 6 de abril de 2026" in shown
    sc.advance(days=7)  # Wednesday 11 March: five business days suspended (5, 6, 9, 10, 11 March)
    track(client, FIRST, code_of(sc))
    import io

    response = client.post(
        "/portal/caso/complemento",
        data={"complemento": "Adjunto la cédula.", "anexos": (io.BytesIO(PDF), "cedula.pdf"),
              "csrf_token": token(client, "/portal/caso")},
        content_type="multipart/form-data",
    )  # fmt: skip
    assert response.status_code == 302
    case = radicacion.consultar(sc.ctx, FIRST)
    assert (case["status"], case["due_date"]) == ("en_tramite", "2026-03-31")  # 24 March + 5 suspended days
    shown = text_of(page(client))
    assert "Usted completó su solicitud" in shown and "martes 31 de marzo de 2026" in shown
    assert "cedula.pdf" in shown
    assert sc.data(pid)["complemento"] == "Adjunto la cédula."  # a message's variables are process variables

    sc.walk(pid, ("Task_Autogestion", {"respuesta": "Puede consultar el plan de alumbrado en la web."}))
    shown = text_of(page(client))
    assert "Estado: Respondida" in shown and "Puede consultar el plan de alumbrado en la web." in shown
    survey = {"satisfaccion": "4", "solucion": "si", "claridad": "5", "comentarios": "Rápido y claro."}
    response = client.post(
        "/portal/caso/encuesta", data={**survey, "csrf_token": token(client, "/portal/caso")}
    )
    assert response.status_code == 302
    detail = sc.instance(pid)
    assert detail["status"] == "completed" and "End_Respondida" in detail["completed_activities"]
    assert "Event_EncuestaPortal" in detail["completed_activities"]
    assert radicacion.consultar(sc.ctx, FIRST)["status"] == "cerrada"
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        [row] = uow.session.scalars(select(PqrsdSurvey)).all()
        assert (row.source, row.rating, row.answers) == (
            "portal", 4, {"solucion": "si", "claridad": 5, "comentarios": "Rápido y claro."})  # fmt: skip
    html = page(client)
    assert "Enviar la encuesta" not in html and "Usted respondió la encuesta" in html
    again = client.post(
        "/portal/caso/encuesta", data={"satisfaccion": "1", "csrf_token": token(client, "/portal/caso")}
    )
    assert again.status_code == 409 and "una sola vez" in again.get_data(as_text=True)


def test_citizen_withdraws_with_confirmation_and_the_process_stops(sc: Scenario) -> None:
    client = app_of(sc).test_client()
    file(client)
    pid = radicacion.consultar(sc.ctx, FIRST)["instance_id"]
    assert "Desistir de mi solicitud" in page(client, "/portal/caso/desistir")
    tok = token(client, "/portal/caso/desistir")
    unconfirmed = client.post("/portal/caso/desistir", data={"motivo": "Ya lo resolví", "csrf_token": tok})
    assert unconfirmed.status_code == 422 and radicacion.consultar(sc.ctx, FIRST)["status"] == "en_tramite"
    done = client.post(
        "/portal/caso/desistir", data={"motivo": "Ya lo resolví", "confirmo": "si", "csrf_token": tok}
    )
    assert done.status_code == 302
    case = radicacion.consultar(sc.ctx, FIRST)
    assert case["status"] == "desistida_expresa" and case["outcome"] == {
        "acto": None, "motivo": "Ya lo resolví", "por": "ciudadano (portal)"}  # fmt: skip
    assert sc.instance(pid)["status"] == "cancelled"
    shown = text_of(page(client))
    assert "Estado: Retirada" in shown and "Desistir de mi solicitud" not in shown


def test_answer_documents_are_shown_only_once_the_answer_was_sent(sc: Scenario) -> None:
    from engine.pqrsd import attachments

    client = app_of(sc).test_client()
    file(client)
    pid = radicacion.consultar(sc.ctx, FIRST)["instance_id"]
    assert isinstance(pid, int)
    sc.walk(
        pid,
        ("Task_Verificar", {"nivel": "area_misional"}),
        ("Task_AsignarDependencia", {"dependencia": "juridica"}),
    )
    task = sc.task(pid, "Task_ProyectarRespuesta")
    attachments.attach(sc.ctx, FIRST, "u.juridica", [("oficio-respuesta.pdf", PDF)], task_id=task["id"])
    assert "oficio-respuesta.pdf" not in page(client)  # a draft, not yet sent
    sha = attachments.attachments_of(sc.ctx, FIRST, "u.juridica")[0]["sha256"]
    assert client.get(f"/portal/caso/documentos/{sha}").status_code == 404
    sc.walk(pid, ("Task_ProyectarRespuesta", {"respuesta": "Se repararán las luminarias."}),
            ("Task_AprobarRespuesta", {"respuesta_aprobada": True}))  # fmt: skip
    assert "oficio-respuesta.pdf" in page(client)
    download = client.get(f"/portal/caso/documentos/{sha}")
    assert download.status_code == 200 and download.data == PDF
