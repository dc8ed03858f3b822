"""A start form's texts (form-js "text" components hold Markdown) render as a safe subset, never as raw "##"."""

from __future__ import annotations

import json

from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.workflow import deployments
from tests.helpers import process_xml
from tests.scenarios.conftest import Scenario
from tests.web.conftest import csrf_token
from web import create_app

FORM = {
    "id": "inicio_con_texto",
    "type": "default",
    "schemaVersion": 16,
    "components": [
        {
            "type": "text",
            "id": "t1",
            "text": "## Antes de empezar\n\nTenga a mano **el oficio** y <b>no</b> más.",
        },
        {"type": "textfield", "id": "f1", "key": "asunto", "label": "Asunto"},
    ],
}
MODEL = """
    <bpmn:startEvent id="Inicio" camunda:formRef="inicio_con_texto" camunda:formRefBinding="latest" />
    <bpmn:sequenceFlow id="F1" sourceRef="Inicio" targetRef="Fin" />
    <bpmn:endEvent id="Fin" />
"""


def test_a_start_form_shows_its_markdown_rendered_and_escaped(sc: Scenario) -> None:
    files = [
        SourceFile("inicio_con_texto.form", json.dumps(FORM).encode()),
        SourceFile("con_texto.bpmn", process_xml(MODEL, pid="con_texto", name="Con texto").encode()),
    ]
    assert deployments.deploy(sc.ctx, files).report.ok
    users.add_user(sc.ctx, "jefa", roles="admin", password="clave-segura-1")
    client = create_app({"TESTING": True, "SECRET_KEY": "test"}, context=sc.ctx).test_client()
    client.post(
        "/ingresar",
        data={"usuario": "jefa", "contrasena": "clave-segura-1", "csrf_token": csrf_token(client)},
    )

    html = client.get("/iniciar/con_texto").get_data(as_text=True)

    assert "##" not in html
    assert "<h3>Antes de empezar</h3>" in html and "<strong>el oficio</strong>" in html
    assert "&lt;b&gt;no&lt;/b&gt;" in html  # raw HTML in a form text is shown as text, never run
