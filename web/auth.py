"""Sign-in and sign-out for staff; flask-login keeps the session, passwords are checked by the engine."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, Flask, flash, redirect, render_template, request, session, url_for
from flask_login import LoginManager, UserMixin, login_user, logout_user

from engine.identity.sign_in import TooManyAttempts, sign_in
from engine.identity.users import UserView, end_sessions, signed_in_user
from web.current import ctx, login_required, me

bp = Blueprint("auth", __name__)
login_manager = LoginManager()


class WebUser(UserMixin):  # type: ignore[misc]
    def __init__(self, view: UserView) -> None:
        self.view = view

    def get_id(self) -> str:
        """What the session cookie keeps: the name and the session version it was issued under."""
        return f"{self.view.username}:{self.view.session_version}"


def init_app(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Ingrese para continuar."
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)


def load_user(user_id: str) -> WebUser | None:
    """Once per request: the view it carries is the acting user every use case of the request gets.
    Users deactivated, signed out or with a new password since the cookie was issued lose access here."""
    username, _, version = user_id.rpartition(":")
    view = signed_in_user(ctx(), username, version) if username else None  # cached a few seconds
    return WebUser(view) if view is not None else None


@bp.route("/ingresar", methods=["GET", "POST"])
def login() -> Any:
    status = 200
    if request.method == "POST":
        username = request.form.get("usuario", "")
        try:
            view = sign_in(ctx(), username, request.form.get("contrasena", ""), request.remote_addr or "?")
        except TooManyAttempts as error:
            flash(error.message, "error")
            return render_template("login.html", usuario=username), 429
        if view is not None:
            session.clear()  # a fresh session on sign-in: no fixation
            login_user(WebUser(view))
            session.permanent = True
            return redirect(_safe_next(request.args.get("next")))
        flash("Usuario o contraseña incorrectos.", "error")
        status = 401
        return render_template("login.html", usuario=username), status
    return render_template("login.html", usuario=""), status


@bp.post("/salir")
@login_required
def logout() -> Any:
    end_sessions(ctx(), me().username)
    logout_user()
    session.clear()
    flash("Cerró su sesión.", "info")
    return redirect(url_for("auth.login"))


def _safe_next(target: str | None) -> str:
    """Only same-site paths, so the sign-in page can't bounce people to another site."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("tasks.inbox")
