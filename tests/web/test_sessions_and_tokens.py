"""Issue 15 finding 9: sessions and tokens end — sign-out and a new password end every session of the user,
API tokens expire and can be listed and revoked."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask

from engine.identity import users
from tests.web.conftest import PASSWORD, csrf_token, engine, sign_in


def test_a_cookie_from_before_sign_out_no_longer_works(app: Flask) -> None:
    first, second = app.test_client(), app.test_client()
    sign_in(first, "ana")
    sign_in(second, "ana")  # another browser of the same person
    stolen = first.get_cookie("phva_session")
    assert stolen is not None
    assert first.post("/salir", data={"csrf_token": csrf_token(first, "/tareas")}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("phva_session", stolen.value)
    assert replay.get("/tareas").status_code == 302  # back to the sign-in page
    assert second.get("/tareas").status_code == 302  # signing out ends the user's sessions everywhere
    sign_in(first, "ana")
    assert first.get("/tareas").status_code == 200


def test_a_new_password_ends_the_sessions_opened_with_the_old_one(app: Flask) -> None:
    client = app.test_client()
    sign_in(client, "ana")
    assert client.get("/tareas").status_code == 200
    users.set_password(engine(app), "ana", "otra-clave-segura")
    assert client.get("/tareas").status_code == 302
    token = csrf_token(client)
    old = client.post("/ingresar", data={"usuario": "ana", "contrasena": PASSWORD, "csrf_token": token})
    assert old.status_code == 401


def test_api_tokens_expire_and_are_revoked(any_app: Flask) -> None:
    ctx, client = engine(any_app), any_app.test_client()
    short = users.issue_token(ctx, "ana", days=1)
    default = users.issue_token(ctx, "ana")
    headers = {"Authorization": f"Bearer {short}"}
    assert client.get("/api/v1/tasks", headers=headers).status_code == 200
    listed = users.list_tokens(ctx, "ana")
    assert [t.expires_at - t.created_at for t in listed] == [timedelta(days=1), timedelta(days=90)]
    ctx.clock.advance(timedelta(days=1, seconds=1))  # type: ignore[attr-defined]
    assert client.get("/api/v1/tasks", headers=headers).status_code == 401
    other = {"Authorization": f"Bearer {default}"}
    assert client.get("/api/v1/tasks", headers=other).status_code == 200
    users.revoke_token(ctx, listed[1].id, actor="root")
    assert client.get("/api/v1/tasks", headers=other).status_code == 401
    assert [t.id for t in users.list_tokens(ctx, "ana")] == [listed[0].id]
