"""Scenario fixtures: the real bpmn/ and forms/ deployed once, a calendar-aware engine, one user per dependencia."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.identity import users
from engine.legal.calendar import BusinessCalendar
from engine.legal.expressions import expression_functions
from engine.legal.terms import seed_term_table
from engine.store.instances import load_instance
from engine.store.tables import Task
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, task_views, tasks, timers, views
from engine.workflow.handlers import register_builtin_handlers
from engine.workflow.runs import load_run
from engine.workflow.views import TaskFilter
from tests.conftest import ROOT, make_database_url
from tests.helpers import start_model

GROUPS = (
    "secretaria_general",
    "planeacion",
    "atencion_ciudadano",
    "dependencias",
    "comunicaciones",
    "talento_humano",
    "juridica",
    "control_interno",
    "alta_direccion",
    "supervision",
)
START = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # the `clock` fixture's start: Monday 08:00 in Bogotá
FUNCTIONS = expression_functions(BusinessCalendar.colombia(range(2025, 2028)), seed_term_table())
# A petition by e-mail, filed on the `clock` fixture's start by the front desk (its radicación form's fields).
FILING = {
    "tipo": "peticion_general",
    "canal": "correo_electronico",
    "fecha_recibo": "02/03/2026 08:00",
    "asunto": "Certificado de residencia",
    "descripcion": "Solicito el certificado de residencia para un trámite bancario.",
    "nombre": "María Pérez",
    "tipo_documento": "CC",
    "numero_documento": "52.123.456",
    "correo": "maria.perez@example.co",
}


def scenario_context(url: str, tmp_path: Path, clock: FrozenClock) -> Context:
    ctx = create_context(
        Settings(database_url=url, instance_dir=tmp_path / "instance"), clock=clock, functions=FUNCTIONS
    )
    register_builtin_handlers(ctx.services, ctx)
    return ctx


def prepare(ctx: Context) -> None:
    outcome = deployments.deploy(ctx, deployments.read_sources([ROOT / "bpmn", ROOT / "forms"]), actor="test")
    assert outcome.report.ok, outcome.report.format()
    for group in GROUPS:
        roles = "supervisor" if group == "supervision" else "funcionario"
        users.add_user(ctx, f"u.{group}", groups=group, roles=roles)


@pytest.fixture(scope="session")
def deployed_template(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("deployed") / "deployed.db"
    shutil.copy(sqlite_template, path)
    ctx = scenario_context(f"sqlite:///{path}", path.parent, FrozenClock(START))
    prepare(ctx)
    ctx.db.dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(
    request: pytest.FixtureRequest, tmp_path: Path, clock: FrozenClock, deployed_template: Path
) -> Iterator[Scenario]:
    """Both databases: for the representative scenarios only (PostgreSQL deploys from scratch)."""
    if request.param == "sqlite":
        target = tmp_path / "phva.db"
        shutil.copy(deployed_template, target)
        ctx = scenario_context(f"sqlite:///{target}", tmp_path, clock)
    else:
        ctx = scenario_context(make_database_url("postgres", request, tmp_path), tmp_path, clock)
        prepare(ctx)
    yield Scenario(ctx, clock)
    ctx.db.dispose()


@pytest.fixture
def sc(tmp_path: Path, clock: FrozenClock, deployed_template: Path) -> Iterator[Scenario]:
    target = tmp_path / "phva.db"
    shutil.copy(deployed_template, target)
    ctx = scenario_context(f"sqlite:///{target}", tmp_path, clock)
    yield Scenario(ctx, clock)
    ctx.db.dispose()


FORMS = {p.stem: json.loads(p.read_text()) for p in (ROOT / "forms").glob("*.form")}


def sample(form_id: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Valid answers for every input of a form (what a careful funcionario types), then the overrides."""
    values: dict[str, Any] = {}
    for component in FORMS[form_id]["components"]:
        key, kind = component.get("key"), component["type"]
        if key is None:
            continue
        rules = component.get("validate", {})
        if kind == "checkbox":
            values[key] = component.get("defaultValue", False)
        elif kind in ("select", "radio"):
            values[key] = component.get("defaultValue") or component["values"][0]["value"]
        elif kind == "number":
            values[key] = component.get("defaultValue", rules.get("min", 1) or 1)
        elif kind == "datetime":
            values[key] = "2026-03-10"
        else:
            values[key] = f"Registro de prueba: {component['label']}"
    values.update(overrides or {})
    return values


class Scenario:
    def __init__(self, ctx: Context, clock: FrozenClock) -> None:
        self.ctx = ctx
        self.clock = clock

    def start(self, key: str, data: dict[str, Any] | None = None, business_key: str | None = None) -> int:
        assert key != "pqrsd", (
            "una PQRSD se radica: radicacion.file_pqrsd (tests.scenarios.test_pqrsd.radicar)"
        )
        started = start_model(self.ctx, key, data, business_key)
        assert started.incident is None, started.incident
        return started.id

    def open_tasks(self, instance_id: int) -> list[dict[str, Any]]:
        items, _ = views.tasks(self.ctx, TaskFilter(see_all=True, instance_id=instance_id))
        return items

    def task(self, instance_id: int, bpmn_id: str) -> dict[str, Any]:
        found = [t for t in self.open_tasks(instance_id) if t["bpmn_id"] == bpmn_id]
        assert found, (
            f"{bpmn_id} no está abierta; abiertas: {[t['bpmn_id'] for t in self.open_tasks(instance_id)]}"
        )
        return found[0]

    def complete(self, instance_id: int, bpmn_id: str, **overrides: Any) -> dict[str, Any]:
        """Complete the open task as a user of its candidate dependencia, with its form's sample answers,
        confirming what the model asks to confirm; under four eyes, a second user of the dependencia does it."""
        task = self.task(instance_id, bpmn_id)
        assert task["candidate_groups"], f"{bpmn_id} no tiene dependencia candidata"
        group = task["candidate_groups"][0]
        user = f"u.{group}"
        if task_views.task_page(self.ctx, task["id"], user)["refusal"]:
            user = f"r.{group}"
            if user not in {u.username for u in users.list_users(self.ctx)}:
                users.add_user(self.ctx, user, groups=group, roles="funcionario")
        data = sample(task["form"], overrides)
        return tasks.complete_task(self.ctx, task["id"], user, data, confirmed=True)

    def walk(self, instance_id: int, *steps: str | tuple[str, dict[str, Any]]) -> None:
        for step in steps:
            bpmn_id, overrides = (step, {}) if isinstance(step, str) else step
            self.complete(instance_id, bpmn_id, **overrides)

    def advance(self, **delta: float) -> int:
        self.clock.advance(timedelta(**delta))
        return fire_due(self.ctx)

    def instance(self, instance_id: int) -> dict[str, Any]:
        return views.instance(self.ctx, instance_id)

    def data(self, instance_id: int) -> dict[str, Any]:
        with UnitOfWork(self.ctx.db, write=False) as uow:
            ref = load_instance(uow.session, instance_id)
            assert ref is not None
            return load_run(self.ctx, uow.session, ref).data()

    def complete_message(self, name: str, business_key: str, payload: dict[str, Any]) -> int:
        return instances.correlate_message(
            self.ctx, name, business_key=business_key, payload=payload, actor="test"
        )

    def data_of_task(self, instance_id: int, bpmn_id: str) -> dict[str, Any]:
        task = self.task(instance_id, bpmn_id)
        with UnitOfWork(self.ctx.db, write=False) as uow:
            spiff_id = uow.session.scalar(select(Task.spiff_id).where(Task.id == task["id"]))
            ref = load_instance(uow.session, instance_id)
            assert ref is not None and spiff_id is not None
            return load_run(self.ctx, uow.session, ref).task_data(spiff_id)

    def timers(self, instance_id: int) -> dict[str, str]:
        return {t["activity"]: t["due_at"] for t in self.instance(instance_id)["timers"]}


def fire_due(ctx: Context) -> int:
    """Timers of running instances fired now, through the scheduler's service.

    Timer start events (e.g. the monthly report, armed at deploy) start new instances; they are not counted.
    """
    report = timers.fire_due_timers(ctx)
    return report.fired - report.started
