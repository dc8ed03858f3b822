"""Sign-in, sign-out, CSRF, cookie settings and login rate limiting."""

from __future__ import annotations

from flask import Flask

from engine.identity.sign_in import MAX_FAILURES_PER_USER
from tests.web.conftest import PASSWORD, csrf_token, sign_in


def test_pages_ask_to_sign_in_first(app: Flask) -> None:
    response = app.test_client().get("/tareas")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/ingresar?next=")


def test_sign_in_with_the_right_password_opens_the_inbox(app: Flask) -> None:
    client = app.test_client()
    response = client.post(
        "/ingresar?next=/iniciar",
        data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.status_code == 302 and response.headers["Location"] == "/iniciar"
    assert "Funcionario · atencion_ciudadano" in client.get("/tareas").get_data(as_text=True)


def test_wrong_password_is_refused_with_a_plain_message(app: Flask) -> None:
    client = app.test_client()
    response = client.post(
        "/ingresar", data={"usuario": "ana", "contrasena": "otra-cosa", "csrf_token": csrf_token(client)}
    )
    assert response.status_code == 401
    assert "Usuario o contraseña incorrectos." in response.get_data(as_text=True)
    assert client.get("/tareas").status_code == 302


def test_next_never_leads_off_site(app: Flask) -> None:
    client = app.test_client()
    response = client.post(
        "/ingresar?next=//evil.example/x",
        data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": csrf_token(client)},
    )
    assert response.headers["Location"] == "/tareas"


def test_forms_without_csrf_token_are_refused(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/ingresar", data={"usuario": "ana", "contrasena": PASSWORD}).status_code == 400
    sign_in(client, "ana")
    assert client.post("/salir").status_code == 400


def test_logout_ends_the_session(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    response = client.post("/salir", data={"csrf_token": csrf_token(client, "/tareas")})
    assert response.status_code == 302
    assert client.get("/tareas").status_code == 302


def test_session_cookie_is_http_only_and_same_site(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    response = client.post("/ingresar", data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": token})
    cookie = response.headers["Set-Cookie"]
    assert "phva_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    https = app.test_client()
    page = "https://phva.example/ingresar"
    html = https.get(page).get_data(as_text=True)
    token = html.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    secure = https.post(
        page, headers={"Referer": page}, data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": token}
    )
    assert secure.status_code == 302
    assert "Secure" in secure.headers["Set-Cookie"]


def test_repeated_failures_lock_the_account_for_a_while(app: Flask) -> None:
    client = app.test_client()
    token = csrf_token(client)
    for _ in range(MAX_FAILURES_PER_USER):
        assert (
            client.post(
                "/ingresar", data={"usuario": "ana", "contrasena": "mal", "csrf_token": token}
            ).status_code
            == 401
        )
    locked = client.post("/ingresar", data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": token})
    assert locked.status_code == 429
    assert "Demasiados intentos" in locked.get_data(as_text=True)
    from tests.web.conftest import engine

    engine(app).clock.advance(minutes=16)  # type: ignore[attr-defined]
    assert (
        client.post(
            "/ingresar", data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": token}
        ).status_code
        == 302
    )


def test_pages_send_security_headers(app: Flask) -> None:
    response = app.test_client().get("/ingresar")
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_private_pages_are_not_kept_by_the_browser(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "root")
    for path in ("/tareas", "/admin/", "/admin/calendario", "/modelos", "/incidentes"):
        response = client.get(path)
        assert response.status_code == 200 and response.headers.get("Cache-Control") == "no-store", path
    assert "no-store" not in client.get("/ingresar").headers.get("Cache-Control", "")
