"""Administration pages: users, dependencias, calendar and term table, for administrators only; each change
goes through the CLI's services and is audited, and bad input says why and changes nothing."""

from __future__ import annotations

import re
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from engine.context import Context
from engine.identity import dependencias, user_admin, users
from engine.pqrsd import calendar as calendar_service
from engine.pqrsd import term_table
from engine.store.tables import AuditEvent
from engine.store.uow import UnitOfWork
from tests.web.conftest import PASSWORD, csrf_token, engine, post, sign_in

PAGES = ("/admin/", "/admin/usuarios", "/admin/usuarios/ana", "/admin/dependencias", "/admin/calendario",
         "/admin/terminos")  # fmt: skip
FORMS = ("/admin/usuarios", "/admin/usuarios/ana", "/admin/usuarios/ana/estado", "/admin/usuarios/ana/contrasena",
         "/admin/dependencias", "/admin/dependencias/ventanilla/estado", "/admin/calendario/cierres",
         "/admin/calendario/configuracion", "/admin/terminos")  # fmt: skip


def admin_client(app: Flask) -> FlaskClient:
    client = app.test_client()
    sign_in(client, "root")
    return client


def actions(ctx: Context) -> list[tuple[str | None, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(select(AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.id))
        return [(actor, action) for actor, action in rows if actor == "root"]


def text_of(response: Any) -> str:
    return str(response.get_data(as_text=True))


@pytest.mark.parametrize("user", ["ana", "sara"])
def test_administration_is_forbidden_to_everyone_but_administrators(app: Flask, user: str) -> None:
    client = app.test_client()
    sign_in(client, user)
    for path in PAGES:
        response = client.get(path)
        assert response.status_code == 403, path
        assert "La administración es solo para administradores." in text_of(response)
    for path in FORMS:
        assert (
            post(
                client, path, {"username": "x", "code": "x", "date": "2026-12-24", "reason": "x"}
            ).status_code
            == 403
        )
    assert "Administración" not in text_of(client.get("/tareas"))
    assert users.find_user(engine(app), "x") is None and not dependencias.dependencia_exists(engine(app), "x")
    assert actions(engine(app)) == []


def test_signed_out_visitors_are_sent_to_sign_in(app: Flask) -> None:
    response = app.test_client().get("/admin/usuarios")
    assert response.status_code == 302 and "/ingresar" in response.headers["Location"]


def test_admin_creates_a_user_with_a_generated_password_shown_once(app: Flask) -> None:
    ctx, client = engine(app), admin_client(app)
    assert "Administración" in text_of(client.get("/tareas"))
    listing = text_of(client.get("/admin/usuarios"))
    assert "ana" in listing and 'value="atencion_ciudadano"' in listing  # the dependencias to choose from
    created = post(client, "/admin/usuarios", {"username": "lucia", "display_name": "Lucía Gómez", "email": "lucia@ejemplo.gov.co",
                                                "roles": ["funcionario", "supervisor"], "groups": ["atencion_ciudadano"]})  # fmt: skip
    assert created.status_code == 200
    found = re.search(r'<code class="secret">([^<]+)</code>', text_of(created))
    assert found and "no se volverá a mostrar" in text_of(created)
    view = users.authenticate(ctx, "lucia", found.group(1))
    assert (
        view is not None
        and view.groups == ("atencion_ciudadano",)
        and view.roles == ("funcionario", "supervisor")
    )
    assert "secret" not in text_of(client.get("/admin/usuarios/lucia"))  # once
    assert ("root", "user_created") in actions(ctx)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"username": "luis", "roles": ["funcionario"], "groups": ["atencion_ciudadno"]},
         "«atencion_ciudadno» no existe (¿quiso decir «atencion_ciudadano»?)"),
        ({"username": "Luis Pérez", "roles": ["funcionario"]}, "Nombre de usuario inválido"),
        ({"username": "luis", "roles": []}, "al menos un rol"),
        ({"username": "luis", "roles": ["jefe"]}, "Rol desconocido: jefe"),
        ({"username": "luis", "roles": ["funcionario"], "password": "corta"}, "al menos 8 caracteres"),
        ({"username": "ana", "roles": ["funcionario"]}, "El usuario 'ana' ya existe."),
    ],
)  # fmt: skip
def test_a_bad_new_user_is_refused_with_the_reason_and_nothing_is_written(
    app: Flask, data: dict[str, Any], message: str
) -> None:
    ctx, client = engine(app), admin_client(app)
    before = users.list_users(ctx)
    response = post(client, "/admin/usuarios", data)
    assert response.status_code == 422
    assert message in text_of(response).replace("&#39;", "'") and "No se creó el usuario." in text_of(
        response
    )
    assert users.list_users(ctx) == before and not dependencias.dependencia_exists(ctx, "atencion_ciudadno")


def test_admin_changes_groups_and_roles_deactivates_and_resets_a_password(app: Flask) -> None:
    ctx, client = engine(app), admin_client(app)
    ana = app.test_client()
    sign_in(ana, "ana")
    changed = post(client, "/admin/usuarios/ana", {"display_name": "Ana María", "email": "", "roles": ["supervisor"],
                                                    "groups": ["atencion_ciudadano", "ventanilla"]})  # fmt: skip
    assert changed.status_code == 302
    view = user_admin.get_any_user(ctx, "ana")
    assert (view.display_name, view.roles, view.groups) == (
        "Ana María",
        ("supervisor",),
        ("atencion_ciudadano", "ventanilla"),
    )
    bad = post(
        client, "/admin/usuarios/ana", {"display_name": "Ana", "roles": ["supervisor"], "groups": ["nadie"]}
    )
    assert bad.status_code == 422 and "«nadie» no existe" in text_of(bad)
    assert user_admin.get_any_user(ctx, "ana") == view

    off = post(client, "/admin/usuarios/ana/estado", {"activo": "false"})
    assert off.status_code == 302 and not user_admin.get_any_user(ctx, "ana").active
    assert "pierde el acceso" in text_of(client.get("/admin/usuarios/ana"))
    assert ana.get("/tareas").status_code == 302  # her session no longer works
    assert post(client, "/admin/usuarios/ana/estado", {"activo": "true"}).status_code == 302

    reset = post(client, "/admin/usuarios/ana/contrasena")
    found = re.search(r'<code class="secret">([^<]+)</code>', text_of(reset))
    assert found and users.authenticate(ctx, "ana", found.group(1)) is not None
    mismatch = post(
        client,
        "/admin/usuarios/ana/contrasena",
        {"password": "una-clave-larga", "password2": "otra-clave-larga"},
    )
    assert mismatch.status_code == 422 and "no coinciden" in text_of(mismatch)
    assert users.authenticate(ctx, "ana", "una-clave-larga") is None
    assert (
        post(
            client,
            "/admin/usuarios/ana/contrasena",
            {"password": "una-clave-larga", "password2": "una-clave-larga"},
        ).status_code
        == 200
    )
    assert users.authenticate(ctx, "ana", "una-clave-larga") is not None
    assert {"user_changed", "user_deactivated", "user_activated", "user_password_reset"} <= {
        a for _, a in actions(ctx)
    }


def test_the_last_administrator_keeps_the_role_and_can_not_switch_themself_off(app: Flask) -> None:
    ctx, client = engine(app), admin_client(app)
    demoted = post(
        client, "/admin/usuarios/root", {"display_name": "root", "roles": ["supervisor"], "groups": []}
    )
    assert demoted.status_code == 422 and "único administrador activo" in text_of(demoted)
    off = post(client, "/admin/usuarios/root/estado", {"activo": "false"})
    assert off.status_code == 422 and "su propio usuario" in text_of(off)
    assert user_admin.get_any_user(ctx, "root").is_admin and user_admin.get_any_user(ctx, "root").active


def test_admin_creates_renames_and_deactivates_dependencias_but_not_one_in_use(app: Flask) -> None:
    ctx, client = engine(app), admin_client(app)
    created = post(client, "/admin/dependencias", {"code": "archivo_central", "name": "Archivo central"})
    assert created.status_code == 302
    assert "Archivo central" in text_of(client.get("/admin/dependencias"))
    for data, message in (({"code": "Archivo Central"}, "Código de dependencia inválido"),
                          ({"code": "archivo_central"}, "ya existe")):  # fmt: skip
        refused = post(client, "/admin/dependencias", data)
        assert refused.status_code == 422 and message in text_of(refused)
    assert (
        post(client, "/admin/dependencias/archivo_central/nombre", {"name": "Gestión documental"}).status_code
        == 302
    )
    assert dependencias.get_dependencia(ctx, "archivo_central").name == "Gestión documental"
    empty = post(client, "/admin/dependencias/archivo_central/nombre", {"name": "  "})
    assert (
        empty.status_code == 422
        and dependencias.get_dependencia(ctx, "archivo_central").name == "Gestión documental"
    )

    in_use = post(client, "/admin/dependencias/atencion_ciudadano/estado", {"activa": "false"})
    assert in_use.status_code == 422
    assert "tiene 2 usuario(s) activo(s) (ana, sara)" in text_of(in_use) and "No se cambió nada." in text_of(
        in_use
    )
    assert dependencias.dependencia_exists(ctx, "atencion_ciudadano")
    assert post(client, "/admin/dependencias/archivo_central/estado", {"activa": "false"}).status_code == 302
    assert not dependencias.dependencia_exists(ctx, "archivo_central")
    assert 'value="archivo_central"' not in text_of(client.get("/admin/usuarios"))  # no longer offered
    assert {"dependencia_created", "dependencia_renamed", "dependencia_deactivated"} <= {
        a for _, a in actions(ctx)
    }


def test_admin_registers_and_withdraws_a_closure_and_changes_the_settings(app: Flask) -> None:
    ctx, client = engine(app), admin_client(app)
    closed = post(
        client,
        "/admin/calendario/cierres",
        {"date": "2026-12-24", "reason": "Nochebuena", "act": "Resolución 10 de 2026"},
    )
    assert closed.status_code == 302
    page = text_of(client.get("/admin/calendario"))
    assert (
        "Registró el cierre del 2026-12-24" in page
        and "Nochebuena" in page
        and "Resolución 10 de 2026" in page
    )
    assert [c["date"] for c in calendar_service.closures(ctx)] == ["2026-12-24"]
    for data, message in (({"date": "24/12", "reason": "x"}, "Fecha u hora no válida"),
                          ({"date": "2026-12-31", "reason": " "}, "Indique el motivo del cierre")):  # fmt: skip
        refused = post(client, "/admin/calendario/cierres", data)
        assert (
            refused.status_code == 422
            and message in text_of(refused)
            and "No se registró el cierre." in text_of(refused)
        )
    assert [c["date"] for c in calendar_service.closures(ctx)] == ["2026-12-24"]
    assert post(client, "/admin/calendario/cierres/2026-12-24/anular").status_code == 302
    assert calendar_service.closures(ctx) == []
    gone = post(client, "/admin/calendario/cierres/2026-12-24/anular")
    assert gone.status_code == 422 and "No hay un cierre" in text_of(gone)

    current = calendar_service.get_settings(ctx)
    settings = {"closing_time": "16:00", "saturday_closing_time": current["saturday_closing_time"],
                "policy": "B", "suspension": "resume", "timezone": "America/Bogota"}  # fmt: skip
    assert post(client, "/admin/calendario/configuracion", settings).status_code == 302
    after = calendar_service.get_settings(ctx)
    assert (after["closing_time"], after["radicacion_policy"], after["saturday_is_business_day"]) == (
        "16:00",
        "B",
        False,
    )
    bad = post(
        client,
        "/admin/calendario/configuracion",
        {**settings, "closing_time": "4 pm", "timezone": "Marte/Olympus"},
    )
    assert bad.status_code == 422 and "Hora no válida" in text_of(bad)
    assert calendar_service.get_settings(ctx) == after
    assert {"calendar_settings_changed"} <= {a for _, a in actions(ctx)}


def test_admin_changes_a_legal_term_as_a_new_version(app: Flask) -> None:
    ctx, client = engine(app), admin_client(app)
    page = text_of(client.get("/admin/terminos"))
    assert "consulta" in page and "Versión 1" in page
    changed = post(
        client,
        "/admin/terminos",
        {"kind": "consulta", "days": "25", "from": "2026-04-01", "note": "Acuerdo 5"},
    )
    assert changed.status_code == 302
    table = term_table.terms(ctx)
    assert table["version"] == 2 and table["note"] == "Acuerdo 5"
    assert [r["amount"] for r in table["rows"] if r["kind"] == "consulta" and r["valid_to"] is None] == [25]
    for data, message in (({"kind": "consulta", "days": "muchos"}, "Número de días no válido"),
                          ({"kind": "tutela", "days": "10"}, "es nuevo: indique también su nombre"),
                          ({"kind": "consulta", "days": "10", "unit": "semanas"}, "Unidad no válida")):  # fmt: skip
        refused = post(client, "/admin/terminos", data)
        assert refused.status_code == 422 and message in text_of(refused), data
    assert term_table.terms(ctx)["version"] == 2
    assert ("root", "pqrsd_terms_changed") in actions(ctx)


def test_every_admin_form_needs_its_csrf_token(app: Flask) -> None:
    client = admin_client(app)
    csrf_token(client, "/admin/usuarios")
    for path in FORMS:
        assert client.post(path, data={"code": "x", "username": "x"}).status_code == 400, path
    assert users.find_user(engine(app), "x") is None


def test_a_user_added_by_the_admin_signs_in(app: Flask) -> None:
    client = admin_client(app)
    post(
        client,
        "/admin/usuarios",
        {"username": "marta", "roles": ["funcionario"], "groups": ["ventanilla"], "password": PASSWORD},
    )
    marta = app.test_client()
    sign_in(marta, "marta")
    assert marta.get("/tareas").status_code == 200
