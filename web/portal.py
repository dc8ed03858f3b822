"""The citizens' portal (/portal, no login): file a PQRSD, track it by radicado and code, complete it after a
requerimiento, withdraw it, answer the survey. The case a citizen proved the code of is kept in the signed
session, never in the URL, for the follow-up actions."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError

from engine.errors import NotFound, PayloadTooLarge, PhvaError, ValidationFailed
from engine.portal import actions, filing, human_check, limits, tracking
from engine.portal.form import PROFILE_GROUP
from engine.pqrsd import notices, radicacion
from engine.pqrsd.surveys import RATINGS
from web.attachments import file_response, received
from web.current import ctx
from web.formdata import field_errors, sections, shown_values, submission

bp = Blueprint("portal", __name__)
CASE_KEY = "portal_caso"  # {"radicado", "at"}: the case whose code this browser proved
FILED_KEY = "portal_radicada"  # the radicado this browser just filed (its confirmation page)
IDLE_SECONDS = 30 * 60  # the proven case is forgotten after this long without use


@bp.after_request
def no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.errorhandler(PhvaError)
def portal_error(error: PhvaError) -> Any:
    return render_template(
        "portal_error.html", message=error.message, status=error.http_status
    ), error.http_status


@bp.errorhandler(CSRFError)
def expired_form(error: CSRFError) -> Any:
    message = (
        "El formulario venció o se abrió en otra pestaña. Vuelva a la página, recárguela y envíelo de nuevo."
    )
    return render_template("portal_error.html", message=message, status=400), 400


@bp.app_template_global()
def portal_entity() -> str:
    return ctx().settings.entity_name


# ---- landing and old addresses ---------------------------------------------------------------------
@bp.get("/portal")
def index() -> Any:
    return render_template("portal_index.html")


@bp.get("/radicar")
def radicar_alias() -> Any:
    return redirect(url_for("portal.radicar"), 301)


@bp.get("/consulta")
def consulta_alias() -> Any:
    return redirect(url_for("portal.consulta"), 301)


# ---- filing ----------------------------------------------------------------------------------------
@bp.route("/portal/radicar", methods=["GET", "POST"])
def radicar() -> Any:
    form = filing.filing_form(ctx())
    typed: dict[str, Any] = {}
    errors: dict[str, str] = {}
    status = 200
    if request.method == "POST":
        typed = submission(form, request.form)
        human = filing.HumanAnswer(
            token=request.form.get(human_check.TOKEN_FIELD, ""),
            answer=request.form.get(human_check.FIELD, ""),
            honeypot=request.form.get(human_check.HONEYPOT, ""),
        )
        try:
            filed = filing.file_from_portal(
                ctx(), typed, received(), source=_source(), secret=_secret(), human=human
            )
        except (ValidationFailed, PayloadTooLarge) as error:
            errors, status = (
                field_errors(error.details, form) or {"descripcion": error.message},
                error.http_status,
            )
        except limits.TooManyRequests as error:
            flash(error.message, "error")
            status = 429
        else:
            if filed.problem:
                flash(f"Su PQRSD quedó radicada, pero {filed.problem[0].lower()}{filed.problem[1:]}", "error")
            session[FILED_KEY] = filed.case["radicado"]
            _remember(filed.case["radicado"])
            return redirect(url_for("portal.radicada"))
    values = shown_values(form, typed, {"prioridad": "normal", "tipo_peticionario": "natural"})
    return render_template(
        "portal_radicar.html",
        form=form,
        sections=sections(form),
        values=values,
        errors=errors,
        challenge=_challenge(),
        profile_group=PROFILE_GROUP,
    ), status


@bp.get("/portal/radicada")
def radicada() -> Any:
    radicado = session.get(FILED_KEY)
    if not isinstance(radicado, str):
        return redirect(url_for("portal.index"))
    case = radicacion.consultar(ctx(), radicado)
    return render_template("portal_radicada.html", case=case, seen=tracking.citizen_case(ctx(), radicado))


@bp.get("/portal/acuse.pdf")
def acuse_pdf() -> Any:
    case = radicacion.consultar(ctx(), _proven())
    response = Response(notices.receipt_pdf(ctx(), case), mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="acuse-{case["radicado"]}.pdf"'
    return response


# ---- tracking --------------------------------------------------------------------------------------
@bp.route("/portal/consulta", methods=["GET", "POST"])
def consulta() -> Any:
    radicado = request.form.get("radicado", "").strip()
    if request.method == "POST":
        try:
            found = tracking.lookup(ctx(), radicado, request.form.get("codigo", ""), source=_source())
        except (NotFound, limits.TooManyRequests) as error:
            return render_template(
                "portal_consulta.html", radicado=radicado, error=error.message
            ), error.http_status
        _remember(found)
        return redirect(url_for("portal.caso"))
    return render_template("portal_consulta.html", radicado=radicado, error=None)


@bp.get("/portal/caso")
def caso() -> Any:
    radicado = _proven_or_none()
    if radicado is None:
        flash("Para ver su PQRSD, escriba el radicado y el código de consulta de su acuse de recibo.", "info")
        return redirect(url_for("portal.consulta"))
    return _case_page(radicado)


@bp.post("/portal/caso/complemento")
def complemento() -> Any:
    radicado = _proven()
    try:
        names = actions.complete_requerimiento(
            ctx(), radicado, request.form.get("complemento", ""), received()
        )
    except (ValidationFailed, PayloadTooLarge) as error:
        return _case_page(radicado, errors=error.details, typed=request.form.get("complemento", ""),
                          status=error.http_status)  # fmt: skip
    extra = f" con {len(names)} anexo{'s' if len(names) != 1 else ''}" if names else ""
    flash(
        f"Recibimos la información{extra}. El plazo de respuesta de su solicitud volvió a correr.", "success"
    )
    return redirect(url_for("portal.caso"))


@bp.route("/portal/caso/desistir", methods=["GET", "POST"])
def desistir() -> Any:
    radicado = _proven()
    error = None
    if request.method == "POST":
        if request.form.get("confirmo") == "si":
            actions.desistir(ctx(), radicado, request.form.get("motivo", ""))
            flash("Desistió de su solicitud: el caso quedó archivado.", "success")
            return redirect(url_for("portal.caso"))
        error = "Marque la casilla para confirmar que desiste de su solicitud."
    seen = tracking.citizen_case(ctx(), radicado)
    if not seen["puede_desistir"]:
        flash("Esta solicitud ya terminó su trámite: no se puede desistir de ella.", "error")
        return redirect(url_for("portal.caso"))
    return render_template("portal_desistir.html", seen=seen, error=error), 422 if error else 200


@bp.post("/portal/caso/encuesta")
def encuesta() -> Any:
    radicado = _proven()
    try:
        actions.answer_survey(ctx(), radicado, request.form)
    except ValidationFailed as error:
        return _case_page(radicado, errors=error.details, status=error.http_status)
    flash("Gracias por responder la encuesta: nos ayuda a mejorar.", "success")
    return redirect(url_for("portal.caso"))


@bp.get("/portal/caso/documentos/<sha256>")
def documento(sha256: str) -> Any:
    return file_response(*tracking.download(ctx(), _proven(), sha256))


@bp.post("/portal/salir")
def salir() -> Any:
    session.pop(CASE_KEY, None)
    session.pop(FILED_KEY, None)
    flash("Cerró la consulta de su PQRSD en este navegador.", "info")
    return redirect(url_for("portal.index"))


# ---- helpers ---------------------------------------------------------------------------------------
def _case_page(
    radicado: str, *, errors: dict[str, str] | None = None, typed: str = "", status: int = 200
) -> Any:
    seen = tracking.citizen_case(ctx(), radicado)
    return render_template(
        "portal_caso.html", seen=seen, errors=errors or {}, typed=typed, ratings=RATINGS
    ), status


def _remember(radicado: str) -> None:
    session[CASE_KEY] = {"radicado": radicado, "at": int(ctx().clock.now().timestamp())}


def _proven_or_none() -> str | None:
    held = session.get(CASE_KEY)
    if not isinstance(held, dict) or not isinstance(held.get("radicado"), str):
        return None
    if ctx().clock.now().timestamp() - float(held.get("at") or 0) > IDLE_SECONDS:
        session.pop(CASE_KEY, None)
        return None
    _remember(held["radicado"])
    return str(held["radicado"])


def _proven() -> str:
    radicado = _proven_or_none()
    if radicado is None:
        raise NotFound(
            "Su consulta se cerró o venció. Vuelva a consultar su PQRSD con el radicado y el código de consulta."
        )
    return radicado


def _source() -> str:
    return limits.source_of(request.remote_addr)


def _secret() -> bytes:
    return str(current_app.config["SECRET_KEY"]).encode()


def _challenge() -> human_check.Challenge | None:
    if not ctx().settings.portal_human_check:
        return None
    return human_check.issue(_secret(), ctx().clock.now())
