"""Issue 15 §6: a Hypothesis fuzz of every HTML form and every GET query string of the web app, as each role.

The forms are found the way a browser finds them — on the pages each role can open, over the real `bpmn/` with a
case, a task, notifications and a citizen's portal session — and every POST route is also sent the field names
the pages and the code use. Hypothesis fills them with hostile values (integers past bigint, NUL, lone
surrogates, very long or odd unicode text, missing and repeated fields, a wrong or missing CSRF token). No answer
may be a 500, an "Error inesperado" page or a logged traceback, and a refused request (4xx, or a bad CSRF token)
and every GET must leave the database as it was. Examples are bounded: the whole walk takes seconds.
(schemathesis does the same for /api/v1 in test_api_fuzz.py.)
"""

from __future__ import annotations

import dataclasses
import logging
import re
import shutil
import traceback
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import html as lxml_html
from sqlalchemy import event, select, text
from werkzeug.routing import Rule

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.identity.users import ROLES
from engine.pqrsd import radicacion
from engine.store.tables import Task
from engine.store.uow import UnitOfWork
from engine.workflow import views
from tests.scenarios.conftest import START, deployed_template, scenario_context  # noqa: F401
from web import create_app

PASSWORD = "clave-segura-1"
ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = 2  # per route and role; the forms people fill most get more
MORE = {"auth.login": 12, "tasks.submit": 8, "start.form": 8, "portal.radicar": 10, "portal.consulta": 6,
        "pqrsd.radicar": 8, "tasks.inbox": 6, "supervision.listing": 6, "pqrsd_tray.index": 6,
        "reports.pqrsd_download": 1, "reports.pqrsd_page": 1, "pqrsd.acuse_pdf": 1, "portal.acuse_pdf": 1}  # fmt: skip
SKIP = {"auth.logout", "portal.salir", "static"}  # they end the walk's own sessions
# Tables a refused request may change by design: sign-in attempts (the lockout counts them), the portal's
# per-address rate limit, the last use of a session.
COUNTERS = {"login_attempts", "portal_requests"}
ALL_ROLES = (None, *ROLES)  # None: nobody signed in
DISCOVERERS = (None, "funcionario", "supervisor", "admin")  # between them they see every form

HOSTILE = [
    "", " ", "0", "-1", "1", "2", "007", str(2**31), str(2**63 - 1), str(2**63), str(2**64), "9" * 40, "-" + "9" * 30,
    "1e309", "-0", "1.5", "NaN", "Infinity", "-Infinity", "a\x00b", "\x00", "%00", "\ud800", "a\udfffb",
    "x" * 5000, "ñ" * 70_000, "\u202egnp.exe", "\u200b", "e\u0301" * 50, "😀" * 300, "\uffff", "\ufeff", "İı",
    "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd", "\r\nSet-Cookie: x=1", "{}", "[]", "null",
    "true", "on", "si", "2026-02-30", "2026-13-01", "0000-00-00", "9999-12-31", "31/12/9999", "2026-03-02T25:61",
    "-1d", "P99999999D", "${x}", "{{7*7}}", "%s%n", "supervision", "atencion_ciudadano", "admin", "todos",
    "csv", "xlsx", "pdf", "json", "verde", "rojo", "vencido", "peticion_general", "queja", "web", "email",
]  # fmt: skip


def _value() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE),
        st.integers(-(2**70), 2**70).map(str),
        st.text(max_size=40),
        st.text(st.characters(codec="utf-8"), min_size=1, max_size=300),
    )


# ---- the app, with something to find on every page ---------------------------------------------------
@dataclass
class Walk:
    app: Flask
    ctx: Context
    params: dict[str, list[str]]  # path argument → real values to put in it
    clients: dict[str | None, FlaskClient] = field(default_factory=dict)
    cookies: dict[str | None, str | None] = field(default_factory=dict)
    tokens: dict[str | None, str] = field(default_factory=dict)
    forms: dict[tuple[str, str], dict[str, list[str]]] = field(
        default_factory=dict
    )  # (endpoint, method) → fields
    logged: list[str] = field(default_factory=list)
    writes: Writes = field(default_factory=lambda: Writes(()))


class _Errors(logging.Handler):
    def __init__(self, into: list[str]) -> None:
        super().__init__(logging.ERROR)
        self.into = into

    def emit(self, record: logging.LogRecord) -> None:
        self.into.append(self.format(record) + ("\n" + "".join(traceback.format_exception(*record.exc_info))
                                                if record.exc_info else ""))  # fmt: skip


@pytest.fixture(scope="module")
def walk(tmp_path_factory: pytest.TempPathFactory, deployed_template: Path) -> Iterator[Walk]:  # noqa: F811
    """One app for every role: the fuzz must not change anything that matters, and what it may change is its own."""
    tmp_path = tmp_path_factory.mktemp("fuzz")
    clock = FrozenClock(START)
    shutil.copy(deployed_template, tmp_path / "phva.db")
    ctx = scenario_context(f"sqlite:///{tmp_path / 'phva.db'}", tmp_path, clock)
    ctx.settings = dataclasses.replace(ctx.settings, portal_human_check=False)
    for role in ROLES:
        users.add_user(ctx, f"f{role}", password=PASSWORD, roles=role, groups="atencion_ciudadano")
    users.add_user(ctx, "victima", password=PASSWORD, groups="atencion_ciudadano")
    case = radicacion.radicar_pqrsd(ctx, "peticion_general", clock.now(), actor="fadmin",
                                    contact={"subject": "Alumbrado", "description": "Poste caído",
                                             "email": "ciudadana@example.com"})  # fmt: skip
    with UnitOfWork(ctx.db, write=False) as uow:
        task_ids = [str(i) for i in uow.session.scalars(select(Task.id).order_by(Task.id))]
        notification_ids = [
            str(i) for i in uow.session.execute(text("SELECT id FROM notifications")).scalars()
        ]
    keys = sorted({d["key"] for d in views.definitions(ctx)})
    app = create_app({"TESTING": True, "SECRET_KEY": "fuzz"}, context=ctx)
    found = Walk(app, ctx, {
        "task_id": task_ids[:2] or ["1"], "instance_id": [str(case["instance_id"])], "incident_id": ["1"],
        "notification_id": notification_ids[:2] or ["1"], "radicado": [str(case["radicado"])], "key": keys,
        "version": ["1"], "username": ["victima"], "code": ["atencion_ciudadano"], "day": ["2026-03-10"],
        "fmt": ["csv", "xlsx", "pdf", "json"], "sha256": ["0" * 64], "turno_id": ["1"], "accion": ["llamar"],
    })  # fmt: skip
    handler = _Errors(found.logged)
    logging.getLogger().addHandler(handler)
    _sign_in_everyone(found, str(case["radicado"]), str(case.get("codigo_consulta") or ""))
    _discover_forms(found)
    found.writes = Writes({ctx.db.write_engine, getattr(ctx.db, "read_engine", ctx.db.write_engine)})
    yield found
    logging.getLogger().removeHandler(handler)
    ctx.db.dispose()


def _csrf(page: str) -> str | None:
    found = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', page)
    return found.group(1) if found else None


def _sign_in_everyone(w: Walk, radicado: str, codigo: str) -> None:
    for role in ALL_ROLES:
        client = w.app.test_client()
        if role is None:  # the citizen proves her case in the portal: its pages open
            token = _csrf(client.get("/portal/consulta").get_data(as_text=True))
            answer = client.post(
                "/portal/consulta", data={"radicado": radicado, "codigo": codigo, "csrf_token": token}
            )
            assert answer.status_code in (200, 302), answer.status_code
        else:
            token = _csrf(client.get("/ingresar").get_data(as_text=True))
            answer = client.post("/ingresar", data={"usuario": f"f{role}", "contrasena": PASSWORD,
                                                    "csrf_token": token})  # fmt: skip
            assert answer.status_code == 302, role
        page = client.get("/portal/radicar" if role is None else "/notificaciones/preferencias")
        w.tokens[role] = _csrf(page.get_data(as_text=True)) or ""
        w.clients[role] = client
        cookie = client.get_cookie("phva_session")
        w.cookies[role] = cookie.value if cookie else None


def _rules(app: Flask) -> list[tuple[Rule, str]]:
    return sorted(
        ((r, m) for r in app.url_map.iter_rules() if r.endpoint not in SKIP and not r.rule.startswith("/api/")
         for m in sorted((r.methods or set()) - {"HEAD", "OPTIONS"})),
        key=lambda rm: (rm[0].rule, rm[1]),
    )  # fmt: skip


def _paths(w: Walk, rule: Rule) -> list[str]:
    """The rule filled with the real values of its arguments (each combination of the first two)."""
    paths = [rule.rule]
    for arg in rule.arguments:
        pattern = re.compile(r"<(?:[^:<>]+:)?" + arg + r">")
        paths = [pattern.sub(quote(v, safe=""), p) for p in paths for v in w.params.get(arg, ["x"])[:4]]
    return paths


def _discover_forms(w: Walk) -> None:
    """Every form on every page each role opens: its action's endpoint and its fields with their offered values."""
    adapter = w.app.url_map.bind("localhost")
    for role in DISCOVERERS:
        client = w.clients[role]
        for rule, method in _rules(w.app):
            if method != "GET":
                continue
            for path in _paths(w, rule)[:1]:
                response = client.get(path)
                if response.status_code != 200 or not (response.mimetype or "").startswith("text/html"):
                    continue
                for form in lxml_html.fromstring(response.get_data(as_text=True)).forms:
                    action = urlsplit(form.action or path)
                    verb = (form.method or "GET").upper()
                    try:
                        endpoint, _ = adapter.match(action.path, method=verb)
                    except Exception:
                        continue
                    fields = w.forms.setdefault((str(endpoint), verb), {})
                    for element in form.inputs:
                        name = element.name
                        if not name or name == "csrf_token":
                            continue
                        offered = fields.setdefault(name, [])
                        values = [o.get("value", o.text or "") for o in element.iter("option")]
                        values += [element.get("value")] if element.get("value") is not None else []
                        offered += [v for v in values if v not in offered][:20]


def _vocabulary() -> list[str]:
    """Field and parameter names the templates and the web code read: sent to every route besides its own."""
    names: set[str] = set()
    for path in (ROOT / "web" / "templates").rglob("*.html"):
        names |= set(re.findall(r'name="([a-z_][a-z0-9_]*)"', path.read_text(encoding="utf-8")))
    for path in [*(ROOT / "web").glob("*.py"), *(ROOT / "engine" / "supervision").glob("*.py"),
                 *(ROOT / "engine" / "workflow").glob("inbox.py"), *(ROOT / "engine" / "pqrsd").glob("tray.py")]:  # fmt: skip
        names |= set(re.findall(r'\.get(?:list)?\(\s*"([a-z_][a-z0-9_]*)"', path.read_text(encoding="utf-8")))
    return sorted(names - {"csrf_token"})


VOCABULARY = _vocabulary()


# ---- what a request may not do --------------------------------------------------------------------------
class Writes:
    """The tables each committed write touched, read off the engine's statements (a rolled-back one leaves none)."""

    WRITE = re.compile(r'^\s*(?:INSERT(?: OR \w+)? INTO|UPDATE|DELETE FROM)\s+"?(\w+)', re.IGNORECASE)

    def __init__(self, engines: Any) -> None:
        self.committed: list[str] = []
        self.pending: dict[int, list[str]] = {}
        self.marks: dict[tuple[int, str], int] = {}
        for engine in engines:
            event.listen(engine, "after_cursor_execute", self._executed)
            event.listen(engine, "commit", lambda conn: self.committed.extend(self.pending.pop(id(conn), [])))
            event.listen(engine, "rollback", lambda conn: self.pending.pop(id(conn), None))
            event.listen(engine, "savepoint", self._savepoint)
            event.listen(engine, "rollback_savepoint", self._rollback_savepoint)

    def _executed(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        found = self.WRITE.match(statement)
        if found and cursor.rowcount != 0 and found.group(1) not in COUNTERS:
            self.pending.setdefault(id(conn), []).append(found.group(1))

    def _savepoint(self, conn: Any, name: str) -> None:
        self.marks[(id(conn), name)] = len(self.pending.get(id(conn), []))

    def _rollback_savepoint(self, conn: Any, name: str, context: Any) -> None:
        mark = self.marks.pop((id(conn), name), 0)
        del self.pending.setdefault(id(conn), [])[mark:]

    def take(self) -> list[str]:
        found, self.committed = sorted(set(self.committed)), []
        return found


def _encode(pairs: list[tuple[str, str]]) -> bytes:
    """URL-encoded as a browser would, lone surrogates passed through as the bytes a broken client sends."""
    return urlencode([(k, v.encode("utf-8", "surrogatepass")) for k, v in pairs]).encode()


@dataclass(frozen=True)
class Attempt:
    method: str
    path: str
    query: list[tuple[str, str]]
    form: list[tuple[str, str]]
    csrf: str  # valid | missing | wrong


def _send(w: Walk, role: str | None, attempt: Attempt) -> tuple[int | None, str]:
    client = w.clients[role]
    if w.cookies[role]:
        client.set_cookie(
            "phva_session", str(w.cookies[role])
        )  # every example starts from the role's own session
    form = list(attempt.form)
    if attempt.method == "POST" and attempt.csrf != "missing":
        form.append(("csrf_token", w.tokens[role] if attempt.csrf == "valid" else "IjAxMjM0NTY3ODki.x.y"))
    path = attempt.path + ("?" + _encode(attempt.query).decode() if attempt.query else "")
    try:
        response = client.open(path, method=attempt.method, data=_encode(form) if attempt.method == "POST" else None,
                               content_type="application/x-www-form-urlencoded")  # fmt: skip
    except Exception:
        return None, traceback.format_exc()
    body = (
        response.get_data(as_text=True)
        if (response.mimetype or "").startswith(("text/", "application/json"))
        else ""
    )
    return response.status_code, body


def _check(w: Walk, role: str | None, endpoint: str, attempt: Attempt) -> str | None:
    w.writes.take()
    del w.logged[:]
    status, body = _send(w, role, attempt)
    where = f"{attempt.method} {attempt.path} as {role or 'anonymous'} (csrf {attempt.csrf}) " \
            f"query={attempt.query!r:.300} form={attempt.form!r:.300}"  # fmt: skip
    if status is None:
        return f"{where}: unhandled exception\n{body[-1500:]}"
    if status >= 500 or "Error inesperado" in body or "Traceback" in body:
        return f"{where}: {status}\n{body[:500]}"
    if w.logged:
        return f"{where}: {status}, logged an error\n{w.logged[0][-1500:]}"
    refused = status >= 400 or (attempt.method == "POST" and attempt.csrf != "valid")
    if attempt.method == "POST" and attempt.csrf != "valid" and status < 400:
        return f"{where}: {status} with a bad CSRF token"
    if refused or attempt.method == "GET":
        changed = w.writes.take()
        if changed:
            return f"{where}: {status} and it changed {changed}"
    return None


@st.composite
def _attempts(draw: Any, w: Walk, rule: Rule, method: str) -> Attempt:
    path = draw(st.sampled_from(_paths(w, rule)))
    if rule.arguments and draw(st.integers(0, 5)) == 0:  # a hostile path argument
        arg = draw(st.sampled_from(sorted(rule.arguments)))
        converter = rule._converters.get(
            arg
        )  # an <int:…> argument is bounded by its converter: give it digits
        value = draw(st.integers(0, 2**70).map(str) if converter and "Integer" in type(converter).__name__
                     else _value().filter(lambda v: v.strip("/") != "" and "\x00" not in v))  # fmt: skip
        path = re.sub(
            r"<(?:[^:<>]+:)?" + arg + r">", quote(value.encode("utf-8", "surrogatepass"), safe=""), rule.rule
        )
        for other in rule.arguments - {arg}:
            path = re.sub(
                r"<(?:[^:<>]+:)?" + other + r">", quote(w.params.get(other, ["x"])[0], safe=""), path
            )
    own = w.forms.get((rule.endpoint, method), {})
    names = (
        draw(st.lists(st.sampled_from(sorted(own)), unique=True))
        if own and draw(st.booleans())
        else sorted(own)
    )
    names += draw(st.lists(st.sampled_from(VOCABULARY), max_size=3))
    pairs: list[tuple[str, str]] = []
    for name in names:
        offered = own.get(name, [])
        value = draw(st.sampled_from(offered) | _value() if offered else _value())
        pairs.append((name, value))
        if draw(st.integers(0, 7)) == 0:  # the same field twice
            pairs.append((name, draw(_value())))
    csrf = draw(st.sampled_from(["valid"] * 6 + ["missing", "wrong"])) if method == "POST" else "valid"
    return Attempt(method, path, pairs if method == "GET" else [], pairs if method == "POST" else [], csrf)


def _allowed(role: str | None, endpoint: str) -> bool:
    from tests.web.test_route_access import ACCESS, PUBLIC, STAFF

    rule = ACCESS.get(endpoint, PUBLIC)
    return rule == PUBLIC if role is None else rule in (PUBLIC, STAFF) or role in rule


def test_the_fuzz_sees_what_a_request_writes_and_that_a_refused_one_writes_nothing(walk: Walk) -> None:
    """The check itself can fail: an accepted form is seen writing, and the same form with a bad token is not."""
    create = Attempt(
        "POST", "/admin/dependencias", [], [("code", "control_fuzz"), ("name", "Control")], "wrong"
    )
    assert _check(walk, "admin", "admin.dependencia_create", create) is None
    status, _ = _send(walk, "admin", dataclasses.replace(create, csrf="valid"))
    assert status == 302 and "dependencias" in walk.writes.take()


def _fuzz(w: Walk, role: str | None, rule: Rule, method: str, problems: list[str]) -> None:
    @given(attempt=_attempts(w, rule, method))
    @settings(max_examples=MORE.get(rule.endpoint, EXAMPLES), deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    def run(attempt: Attempt) -> None:
        problem = _check(w, role, rule.endpoint, attempt)
        if problem is not None and len(problems) < 40:
            problems.append(problem)

    run()


@pytest.mark.parametrize("role", ALL_ROLES, ids=lambda r: r or "anonymous")
def test_no_form_or_query_string_gives_a_500_or_changes_anything_when_refused(
    walk: Walk, role: str | None
) -> None:
    problems: list[str] = []
    for rule, method in _rules(walk.app):
        if _allowed(role, rule.endpoint):  # outside its rule a route answers 403 first: test_route_access.py
            _fuzz(walk, role, rule, method, problems)
    assert problems == [], "\n\n".join(problems)
