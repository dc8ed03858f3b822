"""Administration pages (admin role): users and dependencias, over the same services as `phva users` and
`phva dependencias`. Every change is one use case call, audited there; bad input changes nothing."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.errors import BadInput, Conflict, Forbidden
from engine.identity import dependencias, user_admin, users
from web.current import ctx, me

bp = Blueprint("admin", __name__, url_prefix="/admin")
FAILED = 422


@bp.before_request
def admins_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    if not me().is_admin:
        raise Forbidden("La administración es solo para administradores.")
    return None


@bp.get("/")
def index() -> Any:
    return render_template(
        "admin.html", users=users.list_users(ctx()), dependencias=dependencias.list_dependencias(ctx())
    )


# ---- users ------------------------------------------------------------------------------------
def _users_page(status: int = 200, **extra: Any) -> Any:
    active = [d for d in dependencias.list_dependencias(ctx()) if d.active]
    page = render_template(
        "admin_users.html", users=users.list_users(ctx()), dependencias=active, roles=users.ROLES, **extra
    )
    return page, status


@bp.get("/usuarios")
def user_list() -> Any:
    return _users_page(typed={})


@bp.post("/usuarios")
def user_create() -> Any:
    form = request.form
    username, display_name, email = (form.get(k, "").strip() for k in ("username", "display_name", "email"))
    roles, groups = form.getlist("roles"), form.getlist("groups")
    typed = {
        "username": username,
        "display_name": display_name,
        "email": email,
        "roles": roles,
        "groups": groups,
    }
    generated = None if form.get("password") else secrets.token_urlsafe(12)  # shown once, below
    try:
        user_admin.check_roles(roles)
        view = users.add_user(ctx(), username, password=form.get("password") or generated, roles=roles, groups=groups,
                              display_name=display_name or None, email=email or None, create_groups=False,
                              actor=me().username)  # fmt: skip
    except (BadInput, Conflict) as error:
        flash(f"{error.message} No se creó el usuario.", "error")
        return _users_page(FAILED, typed=typed)
    flash(f"Creó el usuario '{view.username}'.", "success")
    return _user_page(view.username, generated=generated)


def _user_page(username: str, status: int = 200, **extra: Any) -> Any:
    user = user_admin.get_any_user(ctx(), username)
    known = dependencias.list_dependencias(ctx())
    shown = [d for d in known if d.active or d.code in user.groups]
    page = render_template("admin_user.html", user=user, dependencias=shown, roles=users.ROLES, **extra)
    return page, status


@bp.get("/usuarios/<username>")
def user_show(username: str) -> Any:
    return _user_page(username)


@bp.post("/usuarios/<username>")
def user_update(username: str) -> Any:
    form = request.form
    try:
        view = user_admin.update_user(ctx(), username, groups=form.getlist("groups"), roles=form.getlist("roles"),
                                      display_name=form.get("display_name", ""), email=form.get("email", ""),
                                      actor=me().username)  # fmt: skip
    except (BadInput, Conflict) as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _user_page(username, FAILED)
    flash(f"Guardó los cambios de '{view.username}'.", "success")
    return redirect(url_for("admin.user_show", username=view.username))


@bp.post("/usuarios/<username>/estado")
def user_active(username: str) -> Any:
    active = request.form.get("activo") == "true"
    try:
        done = user_admin.set_user_active(ctx(), username, active, actor=me().username)
    except Conflict as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _user_page(username, FAILED)
    if active:
        flash(f"Reactivó a '{done.user.username}'.", "success")
    else:
        pending = done.assigned_open_tasks
        note = (
            f" Tiene {pending} tarea(s) abierta(s) asignada(s): reasígnelas desde Supervisión."
            if pending
            else ""
        )
        flash(
            f"Desactivó a '{done.user.username}': pierde el acceso en su próxima petición.{note}", "success"
        )
    return redirect(url_for("admin.user_show", username=done.user.username))


@bp.post("/usuarios/<username>/contrasena")
def user_password(username: str) -> Any:
    chosen = request.form.get("password") or None
    if chosen is not None and chosen != request.form.get("password2"):
        flash("Las dos contraseñas no coinciden. No se cambió nada.", "error")
        return _user_page(username, FAILED)
    try:
        generated = user_admin.reset_password(ctx(), username, chosen, actor=me().username)
    except BadInput as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _user_page(username, FAILED)
    flash("Contraseña cambiada." if generated is None else "Generó una contraseña nueva.", "success")
    return _user_page(username, generated=generated)


# ---- dependencias -----------------------------------------------------------------------------
def _dependencias_page(status: int = 200, **extra: Any) -> Any:
    return render_template(
        "admin_dependencias.html", dependencias=dependencias.list_dependencias(ctx()), **extra
    ), status


@bp.get("/dependencias")
def dependencia_list() -> Any:
    return _dependencias_page(typed={})


@bp.post("/dependencias")
def dependencia_create() -> Any:
    typed = {"code": request.form.get("code", ""), "name": request.form.get("name", "")}
    try:
        created = dependencias.create_dependencia(ctx(), typed["code"], typed["name"].strip() or None,
                                                  actor=me().username)  # fmt: skip
    except (BadInput, Conflict) as error:
        flash(f"{error.message} No se creó la dependencia.", "error")
        return _dependencias_page(FAILED, typed=typed)
    flash(f"Creó la dependencia «{created.code}» ({created.name}).", "success")
    return redirect(url_for("admin.dependencia_list"))


@bp.post("/dependencias/<code>/nombre")
def dependencia_rename(code: str) -> Any:
    try:
        renamed = dependencias.rename_dependencia(
            ctx(), code, request.form.get("name", ""), actor=me().username
        )
    except BadInput as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _dependencias_page(FAILED, typed={})
    flash(f"La dependencia «{renamed.code}» se llama ahora {renamed.name}.", "success")
    return redirect(url_for("admin.dependencia_list"))


@bp.post("/dependencias/<code>/estado")
def dependencia_active(code: str) -> Any:
    active = request.form.get("activa") == "true"
    try:
        done = dependencias.set_dependencia_active(ctx(), code, active, actor=me().username)
    except Conflict as error:
        flash(f"{error.message} No se cambió nada.", "error")
        return _dependencias_page(FAILED, typed={})
    flash(f"{'Reactivó' if active else 'Desactivó'} la dependencia «{done.code}».", "success")
    return redirect(url_for("admin.dependencia_list"))
