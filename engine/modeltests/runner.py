"""Running a model-test file: each scenario on its own in-memory database, reported step by step."""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.errors import IncidentRaised, PhvaError
from engine.identity import users
from engine.identity.user_admin import update_user
from engine.modeling.isotime import parse_duration_from
from engine.modeltests.fill import example_answers
from engine.modeltests.spec import ModelTestFile, Scenario, Step
from engine.pqrsd import radicacion
from engine.pqrsd.calendar import due
from engine.store.instances import load_instance
from engine.store.metadata import metadata
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, task_views, tasks, timers, views
from engine.workflow.runs import load_run
from engine.workflow.views import TaskFilter

DEFAULT_CLOCK = datetime(2026, 3, 2, 13, 0, tzinfo=UTC)  # a Monday, 08:00 in Bogotá
MAX_FIRINGS = 500  # timer firings per `advance`: a model that fires more is reported, not run forever
_BUSINESS_DAYS = re.compile(r"^\s*(\d+)\s+d[ií]as?\s+h[aá]bil(es)?\s*$", re.IGNORECASE)


@dataclass
class StepResult:
    label: str
    ok: bool
    message: str = ""


@dataclass
class ScenarioResult:
    name: str
    steps: list[StepResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.ok for s in self.steps)


@dataclass
class FileResult:
    path: Path
    deploy: StepResult
    scenarios: list[ScenarioResult] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.deploy.ok and all(s.ok for s in self.scenarios)

    def to_dict(self) -> dict[str, Any]:
        return {
            "file": str(self.path),
            "ok": self.ok,
            "deploy": vars(self.deploy),
            "tests": [
                {"name": s.name, "ok": s.ok, "steps": [vars(step) for step in s.steps]}
                for s in self.scenarios
            ],
        }

    def lines(self) -> Iterator[str]:
        mark = {True: "✓", False: "✗"}
        yield f"{mark[self.ok]} {self.path}"
        yield f"  {mark[self.deploy.ok]} {self.deploy.label}" + (
            f": {self.deploy.message}" if self.deploy.message else ""
        )
        for scenario in self.scenarios:
            yield f"  {mark[scenario.ok]} {scenario.name}"
            for step in scenario.steps:
                if not step.ok:
                    yield f"      ✗ {step.label}: {step.message}"


class StepFailed(Exception):
    pass


def run_file(test_file: ModelTestFile) -> FileResult:
    sources = list(test_file.sources)
    names = sources[0].name + (f" y {len(sources) - 1} archivos más" if len(sources) > 1 else "")
    with _engine(test_file) as ctx:
        outcome = deployments.deploy(
            ctx, sources, check_only=test_file.refused is not None, create_groups=True
        )
    if test_file.refused is not None:
        return FileResult(test_file.path, _check_refusal(names, outcome, test_file.refused))
    if not outcome.report.ok:
        problems = "; ".join(p.format() for p in outcome.report.errors)
        return FileResult(test_file.path, StepResult(f"despliegue de {names}", False, problems))
    result = FileResult(test_file.path, StepResult(f"despliegue de {names}", True))
    for scenario in test_file.scenarios:
        with _engine(test_file) as ctx:
            deployments.deploy(ctx, sources, create_groups=True)
            result.scenarios.append(_Scenario(ctx, test_file, scenario).run())
    return result


@contextmanager
def _engine(test_file: ModelTestFile) -> Iterator[Context]:
    # A SQLite file in shared memory where the system has it: the engine opens several connections (legal
    # data is read beside the use case's transaction), which one `sqlite://` connection cannot serve.
    shm = Path("/dev/shm")
    with tempfile.TemporaryDirectory(prefix="phva-model-test-", dir=shm if shm.is_dir() else None) as folder:
        url = f"sqlite:///{Path(folder) / 'phva.db'}"
        settings = Settings(database_url=url, instance_dir=Path(folder), run_scheduler=False)
        ctx = create_context(settings, clock=FrozenClock(test_file.clock or DEFAULT_CLOCK))
        metadata.create_all(ctx.db.write_engine)
        users.add_user(ctx, "root", roles="admin")
        try:
            yield ctx
        finally:
            ctx.db.dispose()


def _check_refusal(
    names: str, outcome: deployments.DeployOutcome, wanted: tuple[dict[str, Any], ...]
) -> StepResult:
    label = f"rechazo de {names}"
    if outcome.report.ok:
        return StepResult(label, False, "se esperaba que el despliegue se rechazara, y fue aceptado")
    found = [(p.element_id, p.message) for p in outcome.report.errors]
    missing = [
        w
        for w in wanted
        if not any(
            w["contains"].lower() in message.lower() and ("element" not in w or w["element"] == element)
            for element, message in found
        )
    ]
    if missing:
        listed = "; ".join(f"{e or '—'}: {m}" for e, m in found)
        wanted_text = "; ".join(f"{w.get('element') or '—'}: «{w['contains']}»" for w in missing)
        return StepResult(label, False, f"faltan en el informe {wanted_text}. El informe dice: {listed}")
    return StepResult(label, True)


class _Scenario:
    def __init__(self, ctx: Context, test_file: ModelTestFile, scenario: Scenario) -> None:
        self.ctx, self.file, self.scenario = ctx, test_file, scenario
        assert isinstance(ctx.clock, FrozenClock)
        self.clock: FrozenClock = ctx.clock
        self.result = ScenarioResult(scenario.name)
        self.instance_id = 0
        self.reached: dict[str, int] = {}  # element id → the step at which it was first seen completed
        self.made: set[str] = (
            set()
        )  # users made on the fly: they join the dependencias of the tasks they act on
        self.step_number = 0

    def run(self) -> ScenarioResult:
        for name, spec in self.file.users.items():
            self._user(name, spec.get("groups", []), spec.get("roles", []))
        if not self._do("inicio", self._start):
            return self.result
        for step in self.scenario.steps:
            self.step_number += 1
            if not self._do(f"paso {self.step_number} ({step.kind})", lambda s=step: self._step(s)):  # type: ignore[misc]
                return self.result
        if self.scenario.expect:
            self._do("resultado", lambda: self._expect(self.scenario.expect))
        return self.result

    def _do(self, label: str, action: Callable[[], str | None]) -> bool:
        try:
            note = action()
        except StepFailed as failure:
            self.result.steps.append(StepResult(label, False, str(failure)))
            return False
        except PhvaError as error:
            self.result.steps.append(StepResult(label, False, error.message))
            return False
        self._record_path()
        self.result.steps.append(StepResult(label, True, note or ""))
        return True

    # ---- steps ----------------------------------------------------------------------------------
    def _start(self) -> str | None:
        s = self.scenario
        self._user(s.starter, [], [])
        if s.radicar is not None:
            case = radicacion.file_pqrsd(self.ctx, s.radicar, actor=s.starter)
            instance_id = case.get("instance_id")
            if case.get("process_error") or not isinstance(instance_id, int):
                raise StepFailed(
                    f"la radicación {case['radicado']} no inició su proceso: {case.get('process_error')}"
                )
            self.instance_id = instance_id
            return f"radicado {case['radicado']}"
        started = instances.start_process(
            self.ctx, s.process, data=s.data, business_key=s.business_key, actor=s.starter
        )
        self.instance_id = started.id
        return started.incident

    def _step(self, step: Step) -> str | None:
        handler: Callable[[Any], str | None] = getattr(self, f"_{step.kind}")
        return handler(step.value)

    def _complete(self, value: dict[str, Any]) -> str | None:
        task = self._open_task(value["task"])
        who = value.get("as") or "root"
        self._user(who, task["candidate_groups"], [])
        page = task_views.task_page(self.ctx, task["id"], who)
        if page["refusal"] and "as" not in value:  # four eyes: someone else of the dependencia completes it
            who = "segundo.revisor"
            self._user(who, task["candidate_groups"], [])
            page = task_views.task_page(self.ctx, task["id"], who)
        data = dict(value.get("data") or {})
        if page["form"] is not None and value.get("fill", self.file.fill_forms):
            data = {**example_answers(page["form"]["fields"], page["values"], page["options"]), **data}
        refusal = value.get("refused")
        try:
            tasks.complete_task(self.ctx, task["id"], who, data, confirmed=True)
        except IncidentRaised as incident:
            return incident.message
        except PhvaError as error:
            if refusal and refusal.lower() in error.message.lower():
                return None
            raise
        if refusal:
            raise StepFailed(f"se esperaba que se rechazara con «{refusal}», y se completó")
        return None

    def _expect_tasks(self, wanted: list[str]) -> None:
        self._expect({"tasks": wanted})

    def _advance(self, text: str) -> str:
        target = self._target(text)
        fired = 0
        while (next_due := timers.next_due(self.ctx)) is not None and next_due <= target:
            self.clock.set(max(next_due, self.clock.now()))
            report = timers.fire_due_timers(self.ctx, worker="prueba")
            fired += report.fired + report.started
            if report.fired + report.started + report.failed == 0:
                break  # due but nothing fired (a timer waiting out its backoff): move on
            if fired > MAX_FIRINGS:
                raise StepFailed(f"más de {MAX_FIRINGS} temporizadores dispararon en «{text}»")
        self.clock.set(target)
        timers.fire_due_timers(self.ctx, worker="prueba")
        return f"{fired} temporizadores"

    def _target(self, text: str) -> datetime:
        now = self.clock.now()
        if match := _BUSINESS_DAYS.match(text):
            local = now.astimezone(due(self.ctx, now, 0).value.tzinfo)
            day = due(self.ctx, now, int(match.group(1))).value.date()
            return local.replace(year=day.year, month=day.month, day=day.day).astimezone(UTC)
        try:
            return parse_duration_from(text, now)
        except ValueError as error:
            raise StepFailed(f"«{text}»: use una duración ISO 8601 (P1D, PT2H) o «N días hábiles»") from error

    def _message(self, value: dict[str, Any]) -> None:
        key = value.get("business_key")
        instances.correlate_message(
            self.ctx,
            value["name"],
            business_key=key,
            instance_id=None if key else self.instance_id,
            payload=value.get("data") or {},
            actor="root",
        )

    def _signal(self, value: dict[str, Any]) -> str | None:
        try:
            from engine.workflow import signals  # type: ignore[attr-defined]  # lands with the signal events
        except ImportError as error:
            raise StepFailed("esta versión de phva no difunde señales") from error
        count = signals.broadcast_signal(
            self.ctx, value["name"], payload=value.get("data") or {}, actor="root"
        )
        return f"{count} procesos la recibieron"

    def _expect_variables(self, wanted: dict[str, Any]) -> None:
        self._expect({"variables": wanted})

    def _expect_status(self, wanted: str) -> None:
        self._expect({"status": wanted})

    # ---- expectations -----------------------------------------------------------------------------
    def _expect(self, expect: dict[str, Any]) -> None:
        problems: list[str] = []
        if "status" in expect:
            status = str(views.instance(self.ctx, self.instance_id)["status"])
            if status != expect["status"]:
                problems.append(f"estado «{status}», se esperaba «{expect['status']}»{self._why()}")
        if "tasks" in expect:
            problems.extend(self._task_problems(list(expect["tasks"])))
        if "variables" in expect:
            data = self._variables()
            for name, value in expect["variables"].items():
                if name not in data:
                    problems.append(f"falta la variable «{name}»")
                elif data[name] != value:
                    problems.append(f"«{name}» vale {data[name]!r}, se esperaba {value!r}")
        if "path" in expect:
            problems.extend(self._path_problems(list(expect["path"])))
        for element in expect.get("not_path", []):
            if element in self.reached:
                problems.append(f"no debía pasar por «{element}»")
        if problems:
            raise StepFailed("; ".join(problems))

    def _task_problems(self, wanted: list[str]) -> list[str]:
        open_tasks = self._open_tasks()
        left = list(open_tasks)
        missing = []
        for name in wanted:
            match = next((t for t in left if name in (t["bpmn_id"], t["name"])), None)
            if match is None:
                missing.append(name)
            else:
                left.remove(match)
        if not missing and not left:
            return []
        shown = ", ".join(f"{t['name']} ({t['bpmn_id']})" for t in open_tasks) or "ninguna"
        return [f"tareas abiertas: {shown}; se esperaban: {', '.join(wanted) or 'ninguna'}{self._why()}"]

    def _path_problems(self, wanted: list[str]) -> list[str]:
        never = [e for e in wanted if e not in self.reached]
        if never:
            return [f"no pasó por {', '.join(never)} (sí por: {', '.join(sorted(self.reached)) or 'nada'})"]
        for a, b in pairwise(wanted):
            if self.reached[b] < self.reached[a]:
                return [f"pasó por «{b}» antes que por «{a}»"]
        return []

    def _why(self) -> str:
        incidents = [i for i in views.incidents(self.ctx) if i["instance_id"] == self.instance_id]
        return "".join(f" [incidente en {i['activity']}: {i['message']}]" for i in incidents)

    # ---- reading the instance ---------------------------------------------------------------------
    def _open_tasks(self) -> list[dict[str, Any]]:
        items, _ = views.tasks(self.ctx, TaskFilter(see_all=True, instance_id=self.instance_id))
        return [dict(t) for t in items]

    def _open_task(self, name: str) -> dict[str, Any]:
        open_tasks = self._open_tasks()
        found = [t for t in open_tasks if name in (t["bpmn_id"], t["name"])]
        if not found:
            shown = ", ".join(f"{t['name']} ({t['bpmn_id']})" for t in open_tasks) or "ninguna"
            raise StepFailed(f"no hay una tarea abierta «{name}»; abiertas: {shown}{self._why()}")
        return found[0]

    def _variables(self) -> dict[str, Any]:
        with UnitOfWork(self.ctx.db, write=False) as uow:
            ref = load_instance(uow.session, self.instance_id)
            assert ref is not None
            return load_run(self.ctx, uow.session, ref).data()

    def _record_path(self) -> None:
        if not self.instance_id:
            return
        for element in views.instance(self.ctx, self.instance_id)["completed_activities"]:
            self.reached.setdefault(element, self.step_number)

    def _user(self, name: str, groups: list[str], roles: list[str]) -> None:
        known = users.find_user(self.ctx, name)
        if known is None:
            users.add_user(self.ctx, name, groups=groups, roles=roles or ("funcionario",))
            if name not in self.file.users:
                self.made.add(name)
        elif name in self.made and not set(groups) <= set(known.groups):
            update_user(self.ctx, name, groups=sorted({*known.groups, *groups}), actor="root")
