"""Issue 15 §4: every route has an access rule, and a generated walk of the URL map × every role holds each one.

A new route fails `test_every_route_has_an_access_rule` until it is classified here: public, any signed-in
user, or the roles that may reach it. The walk then checks, for every route and role, that anonymous callers are
sent to sign in (pages) or get 401 (API), that a role outside the rule gets 403 (pages and API reads) or nothing
done (forms), and that nothing answers 500. Finer rules (whose task, which dependencia) are
tests/web/test_authorization.py's.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from werkzeug.routing import Rule

from engine.context import Context
from engine.identity import users
from engine.identity.users import ROLES
from web import create_app

PASSWORD = "clave-segura-1"
PUBLIC = "public"
STAFF = "staff"  # any signed-in user, whatever the role
ADMIN = ("admin",)
SUPERVISORS = ("supervisor", "admin")
READERS = ("supervisor", "analista", "admin")  # reports and heatmaps
COUNTER = ("funcionario", "supervisor", "admin")  # the turn log at the counter
DEPLOYERS = ("analista", "admin")  # Camunda Modeler's deploy and start (/engine-rest)
SIGNALERS = ("admin", "mensajes")  # a signal is a broadcast: access.may_signal
ANALYSTS = ("analista", "admin")  # the model pages

ACCESS: dict[str, Any] = {
    "health": PUBLIC,
    "auth.login": PUBLIC,
    "api.openapi": PUBLIC,
    **{e: PUBLIC for e in (
        "portal.index", "portal.radicar", "portal.radicada", "portal.acuse_pdf", "portal.consulta",
        "portal.consulta_alias", "portal.radicar_alias", "portal.caso", "portal.complemento", "portal.desistir",
        "portal.documento", "portal.encuesta", "portal.salir",
    )},
    **{e: STAFF for e in (
        "auth.logout", "tasks.home", "tasks.inbox", "tasks.show", "tasks.submit", "tasks.assign", "tasks.unclaim",
        "tasks.claim", "start.index", "start.form", "instances.show", "instances.diagram", "pqrsd_tray.index",
        "pqrsd_tray.export", "pqrsd.show", "pqrsd.acuse", "pqrsd.acuse_pdf", "pqrsd.cancel",
        "pqrsd.radicar", "attachments.upload", "attachments.download", "notifications.index",
        "notifications.read_one", "notifications.read_all", "notifications.prefs", "supervision.reassign_form",
        "supervision.reassign",
    )},
    **{e: STAFF for e in (
        "api.correlate", "api.radicar_pqrsd", "api.list_pqrsd", "api.get_pqrsd", "api.pqrsd_action",
        "api.pqrsd_acuse", "api.upload_attachments", "api.list_attachments", "api.download_attachment",
        "api.process_definitions", "api.start_instance", "api.get_instance", "api.list_tasks", "api.get_task",
        "api.assign", "api.claim", "api.complete", "api.unclaim", "api.supervision_reassign",
        "api.set_report_goal", "api.act_on_turno",
    )},
    **{e: ADMIN for e in (
        "admin.index", "admin.dependencia_list", "admin.dependencia_create", "admin.dependencia_active",
        "admin.dependencia_rename", "admin.user_list", "admin.user_create", "admin.user_show", "admin.user_update",
        "admin.user_password", "admin.user_active", "admin_legal.calendar", "admin_legal.close_day",
        "admin_legal.reopen_day", "admin_legal.settings", "admin_legal.terms", "admin_legal.set_term", "pqrsd.retry",
    )},
    **{e: SUPERVISORS for e in (
        "supervision.index", "supervision.listing", "supervision.export", "api.supervision_summary",
        "api.supervision_items", "incidents.index", "incidents.show", "incidents.retry", "incidents.cancel",
        "reports.quality_page", "reports.quality_review",
    )},
    **{e: READERS for e in (
        "supervision.heatmaps", "supervision.heatmap_page", "supervision.heatmap_diagram", "reports.goals_page",
        "reports.pqrsd_page", "reports.pqrsd_download", "api.report_indicators", "api.report_goals",
        "api.report_pqrsd",
    )},
    "api.send_signal": SIGNALERS,
    **{e: ANALYSTS for e in (
        "models.index", "models.version_page", "models.version_diagram", "models.version_file", "models.diff_page",
        "models.diff_diagram", "models.characterization", "models.characterization_pdf", "models.upload_form",
        "models.upload", "models.run_tests", "models.migrate", "api.migrate_instances",
    )},
    **{e: DEPLOYERS for e in (
        "engine_rest.version", "engine_rest.engines", "engine_rest.deployment_list", "engine_rest.deployment_create",
        "engine_rest.definition_list", "engine_rest.definition_by_key", "engine_rest.definition_get",
        "engine_rest.start_by_id", "engine_rest.start_by_key",
    )},
    **{e: COUNTER for e in ("reports.turnos_page", "reports.turnos_issue", "reports.turnos_act", "api.list_turnos",
                            "api.issue_turno")},
}  # fmt: skip


@pytest.fixture
def walk_app(sqlite_ctx: Context) -> Iterator[Flask]:
    for role in ROLES:
        users.add_user(sqlite_ctx, f"u{role}", password=PASSWORD, roles=role, groups="atencion_ciudadano")
    yield create_app({"TESTING": True, "SECRET_KEY": "t", "WTF_CSRF_ENABLED": False}, context=sqlite_ctx)


def _routes(app: Flask) -> list[tuple[Rule, str]]:
    found = [
        (rule, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
    ]
    return sorted(found, key=lambda r: r[0].endpoint == "auth.logout")  # signing out ends the walk's sessions


def _path(rule: Rule) -> str:
    """The rule with its arguments filled: 1 for ids, 'x' for the rest — nothing that exists."""
    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?\w+>", lambda m: "1" if m.group(1) == "int" else "x", rule.rule)


def test_every_route_has_an_access_rule(walk_app: Flask) -> None:
    endpoints = {rule.endpoint for rule, _ in _routes(walk_app)}
    assert sorted(endpoints - set(ACCESS)) == [], "routes with no access rule: classify them in ACCESS"
    assert sorted(set(ACCESS) - endpoints) == [], "rules for routes that no longer exist"


def test_every_route_holds_its_rule_for_every_role(walk_app: Flask, sqlite_ctx: Context) -> None:
    tokens = {role: users.issue_token(sqlite_ctx, f"u{role}") for role in ROLES}
    clients = {}
    for role in ROLES:
        client = walk_app.test_client()
        client.post("/ingresar", data={"usuario": f"u{role}", "contrasena": PASSWORD})
        clients[role] = client
    problems = []
    for rule, method in _routes(walk_app):
        rule_of = ACCESS[rule.endpoint]
        path, api = _path(rule), rule.rule.startswith(("/api/", "/engine-rest/"))
        for who in (None, *ROLES):
            client = walk_app.test_client() if who is None or api else clients[who]
            headers = {"Authorization": f"Bearer {tokens[who]}"} if api and who else {}
            status = client.open(path, method=method, headers=headers).status_code
            allowed = rule_of == PUBLIC or (who is not None and (rule_of == STAFF or who in rule_of))
            if status >= 500:
                problems.append(f"{method} {path} as {who}: {status}")
            elif who is None and not allowed and status not in ((401,) if api else (302,)):
                problems.append(f"{method} {path} anonymous: {status}, not sent to sign in")
            elif who is not None and not allowed and (status < 300 or (method == "GET" and status != 403)):
                problems.append(f"{method} {path} as {who}: {status}, outside its rule {rule_of}")
            elif allowed and rule_of != PUBLIC and status in (401, 403):
                problems.append(f"{method} {path} as {who}: {status}, inside its rule {rule_of}")
    assert problems == [], "\n".join(problems)
