"""Inbox and task pages: list, claim, unclaim, assign, save draft, complete.

A task of a PQRSD case is headed by its case; its data shows with the form labels, dates in es-CO.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from engine.errors import Conflict, IncidentRaised, NotFound, ValidationFailed
from engine.identity.users import list_users
from engine.pqrsd.views import CaseHeader, case_header_for_instance
from engine.workflow import inbox as inbox_service
from engine.workflow import task_views, tasks, views
from engine.workflow.task_views import ShownValue, TaskPageView
from web import markdown
from web.current import ctx, login_required, me
from web.formatting import MONTHS, fecha
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
    page: TaskPageView,
    *,
    typed: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> Any:
    raw = typed if typed is not None else (page["draft"] or {})
    values = shown_values(page["form"], raw, page["values"])
    assignable = [u.username for u in list_users(ctx())] if page["can"]["assign"] else []
    task = page["task"]
    case = case_header_for_instance(ctx(), task["instance_id"], me())
    return render_template(
        "task.html",
        page=page,
        task=task,
        case=case,
        case_due=_case_due(case) if case is not None else None,
        values=values,
        sections=_form_texts(sections(page["form"]), task["name"], page["documentation"]),
        documentation=markdown.to_html(page["documentation"]) if page["documentation"] else None,
        errors=errors or {},
        assignable=assignable,
        callout=[(v["label"], _shown(v)) for v in page["callout"]],
        shown=[(v["label"], _shown(v)) for v in page["fields"]],
        confirm_when=_confirm_when(page["confirmation"], page["form"]),
        confirmed=request.form.get("confirmado") == "true",
    ), status


Section = tuple[str | None, list[dict[str, Any]]]


def _form_texts(found: Sequence[Section], task_name: str, documentation: str | None) -> list[Section]:
    """Form texts as safe HTML; their heading goes when it repeats the task's name, the text when it
    repeats the documentation already shown under "Qué hacer"."""
    out: list[Section] = []
    said = markdown.plain(documentation)
    for group, items in found:
        kept = []
        for f in items:
            if f["type"] == "text":
                heading, rest = markdown.split_heading(f.get("text"))
                body = rest if heading == markdown.plain(task_name) else f.get("text")
                if not markdown.plain(body) or markdown.plain(body) == said:
                    continue
                f = {**f, "text": markdown.to_html(body)}
            kept.append(f)
        if kept:
            out.append((group, kept))
    return out


_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")


def _day(value: date) -> str:
    return f"{value.day} {MONTHS[value.month - 1]} {value.year}"


def _shown(item: ShownValue) -> str:
    """A labelled value as people read it here: Sí/No, choices by name, dates in es-CO."""
    value = item["value"]
    if isinstance(value, bool):
        return "Sí" if value else "No"
    if isinstance(value, list):
        return ", ".join(_shown({**item, "value": v}) for v in value)
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_shown({**item, 'value': v})}" for k, v in value.items())
    text = str(value)
    try:
        if _DAY.match(text):
            return _day(date.fromisoformat(text))
        if _MOMENT.match(text):
            moment = datetime.fromisoformat(text)
            zone = ZoneInfo(ctx().settings.timezone)
            return fecha(moment if moment.tzinfo else moment.replace(tzinfo=zone))  # no zone: the entity's
    except ValueError:
        pass
    return text


def _case_due(case: CaseHeader) -> str:
    if case["vence_el"] is None:
        return "Término suspendido"
    left, when = case["dias_habiles_restantes"] or 0, _day(date.fromisoformat(case["vence_el"]))
    days = f"{abs(left)} día hábil" if abs(left) == 1 else f"{abs(left)} días hábiles"
    if left == 0:
        return f"{when} · vence hoy"
    return f"{when} · quedan {days}" if left > 0 else f"{when} · vencida hace {days}"


def _confirm_when(rule: Mapping[str, Any] | None, form: Mapping[str, Any] | None) -> str | None:
    """When the confirmation is asked, in the form's words: «¿La entidad es competente?» es «No»."""
    if rule is None or rule["variable"] is None:
        return None
    field = next((f for f in (form or {}).get("fields", []) if f["key"] == rule["variable"]), None)
    if field is None:
        return f"«{rule['variable']}» es {' o '.join(f'«{v}»' for v in rule['values'])}"
    names = {"true": "Sí", "false": "No"} if field["type"] == "boolean" else {}
    names.update({str(o["value"]): o["label"] for o in field["options"]})
    values = " o ".join(f"«{names.get(v, v)}»" for v in rule["values"])
    return f"«{field['label']}» es {values}"


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
            ctx(),
            task_id,
            me(),
            read_form=read_form,
            claimed_only=True,
            find_next=True,
            confirmed=request.form.get("confirmado") == "true",
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
