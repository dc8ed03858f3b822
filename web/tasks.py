"""Inbox and task pages: list, claim, unclaim, assign, save draft, complete."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.errors import Conflict, IncidentRaised, NotFound, ValidationFailed
from engine.identity.users import list_users
from engine.workflow import inbox as inbox_service
from engine.workflow import task_views, tasks, views
from engine.workflow.records import TaskPage
from web.current import ctx, login_required, me
from web.formdata import field_errors, sections, shown_values, submission

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
    return _render_task(task_id, task_views.task_page(ctx(), task_id, me()))


def _render_task(
    task_id: int,
    page: TaskPage,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
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
    return _act(task_id, lambda: tasks.claim_task(ctx(), task_id, me()), "Tomó la tarea.")


@bp.post("/tareas/<int:task_id>/liberar")
@login_required
def unclaim(task_id: int) -> Any:
    return _act(
        task_id,
        lambda: tasks.unclaim_task(ctx(), task_id, me()),
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
        lambda: tasks.assign_task(ctx(), task_id, me(), assignee),
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
    """One use case per post: save a draft, or complete (validate, discard the draft, find the next task)."""
    action = request.form.get("accion")
    if action not in ("completar", "guardar"):
        abort(400)

    def read_form(schema: dict[str, Any] | None) -> dict[str, Any]:
        return submission(schema, request.form)

    if action == "guardar":
        tasks.save_draft(ctx(), task_id, me(), read_form)
        flash("Guardó un borrador. Puede seguir más tarde.", "success")
        return redirect(url_for("tasks.show", task_id=task_id))
    try:
        done = tasks.complete_task(
            ctx(), task_id, me(), read_form=read_form, claimed_only=True, find_next=True
        )
    except ValidationFailed as error:
        flash(error.message, "error")
        page = task_views.task_page(ctx(), task_id, me())
        typed = submission(page["form"], request.form)
        return _render_task(
            task_id, page, typed=typed, errors=field_errors(error.details, page["form"]), status=422
        )
    except IncidentRaised as error:
        flash(error.message, "error")
        return redirect(url_for("tasks.inbox"))
    flash(f"Completó «{done.task_name}».", "success")
    if done.next_task_id is not None:
        return redirect(url_for("tasks.show", task_id=done.next_task_id))
    return redirect(url_for("tasks.inbox"))
