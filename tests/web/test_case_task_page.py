"""The task page of a PQRSD case: headed by its case, labelled data, rendered form texts, the model's guards."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from engine.identity import users
from engine.pqrsd import radicacion
from engine.workflow import tasks, views
from tests.scenarios import conftest as scenarios
from tests.scenarios.conftest import FILING, Scenario
from tests.web.conftest import PASSWORD, bearer, csrf_token, sign_in
from web import create_app
from web.markdown import to_html

deployed_template, sc = scenarios.deployed_template, scenarios.sc  # fixtures: bpmn/ and forms/ deployed once
CLERK, DRAFTER, REVIEWER = "u.atencion_ciudadano", "u.dependencias", "jefe.dependencias"
ASSIGN = {"dependencia": "dependencias"}
VERIFY = {"completa": "true", "nivel": "area_misional", "entidad_competente": "Superintendencia de Salud"}


@pytest.fixture
def app(sc: Scenario) -> Flask:
    for name in (CLERK, DRAFTER):
        users.set_password(sc.ctx, name, PASSWORD)
    users.add_user(sc.ctx, REVIEWER, groups="dependencias", roles="funcionario", password=PASSWORD)
    return create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx)


def filed(sc: Scenario, **changes: Any) -> tuple[str, int]:
    case = radicacion.file_pqrsd(sc.ctx, {**FILING, **changes}, actor=CLERK)
    assert case["instance_id"] is not None
    return case["radicado"], case["instance_id"]


def drafted(sc: Scenario) -> tuple[int, int]:
    """A case whose answer DRAFTER drafted: its instance and approval task."""
    _, pid = filed(sc)
    sc.walk(pid, ("Task_Verificar", {"nivel": "area_misional"}), ("Task_AsignarDependencia", ASSIGN))
    draft = sc.task(pid, "Task_ProyectarRespuesta")
    tasks.complete_task(sc.ctx, draft["id"], DRAFTER, {"respuesta": "Se expide el certificado."})
    return pid, int(sc.task(pid, "Task_AprobarRespuesta")["id"])


def client_of(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    sign_in(client, username)
    return client


def post(client: FlaskClient, task_id: int, data: dict[str, str]) -> Any:
    token = csrf_token(client, f"/tareas/{task_id}")
    return client.post(f"/tareas/{task_id}", data={**data, "csrf_token": token})


def claim(client: FlaskClient, task_id: int) -> None:
    token = csrf_token(client, f"/tareas/{task_id}")
    assert client.post(f"/tareas/{task_id}/reclamar", data={"csrf_token": token}).status_code == 302


def data_section(html: str) -> str:
    return html.split('id="data-h"', 1)[1]


def test_the_task_of_a_case_is_headed_by_its_radicado_subject_petitioner_and_due_date(
    app: Flask, sc: Scenario
) -> None:
    radicado, pid = filed(sc)
    html = client_of(app, CLERK).get(f"/tareas/{sc.task(pid, 'Task_Verificar')['id']}").get_data(as_text=True)
    head = html.split("<h1>", 1)[0]
    assert f'<a href="/pqrsd/{radicado}">PQRSD {radicado}</a>' in head
    assert "Petición de interés general o particular" in head
    assert "Certificado de residencia" in head and "María Pérez" in head
    assert "24 mar. 2026 · quedan 15 días hábiles" in head  # Monday 23 March is a holiday


def test_an_anonymous_petitioner_is_shown_as_anonimo(app: Flask, sc: Scenario) -> None:
    _, pid = filed(sc, anonimo="true", nombre="", correo="", tipo_documento="", numero_documento="")
    html = client_of(app, CLERK).get(f"/tareas/{sc.task(pid, 'Task_Verificar')['id']}").get_data(as_text=True)
    assert "<dt>Peticionario</dt><dd>Anónimo</dd>" in html.split("<h1>", 1)[0]


def test_a_task_of_no_case_has_no_case_header_and_its_review_comment_shows_too(
    app: Flask, sc: Scenario
) -> None:
    sc.advance(days=31, hours=1)  # 2 April: the monthly report starts
    (report,) = [i["id"] for i in views.instances(sc.ctx, process_key="informe_pqrsd")]
    sc.walk(report, "Task_RedactarInforme")
    sc.walk(
        report, ("Task_RevisarInforme", {"informe_aprobado": False, "observaciones_informe": "Sin cifras."})
    )
    redo = sc.task(report, "Task_RedactarInforme")["id"]
    html = client_of(app, CLERK).get(f"/tareas/{redo}").get_data(as_text=True)
    assert "case-head" not in html and f"ver proceso n.º {report} en el diagrama" in html
    assert "<h2>Observaciones</h2>" in html.split('class="callout"', 1)[1].split("</aside>", 1)[0]


def test_datos_del_tramite_shows_form_labels_choice_names_and_es_co_dates_without_internal_variables(
    app: Flask, sc: Scenario
) -> None:
    _, approval = drafted(sc)
    html = client_of(app, REVIEWER).get(f"/tareas/{approval}").get_data(as_text=True)
    shown = dict(re.findall(r"<div><dt>([^<]+)</dt><dd>([^<]*)</dd></div>", data_section(html)))
    assert shown["Tipo de PQRSD"] == "Petición de interés general o particular"
    assert shown["Canal de recepción"] == "Correo electrónico"
    assert shown["Respuesta proyectada"] == "Se expide el certificado."
    assert shown["¿La entidad es competente?"] == "Sí"
    assert shown["Dependencia responsable"] == "Dependencias y procesos misionales"
    assert shown["Fecha y hora de recibo (ISO-8601)"] == "2 mar. 2026, 8:00 a. m."
    for internal in ("fecha_vencimiento", "dias_alerta", "prioridad_num", "radicado", "tipo", "estado"):
        assert f"<dt>{internal}</dt>" not in html, internal
    assert "¿Se aprueba la respuesta?" not in shown  # the task's own form is not repeated


def test_form_texts_lose_their_markdown_marks_and_do_not_repeat_the_instructions(
    app: Flask, sc: Scenario
) -> None:
    _, approval = drafted(sc)
    html = client_of(app, REVIEWER).get(f"/tareas/{approval}").get_data(as_text=True)
    assert "##" not in html
    assert html.count("La aprueba el jefe de la dependencia.") == 1  # under «Qué hacer» only


def test_the_little_markdown_of_form_texts_is_rendered_escaped() -> None:
    html = to_html(
        "## Título\n\nTexto **clave** y *énfasis*\n<script>alert(1)</script>\n\n- uno\n- dos\n\n1. a"
    )
    assert html == (
        "<h3>Título</h3><p>Texto <strong>clave</strong> y <em>énfasis</em><br>"
        "&lt;script&gt;alert(1)&lt;/script&gt;</p><ul><li>uno</li><li>dos</li></ul><ol><li>a</li></ol>"
    )
    assert to_html('[x](javascript:alert(1)) <img src=x onerror="y">') == (
        "<p>[x](javascript:alert(1)) &lt;img src=x onerror=&#34;y&#34;&gt;</p>"
    )


def test_the_drafter_gets_403_with_the_reason_and_another_official_approves(app: Flask, sc: Scenario) -> None:
    pid, approval = drafted(sc)
    drafter = client_of(app, DRAFTER)
    page = drafter.get(f"/tareas/{approval}").get_data(as_text=True)
    assert "control de cuatro ojos" in page and "Reclamar esta tarea" not in page
    assert re.search(r'value="completar" class="primary"\s+disabled', page)
    refused = post(drafter, approval, {"accion": "completar", "respuesta_aprobada": "true"})
    assert refused.status_code == 403
    assert "Usted completó «Proyectar la respuesta» en este trámite" in refused.get_data(as_text=True)
    api = app.test_client().post(
        f"/api/v1/tasks/{approval}/complete",
        json={"data": {"respuesta_aprobada": True}},
        headers=bearer(sc.ctx, DRAFTER),
    )
    assert api.status_code == 403 and "cuatro ojos" in api.get_json()["error"]
    reviewer = client_of(app, REVIEWER)
    claim(reviewer, approval)
    assert post(reviewer, approval, {"accion": "completar", "respuesta_aprobada": "true"}).status_code == 302
    assert "Task_AprobarRespuesta" in sc.instance(pid)["completed_activities"]


def test_the_reviewers_comment_is_at_the_top_of_the_redo_task(app: Flask, sc: Scenario) -> None:
    pid, approval = drafted(sc)
    reviewer = client_of(app, REVIEWER)
    claim(reviewer, approval)
    comment = "Falta citar el artículo 14 y corregir la dirección."
    not_approved = {"accion": "completar", "observaciones_revision": comment}  # the box left unticked
    assert post(reviewer, approval, not_approved).status_code == 302
    redo = sc.task(pid, "Task_ProyectarRespuesta")["id"]
    html = client_of(app, DRAFTER).get(f"/tareas/{redo}").get_data(as_text=True)
    callout = html.split('class="callout"', 1)[1].split("</aside>", 1)[0]
    assert "<h2>Observaciones de la revisión</h2>" in callout and comment in callout
    assert html.index('class="callout"') < html.index('id="doc-h"') < html.index('id="form-h"')
    assert "observaciones_revision" not in html


def test_a_transfer_asks_for_confirmation_on_the_page_and_in_the_api(app: Flask, sc: Scenario) -> None:
    _, pid = filed(sc)
    verify = sc.task(pid, "Task_Verificar")["id"]
    clerk = client_of(app, CLERK)
    claim(clerk, verify)
    page = clerk.get(f"/tareas/{verify}").get_data(as_text=True)
    assert "¿Confirma que la entidad no es competente?" in page
    assert 'name="confirmado" value="true"' in page
    assert "Se pide cuando «¿La entidad es competente?» es «No»" in page
    refused = post(clerk, verify, {"accion": "completar", **VERIFY})  # competente unticked: no competence
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'id="campo-confirmado-error"' in html and 'href="#campo-confirmado"' in html
    assert sc.task(pid, "Task_Verificar")["id"] == verify  # nothing written
    api = app.test_client().post(
        f"/api/v1/tasks/{verify}/complete",
        json={"data": {"competente": False}},
        headers=bearer(sc.ctx, CLERK),
    )
    assert api.status_code == 422 and set(api.get_json()["details"]) == {"confirmado"}
    done = post(clerk, verify, {"accion": "completar", **VERIFY, "confirmado": "true"})
    assert done.status_code == 302
    assert sc.task(pid, "Task_Trasladar")


def test_the_api_completes_a_confirmed_choice(app: Flask, sc: Scenario) -> None:
    _, pid = filed(sc)
    verify = sc.task(pid, "Task_Verificar")["id"]
    api = app.test_client().post(
        f"/api/v1/tasks/{verify}/complete",
        json={"data": {"competente": False, "entidad_competente": "Supersalud"}, "confirmado": True},
        headers=bearer(sc.ctx, CLERK),
    )
    assert api.status_code == 200, api.get_json()
    assert sc.task(pid, "Task_Trasladar")
