"""Attachments of a PQRSD case: at filing, on the case page, on a task and by API; downloaded only by who may see
the case; a hostile upload gets 413 or 422 in Spanish and leaves neither a file in the store nor a row."""

from __future__ import annotations

import hashlib
import html
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.pqrsd import attachments, radicacion
from engine.pqrsd.files import MB
from engine.store.legal_tables import CaseAttachment, PqrsdCase, RadicadoSequence
from engine.store.tables import AuditEvent
from engine.store.uow import UnitOfWork
from engine.workflow.handlers import register_builtin_handlers
from tests.conftest import make_database_url
from tests.scenarios.conftest import FUNCTIONS, Scenario, deployed_template, prepare  # noqa: F401
from tests.scenarios.test_radicacion import FILING
from tests.unit.test_files import EXE, make_docx, make_odt, make_pdf, make_png
from tests.web.conftest import csrf_token
from web import create_app

PASSWORD = "clave-segura-1"
CLERK = "u.atencion_ciudadano"  # files the cases; Task_Verificar is for atencion_ciudadano
COLLEAGUE = "lucia"  # another funcionaria of atencion_ciudadano: she sees the case through its task
STRANGER = "u.talento_humano"  # no task of the case is for talento_humano
PDF_NAME = "Derecho de petición.pdf"
PDF = make_pdf()
LIMIT_MB = 1  # PHVA_MAX_UPLOAD_MB of these tests: MAX_CONTENT_LENGTH is then 2 MB


def scenario_with_limit(url: str, tmp_path: Path, clock: FrozenClock) -> Context:
    settings = Settings(database_url=url, instance_dir=tmp_path / "instance", max_upload_mb=LIMIT_MB)
    ctx = create_context(settings, clock=clock, functions=FUNCTIONS)
    register_builtin_handlers(ctx.services, ctx)
    return ctx


def _with_staff(ctx: Context, clock: FrozenClock) -> Scenario:
    users.add_user(ctx, COLLEAGUE, groups="atencion_ciudadano", roles="funcionario")
    for name in (CLERK, COLLEAGUE, STRANGER):
        users.set_password(ctx, name, PASSWORD)
    return Scenario(ctx, clock)


@pytest.fixture
def sc(tmp_path: Path, clock: FrozenClock, deployed_template: Path) -> Iterator[Scenario]:  # noqa: F811
    target = tmp_path / "phva.db"
    shutil.copy(deployed_template, target)
    ctx = scenario_with_limit(f"sqlite:///{target}", tmp_path, clock)
    yield _with_staff(ctx, clock)
    ctx.db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_sc(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    clock: FrozenClock,
    deployed_template: Path,  # noqa: F811
) -> Iterator[Scenario]:
    if request.param == "sqlite":
        target = tmp_path / "phva.db"
        shutil.copy(deployed_template, target)
        ctx = scenario_with_limit(f"sqlite:///{target}", tmp_path, clock)
    else:
        ctx = scenario_with_limit(make_database_url("postgres", request, tmp_path), tmp_path, clock)
        prepare(ctx)
    yield _with_staff(ctx, clock)
    ctx.db.dispose()


def app_of(sc: Scenario) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post(
        "/ingresar", data={"usuario": username, "contrasena": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    return client


def bearer(sc: Scenario, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {users.issue_token(sc.ctx, username)}"}


def parts(files: list[tuple[str, bytes]]) -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(content), name) for name, content in files]


def file_pqrsd(sc: Scenario, actor: str = CLERK) -> str:
    return radicacion.file_pqrsd(sc.ctx, FILING, actor=actor)["radicado"]


def upload_on_page(client: FlaskClient, radicado: str, files: list[tuple[str, bytes]], **fields: str) -> Any:
    token = csrf_token(client, f"/pqrsd/{radicado}")
    data = {"anexos": parts(files), "csrf_token": token, **fields}
    return client.post(f"/pqrsd/{radicado}/anexos", data=data, content_type="multipart/form-data")


def upload_by_api(
    app: Flask, sc: Scenario, radicado: str, files: list[tuple[str, bytes]], **fields: str
) -> Any:
    return app.test_client().post(
        f"/api/v1/pqrsd/{radicado}/anexos",
        data={"anexos": parts(files), **fields},
        content_type="multipart/form-data",
        headers=bearer(sc, CLERK),
    )


def stored_files(sc: Scenario) -> list[Path]:
    root = sc.ctx.settings.instance_dir / "files"
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def count(sc: Scenario, model: Any) -> int:
    with UnitOfWork(sc.ctx.db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- the happy paths ---------------------------------------------------------------------------


def test_files_given_at_filing_are_stored_with_the_case_and_listed_on_its_page(any_sc: Scenario) -> None:
    sc = any_sc
    app = app_of(sc)
    client = signed_in(app, CLERK)
    docx = make_docx()
    data = {
        **FILING,
        "csrf_token": csrf_token(client, "/pqrsd/radicar"),
        "anexos": parts([(PDF_NAME, PDF), ("solicitud.docx", docx)]),
    }

    filed = client.post("/pqrsd/radicar", data=data, content_type="multipart/form-data")

    assert filed.status_code == 302, filed.get_data(as_text=True)
    radicado = filed.headers["Location"].rsplit("/", 1)[1]
    page = html.unescape(client.get(f"/pqrsd/{radicado}").get_data(as_text=True))
    assert "Derecho de petición.pdf" in page and "solicitud.docx" in page and "al radicar" in page
    listed = app.test_client().get(f"/api/v1/pqrsd/{radicado}/anexos", headers=bearer(sc, CLERK)).get_json()
    assert listed["total"] == 2
    assert [(a["name"], a["purpose"], a["sha256"], a["size"]) for a in listed["items"]] == [
        (PDF_NAME, "radicacion", sha(PDF), len(PDF)),
        ("solicitud.docx", "radicacion", sha(docx), len(docx)),
    ]
    assert {p.name for p in stored_files(sc)} == {sha(PDF), sha(docx)}
    case = app.test_client().get(f"/api/v1/pqrsd/{radicado}", headers=bearer(sc, CLERK)).get_json()
    assert {e["action"] for e in case["eventos"]} == {"pqrsd_radicada", "pqrsd_en_tramite", "pqrsd_anexo"}
    [anexo] = [e for e in case["eventos"] if e["action"] == "pqrsd_anexo"]
    assert "al radicarla" in anexo["summary"]


def test_upload_on_the_case_page_then_a_colleague_downloads_the_same_bytes(any_sc: Scenario) -> None:
    sc = any_sc
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    png = make_png()

    uploaded = upload_on_page(
        signed_in(app, CLERK), radicado, [("captura.png", png)], descripcion="Foto del predio"
    )

    assert uploaded.status_code == 302
    assert uploaded.headers["Location"].endswith(f"/pqrsd/{radicado}#anexos")
    colleague = signed_in(app, COLLEAGUE)
    page = html.unescape(colleague.get(f"/pqrsd/{radicado}").get_data(as_text=True))
    assert "captura.png" in page and "Foto del predio" in page and "PNG" in page
    downloaded = colleague.get(f"/pqrsd/{radicado}/anexos/{sha(png)}")
    assert downloaded.status_code == 200
    assert downloaded.data == png
    assert downloaded.mimetype == "image/png"
    assert downloaded.headers["Content-Disposition"] == (
        "attachment; filename=\"captura.png\"; filename*=UTF-8''captura.png"
    )
    assert downloaded.headers["X-Content-Type-Options"] == "nosniff"
    assert "no-store" in downloaded.headers["Cache-Control"]


def test_api_uploads_lists_and_downloads(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)

    created = upload_by_api(app, sc, radicado, [(PDF_NAME, PDF)], descripcion="Escrito original")

    assert created.status_code == 201, created.get_json()
    [item] = created.get_json()["items"]
    assert item["name"] == PDF_NAME and item["purpose"] == "caso" and item["uploaded_by"] == CLERK
    assert item["description"] == "Escrito original" and item["media_type"] == "application/pdf"
    assert created.headers["Location"].endswith(f"/api/v1/pqrsd/{radicado}/anexos")
    got = app.test_client().get(f"/api/v1/pqrsd/{radicado}/anexos/{sha(PDF)}", headers=bearer(sc, COLLEAGUE))
    assert got.status_code == 200 and got.data == PDF and got.mimetype == "application/pdf"
    assert got.headers["Content-Disposition"] == (
        "attachment; filename=\"Derecho de peticion.pdf\"; filename*=UTF-8''Derecho%20de%20petici%C3%B3n.pdf"
    )


def test_stored_name_is_quoted_safely_in_the_download_header(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    attachments.attach(sc.ctx, radicado, CLERK, [('Carta "firmada"; ñ.pdf', PDF)])

    got = app.test_client().get(f"/api/v1/pqrsd/{radicado}/anexos/{sha(PDF)}", headers=bearer(sc, CLERK))

    assert got.headers["Content-Disposition"] == (
        'attachment; filename="Carta _firmada_; n.pdf"; '
        "filename*=UTF-8''Carta%20%22firmada%22%3B%20%C3%B1.pdf"
    )


def test_a_name_as_browsers_encode_it_is_decoded_before_it_is_checked(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)

    quoted = upload_by_api(app, sc, radicado, [("Carta %22firmada%22.pdf", PDF)])
    forged = upload_by_api(app, sc, radicado, [("anexo%0D%0AX-Inyectado: 1.png", make_png())])

    assert quoted.get_json()["items"][0]["name"] == 'Carta "firmada".pdf'
    assert forged.status_code == 422
    assert "caracteres de control o invisibles" in forged.get_json()["error"]


def test_attachment_on_an_open_task_names_the_task(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    instance_id = radicacion.consultar(sc.ctx, radicado)["instance_id"]
    assert instance_id is not None
    task = sc.task(instance_id, "Task_Verificar")

    response = upload_on_page(
        signed_in(app, COLLEAGUE), radicado, [("carta.odt", make_odt())], tarea=str(task["id"])
    )

    assert response.status_code == 302
    [item] = (
        app.test_client()
        .get(f"/api/v1/pqrsd/{radicado}/anexos", headers=bearer(sc, CLERK))
        .get_json()["items"]
    )
    assert (item["purpose"], item["task_id"], item["task_name"]) == ("tarea", task["id"], task["name"])


# --- who may ------------------------------------------------------------------------------------


def test_a_stranger_may_not_list_upload_or_download(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    assert upload_by_api(app, sc, radicado, [(PDF_NAME, PDF)]).status_code == 201
    files, rows = stored_files(sc), count(sc, CaseAttachment)
    stranger = signed_in(app, STRANGER)
    token = bearer(sc, STRANGER)

    assert stranger.get(f"/pqrsd/{radicado}/anexos/{sha(PDF)}").status_code == 403
    assert (
        app.test_client().get(f"/api/v1/pqrsd/{radicado}/anexos/{sha(PDF)}", headers=token).status_code == 403
    )
    assert app.test_client().get(f"/api/v1/pqrsd/{radicado}/anexos", headers=token).status_code == 403
    refused = upload_on_page_as(stranger, radicado, [("captura.png", make_png())])
    assert refused.status_code == 403
    assert "No tiene acceso a la PQRSD" in html.unescape(refused.get_data(as_text=True))
    assert (stored_files(sc), count(sc, CaseAttachment)) == (files, rows)


def upload_on_page_as(client: FlaskClient, radicado: str, files: list[tuple[str, bytes]]) -> Any:
    """A post from a user who cannot open the case page: the CSRF token of a page they can open."""
    data = {"anexos": parts(files), "csrf_token": csrf_token(client, "/pqrsd/radicar")}
    return client.post(f"/pqrsd/{radicado}/anexos", data=data, content_type="multipart/form-data")


def test_who_sees_the_case_but_not_the_task_may_not_attach_on_the_task(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(
        sc, actor=STRANGER
    )  # the filer sees the case; Task_Verificar is atencion_ciudadano's
    instance_id = radicacion.consultar(sc.ctx, radicado)["instance_id"]
    assert instance_id is not None
    task_id = sc.task(instance_id, "Task_Verificar")["id"]
    client = signed_in(app, STRANGER)

    other_instance = radicacion.consultar(sc.ctx, file_pqrsd(sc))["instance_id"]
    assert other_instance is not None
    task_of_another_case = sc.task(other_instance, "Task_Verificar")["id"]

    assert upload_on_page(client, radicado, [(PDF_NAME, PDF)], tarea=str(task_id)).status_code == 403
    assert (
        upload_on_page(client, radicado, [(PDF_NAME, PDF)], tarea=str(task_of_another_case)).status_code
        == 404
    )
    assert stored_files(sc) == [] and count(sc, CaseAttachment) == 0
    assert upload_on_page(client, radicado, [(PDF_NAME, PDF)]).status_code == 302  # on the case itself


def test_an_attachment_of_another_case_is_not_found_there(sc: Scenario) -> None:
    app = app_of(sc)
    first, second = file_pqrsd(sc), file_pqrsd(sc)
    assert upload_by_api(app, sc, first, [(PDF_NAME, PDF)]).status_code == 201
    client = signed_in(app, CLERK)

    assert client.get(f"/pqrsd/{second}/anexos/{sha(PDF)}").status_code == 404
    assert client.get(f"/pqrsd/{first}/anexos/{'0' * 64}").status_code == 404
    assert client.get(f"/pqrsd/{first}/anexos/..%2F..%2Fphva.db").status_code == 404
    assert client.get(f"/pqrsd/2026-999999/anexos/{sha(PDF)}").status_code == 404


# --- hostile uploads: 413 or 422 in Spanish, and nothing stored -----------------------------------

GOOD = ("carta.odt", make_odt())  # sent first with every bad file: a batch is stored whole or not at all
HOSTILE = {
    "too-big": (
        "expediente.pdf",
        PDF + b"\n" * (LIMIT_MB * MB + 1 - len(PDF)),
        413,
        "supera el máximo de 1 MB",
    ),
    "past-request-limit": (
        "expediente.pdf",
        PDF + b"\n" * (2 * LIMIT_MB * MB),
        413,
        "supera el máximo de un envío",
    ),
    "exe-as-pdf": ("factura.pdf", EXE, 422, "no corresponde a ningún tipo conocido"),
    "pdf-as-png": ("escaneo.png", PDF, 422, "es un PDF pero su nombre termina en «.png»"),
    "path-in-name": ("../../instance/phva.pdf", PDF, 422, "incluye una ruta"),
    "empty": ("anexo.pdf", b"", 422, "«anexo.pdf» está vacío"),
    # as a browser encodes CR LF in a file name (a raw one would end the part's headers)
    "line-break-in-name": ("anexo%0D%0AX-Inyectado: 1.pdf", PDF, 422, "caracteres de control o invisibles"),
    "same-file-twice": (GOOD[0].replace(".odt", " (copia).odt"), GOOD[1], 422, "son el mismo archivo"),
}


@pytest.mark.parametrize("entry", ["page", "api"])
@pytest.mark.parametrize("case", list(HOSTILE))
def test_hostile_upload_is_refused_in_spanish_and_nothing_is_stored(
    case: str, entry: str, sc: Scenario
) -> None:
    name, content, status, message = HOSTILE[case]
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    files, rows, events = stored_files(sc), count(sc, CaseAttachment), count(sc, AuditEvent)

    if entry == "page":
        response = upload_on_page(signed_in(app, CLERK), radicado, [GOOD, (name, content)])
        shown = html.unescape(response.get_data(as_text=True))
    else:
        response = upload_by_api(app, sc, radicado, [GOOD, (name, content)])
        shown = response.get_json()["error"]

    assert response.status_code == status
    assert message in shown
    assert (stored_files(sc), count(sc, CaseAttachment), count(sc, AuditEvent)) == (files, rows, events)


def test_a_windows_path_sent_by_hand_is_refused(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    boundary = "limite"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="anexos"; filename="C:\\\\Users\\\\ana\\\\anexo.pdf"\r\n'
            f"Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + PDF
        + f"\r\n--{boundary}--\r\n".encode()
    )

    response = app.test_client().post(
        f"/api/v1/pqrsd/{radicado}/anexos",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
        headers=bearer(sc, CLERK),
    )

    assert response.status_code == 422
    assert "«C:\\Users\\ana\\anexo.pdf» incluye una ruta" in response.get_json()["error"]
    assert stored_files(sc) == [] and count(sc, CaseAttachment) == 0


def test_hostile_file_at_filing_leaves_no_radicado_and_nothing_stored(sc: Scenario) -> None:
    app = app_of(sc)
    client = signed_in(app, CLERK)
    before = (count(sc, PqrsdCase), count(sc, RadicadoSequence), count(sc, CaseAttachment))
    data = {
        **FILING,
        "csrf_token": csrf_token(client, "/pqrsd/radicar"),
        "anexos": parts([GOOD, ("factura.pdf", EXE)]),
    }

    response = client.post("/pqrsd/radicar", data=data, content_type="multipart/form-data")

    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert "Anexos: El contenido de «factura.pdf» no corresponde a ningún tipo conocido" in page
    assert 'value="Certificado de residencia"' in page  # what was typed is kept
    assert (count(sc, PqrsdCase), count(sc, RadicadoSequence), count(sc, CaseAttachment)) == before
    assert stored_files(sc) == []


def test_the_same_file_again_on_the_case_is_refused(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    assert upload_by_api(app, sc, radicado, [(PDF_NAME, PDF)]).status_code == 201

    again = upload_by_api(app, sc, radicado, [("otra vez.pdf", PDF)])

    assert again.status_code == 422
    assert again.get_json()["details"] == {
        "anexos": f"«otra vez.pdf» ya está anexado a la PQRSD {radicado} como «{PDF_NAME}»."
    }
    assert count(sc, CaseAttachment) == 1


def test_an_upload_without_a_file_or_not_multipart_is_refused(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)

    nothing = upload_on_page(signed_in(app, CLERK), radicado, [])
    as_json = app.test_client().post(
        f"/api/v1/pqrsd/{radicado}/anexos", json={"anexos": []}, headers=bearer(sc, CLERK)
    )

    assert nothing.status_code == 422
    assert "Elija al menos un archivo para anexar." in html.unescape(nothing.get_data(as_text=True))
    assert as_json.status_code == 400
    assert "multipart/form-data" in as_json.get_json()["error"]


def test_an_upload_without_the_csrf_token_is_refused(sc: Scenario) -> None:
    app = app_of(sc)
    radicado = file_pqrsd(sc)
    client = signed_in(app, CLERK)

    response = client.post(
        f"/pqrsd/{radicado}/anexos",
        data={"anexos": parts([(PDF_NAME, PDF)])},
        content_type="multipart/form-data",
    )

    assert response.status_code == 400
    assert stored_files(sc) == [] and count(sc, CaseAttachment) == 0
