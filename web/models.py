"""The analysts' model pages (roles analista and admin): deployed versions, a version's diagram and files, the
diff between two versions, uploads checked per element before they deploy, model tests, instance migration."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, redirect, render_template, request, url_for
from flask_login import current_user

from engine.errors import BadInput
from engine.modeling.definitions import SourceFile
from engine.modeltests.uploads import run_uploaded
from engine.reports.caracterizacion import caracterizacion, to_html
from engine.reports.printing import print_pdf
from engine.workflow import migration, model_pages
from web.current import ctx, me

bp = Blueprint("models", __name__, url_prefix="/modelos")
FAILED = 422


@bp.before_request
def analysts_only() -> Any:
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path))
    model_pages.check_analyst(me())
    return None


@bp.get("")
def index() -> Any:
    return render_template("models.html", models=model_pages.list_models(ctx()))


@bp.get("/<key>/<int:version>")
def version_page(key: str, version: int) -> Any:
    found = model_pages.model_version(ctx(), key, version)
    return render_template("model_version.html", model=found)


@bp.get("/<key>/<int:version>/diagrama")
def version_diagram(key: str, version: int) -> Response:
    found = model_pages.model_version(ctx(), key, version)
    return jsonify(xml=found["xml"], markers={})


@bp.get("/<key>/<int:version>/archivos/<name>")
def version_file(key: str, version: int, name: str) -> Response:
    content = model_pages.version_file(ctx(), key, version, name)
    response = Response(
        content, mimetype="application/xml" if not name.endswith(".form") else "application/json"
    )
    response.headers["Content-Disposition"] = f'attachment; filename="{_safe(name)}"'
    return response


@bp.get("/<key>/diferencias")
def diff_page(key: str) -> Any:
    old, new = _version_arg("de"), _version_arg("a")
    return render_template("model_diff.html", diff=model_pages.version_diff(ctx(), key, old, new))


@bp.get("/<key>/diferencias/diagrama")
def diff_diagram(key: str) -> Response:
    diff = model_pages.version_diff(ctx(), key, _version_arg("de"), _version_arg("a"))
    side = request.args.get("lado", "nueva")
    if side == "anterior":
        markers = {c["element_id"]: "removed" for c in diff["removed"]}
        markers |= {c["element_id"]: "changed" for c in diff["changed"]}
        return jsonify(xml=diff["old_xml"], markers=markers)
    markers = {c["element_id"]: "added" for c in diff["added"]}
    markers |= {c["element_id"]: "changed" for c in diff["changed"]}
    return jsonify(xml=diff["new_xml"], markers=markers)


@bp.get("/<key>/caracterizacion")
def characterization(key: str) -> Any:
    version = _optional_version()
    sheet = caracterizacion(ctx(), key, version)
    return render_template(
        "model_caracterizacion.html", key=key, version=version, sheet=to_html(sheet), title=sheet.nombre
    )


@bp.get("/<key>/caracterizacion.pdf")
def characterization_pdf(key: str) -> Response:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / f"{key}.pdf"
        print_pdf(to_html(caracterizacion(ctx(), key, _optional_version())), target)
        content = target.read_bytes()
    response = Response(content, mimetype="application/pdf")
    response.headers["Content-Disposition"] = f'attachment; filename="caracterizacion-{_safe(key)}.pdf"'
    return response


@bp.get("/subir")
def upload_form() -> Any:
    return render_template("model_upload.html", upload=None)


@bp.post("/subir")
def upload() -> Any:
    files = _uploaded("archivos")
    deploy = request.form.get("accion") == "desplegar"
    try:
        result = model_pages.check_upload(ctx(), me(), files, deploy=deploy)
    except BadInput as error:
        return render_template("model_upload.html", upload=None, error=error.message), FAILED
    status = 200 if result.report["ok"] else FAILED
    return render_template(
        "model_upload.html", upload=result, deployed=deploy and result.report["ok"]
    ), status


@bp.post("/pruebas")
def run_tests() -> Any:
    tests = request.files.get("prueba")
    if tests is None or not tests.filename:
        return render_template(
            "model_upload.html", upload=None, error="Elija el archivo de pruebas (.test.yaml)."
        ), FAILED
    files = {f.name: f.content for f in _uploaded("archivos", required=False)}
    try:
        result = run_uploaded(me(), _safe(tests.filename), tests.read(), files)
    except BadInput as error:
        details = [f"{k}: {v}" for k, v in error.details.items()]
        return render_template("model_upload.html", upload=None, error=error.message, details=details), FAILED
    return render_template("model_upload.html", upload=None, tests=result), 200 if result["ok"] else FAILED


@bp.post("/<key>/migrar")
def migrate(key: str) -> Any:
    mapping = migration.parse_mapping(
        [line for line in request.form.get("mapeo", "").splitlines() if line.strip()]
    )
    report = migration.migrate_instances(
        ctx(), key, _version_arg("de", form=True), _version_arg("a", form=True), mapping=mapping,
        dry_run=request.form.get("accion") != "migrar", actor=me().username,
    )  # fmt: skip
    return render_template(
        "model_migration.html", report=report.to_dict(), mapeo=request.form.get("mapeo", "")
    )


def _uploaded(field: str, *, required: bool = True) -> list[SourceFile]:
    parts = [p for p in request.files.getlist(field) if p.filename]
    if required and not parts:
        raise BadInput("Elija al menos un archivo .bpmn, .dmn o .form.", {field: "Vacío."})
    return [SourceFile(_safe(p.filename or ""), p.read()) for p in parts]


def _safe(name: str) -> str:
    """The file's own name: no folders, no quotes or control characters (it goes into a header)."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(c for c in base if c.isprintable() and c not in '"\r\n')[:200] or "archivo"


def _optional_version() -> int | None:
    return _version_arg("version") if "version" in request.args else None


def _version_arg(name: str, *, form: bool = False) -> int:
    raw = (request.form if form else request.args).get(name, "")
    if not raw.isdigit() or not 0 < int(raw) < 1_000_000:
        raise BadInput(f"Indique la versión «{name}» (un número).", {name: raw[:20]})
    return int(raw)
