"""Notifications in the app: the bell in the header, the list, mark as read, and each user's preferences."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user

from engine.errors import BadInput
from engine.notifications import events, inbox, preferences
from web.current import ctx, login_required, me

bp = Blueprint("notifications", __name__)


@bp.app_context_processor
def _bell() -> dict[str, Any]:
    # Called by the header only when it is drawn for a signed-in user: one indexed count per page.
    def unread_notifications() -> int:
        return inbox.unread_count(ctx(), me().username) if current_user.is_authenticated else 0

    return {"unread_notifications": unread_notifications}


@bp.get("/notificaciones")
@login_required
def index() -> Any:
    page_no = request.args.get("pagina", "1")
    page = inbox.notification_page(ctx(), me().username, int(page_no) if page_no.isdecimal() else 1)
    return render_template("notifications.html", page=page)


@bp.post("/notificaciones/<int:notification_id>/leida")
@login_required
def read_one(notification_id: int) -> Any:
    link = inbox.mark_read(ctx(), me().username, notification_id)
    if request.form.get("abrir") and link and link.startswith("/") and not link.startswith("//"):
        return redirect(link)
    return redirect(request.form.get("volver") or url_for("notifications.index"))


@bp.post("/notificaciones/leidas")
@login_required
def read_all() -> Any:
    inbox.mark_read(ctx(), me().username)
    flash("Todas sus notificaciones quedaron leídas.", "success")
    return redirect(url_for("notifications.index"))


@bp.route("/notificaciones/preferencias", methods=["GET", "POST"])
@login_required
def prefs() -> Any:
    username = me().username
    if request.method == "POST":
        chosen = {event: request.form.get(event, "") for event in events.LABELS}
        try:
            preferences.set_preferences(ctx(), username, chosen)
        except BadInput as error:
            flash(error.message, "error")
            current = {**preferences.preferences(ctx(), username)}
            return render_template("notifications_prefs.html", chosen=current, labels=events.LABELS,
                                   channels=events.CHANNELS), 400  # fmt: skip
        flash("Preferencias guardadas.", "success")
        return redirect(url_for("notifications.prefs"))
    return render_template("notifications_prefs.html", chosen=preferences.preferences(ctx(), username),
                           labels=events.LABELS, channels=events.CHANNELS)  # fmt: skip
