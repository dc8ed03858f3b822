"""Inbox and task pages: list, claim, unclaim, assign, save draft, complete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import login_required

from engine.errors import Conflict, Forbidden, IncidentRaised, NotFound, ValidationFailed
from engine.services import inbox as inbox_service
from engine.services import task_views, tasks, views
from engine.services.users import list_users
from web.formdata import field_errors, sections, shown_values, submission
from web.pages import ctx, me

bp = Blueprint("tasks", __name__)


@bp.get("/")
@login_required
def home() -> Any:
    return redirect(url_for("tasks.inbox"))


@bp.get("/tareas")
@login_required
def inbox() -> Any:
    args = request.args.to_dict()
    query = inbox_service.parse_query(args)
    page = inbox_service.inbox(ctx(), me(), query)
    return render_template(
        "inbox.html", page=page, query=query, args=args, processes=views.definitions(ctx())
    )


@bp.get("/tareas/<int:task_id>")
@login_required
def show(task_id: int) -> Any:
    return _render_task(task_id)


def _render_task(
    task_id: int,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    page = task_views.task_page(ctx(), task_id, me().username)
    raw = typed if typed is not None else (page["draft"] or {})
    values = shown_values(page["form"], raw, page["values"])
    assignable = [u.username for u in list_users(ctx())] if page["can"]["assign"] else []
    return render_template(
        "task.html",
        page=page,
        task=page["task"],
        values=values,
        sections=sections(page["form"]),
        errors=errors or {},
        assignable=assignable,
    ), status


@bp.post("/tareas/<int:task_id>/reclamar")
@login_required
def claim(task_id: int) -> Any:
    return _act(task_id, lambda: tasks.claim_task(ctx(), task_id, me().username), "Tomó la tarea.")


@bp.post("/tareas/<int:task_id>/liberar")
@login_required
def unclaim(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: tasks.unclaim_task(ctx(), task_id, me().username),
        "Liberó la tarea: vuelve a la bandeja de su dependencia.",
        to_inbox=True,
    )


@bp.post("/tareas/<int:task_id>/asignar")
@login_required
def assign(task_id: int) -> Any:
    assignee = request.form.get("asignado", "").strip()
    if not assignee:
        flash("Escriba el usuario a quien asigna la tarea.", "error")
        return redirect(url_for("tasks.show", task_id=task_id))
    return _act(
        task_id,
        lambda: tasks.assign_task(ctx(), task_id, me().username, assignee),
        f"Asignó la tarea a {assignee}.",
    )


def _act(task_id: int, action: Any, done: str, *, to_inbox: bool = False) -> Any:
    try:
        action()
    except (Conflict, NotFound) as error:
        flash(error.message, "error")
        return redirect(url_for("tasks.inbox"))
    flash(done, "success")
    if to_inbox or request.form.get("volver") == "bandeja":
        return redirect(url_for("tasks.inbox", vista=request.form.get("vista") or "mias"))
    return redirect(url_for("tasks.show", task_id=task_id))


@bp.post("/tareas/<int:task_id>")
@login_required
def submit(task_id: int) -> Any:
    action = request.form.get("accion")
    if action not in ("completar", "guardar"):
        abort(400)
    page = task_views.task_form(ctx(), task_id, me().username)
    typed = submission(page["form"], request.form)
    if action == "guardar":
        task_views.save_draft(ctx(), task_id, me().username, typed)
        flash("Guardó un borrador. Puede seguir más tarde.", "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    if page["task"]["state"] != "ready":
        done = "completada" if page["task"]["state"] == "completed" else "cancelada"
        raise Conflict(f"La tarea {task_id} ya fue {done}.")
    if not page["can"]["complete"]:
        raise Forbidden("Reclame la tarea antes de completarla.")
    try:
        result = tasks.complete_task(ctx(), task_id, me().username, typed)
    except ValidationFailed as error:
        flash(error.message, "error")
        return _render_task(
            task_id, typed=typed, errors=field_errors(error.details, page["form"]), status=422
        )
    except IncidentRaised as error:
        flash(error.message, "error")
        return redirect(url_for("tasks.inbox"))
    task_views.discard_draft(ctx(), task_id, me().username)
    flash(f"Completó «{page['task']['name']}».", "success")
    following = task_views.next_task_for(ctx(), result["instance_id"], me().username)
    if following is not None:
        return redirect(url_for("tasks.show", task_id=following))
    return redirect(url_for("tasks.inbox"))
