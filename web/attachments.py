"""Attachments of a PQRSD case on its page: upload (also with the filing form), list and download."""

from __future__ import annotations

import logging
import unicodedata
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from engine.config import Settings
from engine.errors import PayloadTooLarge, PhvaError, ValidationFailed
from engine.pqrsd import attachments, views
from engine.pqrsd.attachments import FIELD, Upload
from engine.pqrsd.files import FORMATS, MB
from web.current import ctx, login_required, me
from web.http import error_response

bp = Blueprint("attachments", __name__)
log = logging.getLogger(__name__)
FORM_OVERHEAD = MB  # the filing form's text fields and the multipart framing, beyond the files themselves
KIND_NAMES = {f.media_type: kind.upper() for kind, f in FORMATS.items()}


def max_request_bytes(settings: Settings) -> int:
    """Flask's MAX_CONTENT_LENGTH: one upload at the configured limit, plus the form around it."""
    return settings.max_upload_mb * MB + FORM_OVERHEAD


def received() -> list[tuple[str, bytes]]:
    """The files of the request's `anexos` field; a part with neither name nor bytes is an input left empty."""
    parts = ((_browser_name(part.filename or ""), part.read()) for part in request.files.getlist(FIELD))
    return [(name, content) for name, content in parts if name or content]


def _browser_name(filename: str) -> str:
    # Browsers send « " », CR and LF of a file name as %22, %0D, %0A (HTML multipart/form-data encoding).
    return filename.replace("%22", '"').replace("%0D", "\r").replace("%0A", "\n")


def task_id_of(raw: str | None) -> int | None:
    if raw is None or not raw.strip():
        return None
    if not raw.strip().isdigit():
        raise ValidationFailed("La tarea debe ser un número.", {"tarea": "Debe ser un número de tarea."})
    return int(raw)


def checked_at_filing() -> list[Upload]:
    """The filing form's files, checked before `file_pqrsd` so a bad file leaves no radicado behind."""
    return attachments.check_files(ctx(), received())


def attach_filed(radicado: str, uploads: list[Upload]) -> None:
    """Store the filing's checked files; the radicado stands even if this fails, so say so and go on."""
    try:
        attachments.attach_at_filing(ctx(), radicado, me(), uploads)
    except (PhvaError, OSError) as error:
        log.exception("anexos de la radicación %s sin guardar", radicado)
        reason = error.message if isinstance(error, PhvaError) else "no se pudieron escribir en el disco."
        flash(
            f"La PQRSD {radicado} quedó radicada, pero sus anexos no se guardaron: {reason} "
            "Anéxelos desde esta página.",
            "error",
        )


def file_response(name: str, media_type: str, content: bytes) -> Response:
    """A download that browsers save and never render: the stored name, quoted, and no sniffing."""
    response = Response(content, mimetype=media_type)
    response.headers["Content-Disposition"] = content_disposition(name)
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def content_disposition(name: str) -> str:
    """RFC 6266: an ASCII fallback for old clients and the exact name in UTF-8 (RFC 5987)."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    fallback = "".join(c if c.isprintable() and c not in '"\\' else "_" for c in folded) or "anexo"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


@bp.post("/pqrsd/<radicado>/anexos")
@login_required
def upload(radicado: str) -> Any:
    try:
        stored = attachments.attach(
            ctx(),
            radicado,
            me(),
            received(),
            task_id=task_id_of(request.form.get("tarea")),
            note=request.form.get("descripcion"),
        )
    except (ValidationFailed, PayloadTooLarge) as error:
        flash(error.message, "error")
        case = views.case_detail(ctx(), radicado, me())
        return render_template("pqrsd_case.html", case=case, upload_error=error.message), error.http_status
    names = ", ".join(f"«{a['name']}»" for a in stored)
    flash(f"Anexó {names} a la PQRSD {radicado}.", "success")
    task_id = task_id_of(request.form.get("tarea"))
    if (
        task_id is not None and request.form.get("volver") == "tarea"
    ):  # uploaded from the task page: back there
        return redirect(url_for("tasks.show", task_id=task_id))
    return redirect(url_for("pqrsd.show", radicado=radicado, _anchor="anexos"))


@bp.get("/pqrsd/<radicado>/anexos/<sha256>")
@login_required
def download(radicado: str, sha256: str) -> Response:
    return file_response(*attachments.download(ctx(), radicado, sha256, me()))


@bp.app_template_global()
def case_attachments(radicado: str) -> list[attachments.AttachmentRecord]:
    return attachments.attachments_of(ctx(), radicado, me())


@bp.app_template_global()
def upload_limits() -> attachments.UploadLimits:
    return attachments.upload_limits(ctx())


@bp.app_template_filter()
def kind_name(media_type: str) -> str:
    return KIND_NAMES.get(media_type, media_type)


@bp.app_template_filter()
def file_size(size: int) -> str:
    """es-CO: 850 bytes, 12,3 KB, 1,5 MB."""
    if size < 1024:
        return f"{size} bytes"
    value, unit = (size / 1024, "KB") if size < MB else (size / MB, "MB")
    return f"{value:.1f} {unit}".replace(".", ",")


@bp.app_errorhandler(RequestEntityTooLarge)
def too_large(error: RequestEntityTooLarge) -> Any:
    """Past MAX_CONTENT_LENGTH nothing was read: say what the limit is, as a page or as JSON."""
    limit = ctx().settings.max_upload_mb
    message = f"Lo enviado supera el máximo de un envío: {limit} MB de anexos, más los datos del formulario."
    if request.path.startswith("/api/"):
        return error_response(message, 413, {FIELD: message})
    return render_template("error.html", message=message, status=413), 413
