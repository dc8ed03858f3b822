"""Task page: documentation, every form field type, validation next to the field, drafts, complete → next."""

from __future__ import annotations

import re

import pytest
from flask import Flask

from engine.identity.users import get_user
from engine.modeling.definitions import SourceFile
from engine.workflow import deployments, instances, views
from tests.web.conftest import DATA, engine, post, sign_in, start_solicitud

HERE_DATA = DATA.parent / "web" / "data"


@pytest.fixture
def certificado(app: Flask) -> int:
    ctx = engine(app)
    files = [SourceFile(n, (HERE_DATA / n).read_bytes()) for n in ("campos.bpmn", "campos.form")]
    assert deployments.deploy(ctx, files).report.ok
    started = instances.start_process(ctx, "certificado", actor="ana")
    items, _ = views.tasks(ctx, views.task_filter_for(get_user(ctx, "ana"), instance_id=started.id))
    return int(items[0]["id"])


VALID = {
    "accion": "completar",
    "nombre": "Ana Pérez",
    "observaciones": "",
    "copias": "2",
    "urgente": "true",
    "anexos": ["cedula", "carta"],
    "medio": "correo",
    "tipo_certificado": "laboral",
    "fecha_expedicion": "2026-03-02",
    "cita": "2026-03-05T10:30",
}


def test_every_field_type_is_rendered_with_a_label(app: Flask, certificado: int) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    html = client.get(f"/tareas/{certificado}").get_data(as_text=True)
    assert "Revise los soportes y diligencie el certificado." in html  # documentation
    assert "Diligencie los datos del certificado." in html  # text component
    for needle in (
        'id="campo-nombre" name="nombre"',
        '<textarea id="campo-observaciones"',
        'inputmode="decimal"',
        'type="checkbox" id="campo-urgente"',
        'name="anexos" value="cedula"',
        'type="radio" id="campo-medio-1"',
        '<select id="campo-tipo_certificado"',
        'type="date"',
        'type="datetime-local"',
        "<legend>Fechas</legend>",
    ):
        assert needle in html, needle
    inputs = re.findall(r'<(?:input|select|textarea)[^>]*\bid="(campo-[^"]+)"', html)
    labelled = set(re.findall(r'<label for="([^"]+)"', html)) | set(
        re.findall(r'<fieldset[^>]*id="([^"]+)"', html)
    )
    assert inputs and all(i in labelled or i.rsplit("-", 1)[0] in labelled for i in inputs)
    assert 'aria-describedby="campo-nombre-ayuda"' in html


def test_invalid_input_gets_its_message_next_to_the_field_and_keeps_what_was_typed(
    app: Flask, certificado: int
) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    response = post(client, f"/tareas/{certificado}", {**VALID, "nombre": "Al", "copias": "9", "medio": ""})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert 'id="campo-nombre-error"' in html and "Debe tener como mínimo 3 caracteres." in html
    assert "Debe ser como máximo 5." in html and "Este campo es obligatorio." in html
    assert 'value="Al"' in html and 'value="9"' in html and 'aria-invalid="true"' in html
    assert 'value="carta" checked' in html  # checklist choices kept
    assert 'href="#campo-nombre"' in html  # error summary links to the field
    assert views.task(engine(app), certificado)["state"] == "ready"


def test_valid_form_completes_and_opens_the_next_task_of_the_same_instance(
    app: Flask, certificado: int
) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    response = post(client, f"/tareas/{certificado}", VALID)
    assert response.status_code == 302
    nxt = int(response.headers["Location"].rsplit("/", 1)[1])
    assert views.task(engine(app), nxt)["name"] == "Firmar certificado"
    data = instances_data(app, certificado)
    assert data["anexos"] == ["cedula", "carta"] and data["urgente"] is True and data["copias"] == 2
    last = post(client, f"/tareas/{nxt}", {"accion": "completar"})
    assert last.headers["Location"] == "/tareas"  # nothing else for ana: back to the inbox


def instances_data(app: Flask, task_id: int) -> dict[str, object]:
    from engine.workflow import diagrams

    ctx = engine(app)
    detail = diagrams.instance_page(ctx, views.task(ctx, task_id)["instance_id"], "root")
    data = detail["data"]
    assert isinstance(data, dict)
    return data


def test_draft_is_saved_and_shown_again_without_completing(app: Flask, certificado: int) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    response = post(
        client,
        f"/tareas/{certificado}",
        {**VALID, "accion": "guardar", "nombre": "Borrador X", "urgente": None},
    )
    assert response.status_code == 302
    html = client.get(f"/tareas/{certificado}").get_data(as_text=True)
    assert 'value="Borrador X"' in html and "borrador guardado" in html
    assert 'id="campo-urgente" name="urgente" value="true" checked' not in html
    assert views.task(engine(app), certificado)["state"] == "ready"


def test_unchecked_boolean_is_sent_as_false(app: Flask) -> None:
    ctx = engine(app)
    iid = start_solicitud(ctx)
    client = app.test_client()
    sign_in(client, "ana")
    tid = views.tasks(ctx, views.task_filter_for(get_user(ctx, "ana"), instance_id=iid))[0][0]["id"]
    post(client, f"/tareas/{tid}/reclamar")
    response = post(
        client,
        f"/tareas/{tid}",
        {
            "accion": "completar",
            "concepto": "No procede",
            "folios": "1",
            "canal_respuesta": "correo",
            "fecha_respuesta": "",
        },
    )
    assert response.status_code == 302
    open_names = [
        t["name"] for t in views.tasks(ctx, views.task_filter_for(get_user(ctx, "root"), instance_id=iid))[0]
    ]
    assert "Notificar rechazo" in open_names  # aprobado=false took the rejection branch


def test_claim_unclaim_and_assign_from_the_task_page(app: Flask) -> None:
    ctx = engine(app)
    iid = start_solicitud(ctx)
    tid = views.tasks(ctx, views.task_filter_for(get_user(ctx, "ana"), instance_id=iid))[0][0]["id"]
    client = app.test_client()
    sign_in(client, "ana")
    page = client.get(f"/tareas/{tid}").get_data(as_text=True)
    assert "Reclamar esta tarea" in page and "Reclame la tarea para diligenciar" in page
    assert 'value="completar" class="primary" disabled' in page
    post(client, f"/tareas/{tid}/reclamar")
    assert views.task(ctx, tid)["assignee"] == "ana"
    assert "Liberar" in client.get(f"/tareas/{tid}").get_data(as_text=True)
    post(client, f"/tareas/{tid}/liberar")
    assert views.task(ctx, tid)["assignee"] is None
    boss = app.test_client()
    sign_in(boss, "sara")
    assert "Asignar a" in boss.get(f"/tareas/{tid}").get_data(as_text=True)
    post(boss, f"/tareas/{tid}/asignar", {"asignado": "ana"})
    assert views.task(ctx, tid)["assignee"] == "ana"
    assert "Asignar a" not in client.get(f"/tareas/{tid}").get_data(as_text=True)


def test_completing_an_already_completed_task_says_so(app: Flask, certificado: int) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    post(client, f"/tareas/{certificado}", VALID)
    again = post(client, f"/tareas/{certificado}", VALID)
    assert again.status_code == 409 and "ya fue completada" in again.get_data(as_text=True)


def test_start_page_lists_startable_processes_and_validates_the_start_form(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    listing = client.get("/iniciar").get_data(as_text=True)
    assert "Atender solicitud" in listing
    form = client.get("/iniciar/atender_solicitud").get_data(as_text=True)
    assert 'name="solicitante"' in form and 'name="tipo"' in form
    bad = post(client, "/iniciar/atender_solicitud", {"solicitante": "", "asunto": "x", "tipo": "queja"})
    assert bad.status_code == 422 and "Este campo es obligatorio." in bad.get_data(as_text=True)
    good = post(
        client,
        "/iniciar/atender_solicitud",
        {"solicitante": "ana", "asunto": "x", "tipo": "queja", "clave_negocio": "RAD-1"},
    )
    assert good.status_code == 302


def test_candidate_starter_groups_limit_who_may_start(app: Flask, certificado: int) -> None:
    outsider = app.test_client()
    sign_in(outsider, "beto")
    assert "Expedir certificado" not in outsider.get("/iniciar").get_data(as_text=True)
    assert outsider.get("/iniciar/certificado").status_code == 403
