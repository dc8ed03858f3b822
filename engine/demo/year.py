"""`phva demo`: a year of PQRSD played through the real services on a moved clock.

Each simulated day: the scheduler fires what came due overnight; the day's filings are radicated (radicación
starts each case's `pqrsd` process) and the staff complete the tasks whose day has come, in time order; in the
evening the counter's turn log is imported. Cases follow their story (engine.demo.stories); the monthly report
is started by hand for the month before; past the middle of the span, the follow-up measures the indicators
against their goals and opens the improvement action of each one below its goal.
"""

from __future__ import annotations

import random
import time as timing
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from engine.bootstrap import create_context
from engine.clock import FrozenClock
from engine.config import Settings
from engine.context import Context
from engine.demo import volumes as v
from engine.demo.answers import Planner, answers, sample
from engine.demo.people import Staff, ensure_staff
from engine.demo.stories import Story, chance, draw, pick
from engine.errors import BadInput, PhvaError
from engine.legal.calendar import BusinessCalendar
from engine.pqrsd import legal_data, radicacion
from engine.reports import pqrsd_quality as quality
from engine.reports import pqrsd_turnos as turnos
from engine.reports.pqrsd_measures import CRITERIA
from engine.scheduler import TimerScheduler
from engine.store.definitions import latest_name
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork
from engine.workflow import start_forms, task_views, tasks, timers, views
from engine.workflow.records import TaskRecord
from engine.workflow.views import TaskFilter

MORNING, EVENING = time(7, 0), time(18, 30)
Progress = Callable[[str], None]


@dataclass
class DemoResult:
    start: date
    end: date
    cases: int = 0
    tasks_completed: int = 0
    timers_fired: int = 0
    reports: int = 0
    improvement_actions: int = 0
    turns: int = 0
    reviews: int = 0
    problems: list[str] = field(default_factory=list)  # tasks the engine refused, with the reason
    by_channel: Counter[str] = field(default_factory=Counter)
    by_type: Counter[str] = field(default_factory=Counter)
    paths: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0
    password: str = ""
    users: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "desde": self.start.isoformat(), "hasta": self.end.isoformat(), "casos": self.cases,
            "tareas_completadas": self.tasks_completed, "temporizadores": self.timers_fired,
            "informes": self.reports, "acciones_mejora": self.improvement_actions, "turnos": self.turns, "evaluaciones_calidad": self.reviews,
            "por_canal": dict(self.by_channel.most_common()), "por_tipo": dict(self.by_type.most_common()),
            "caminos": dict(self.paths.most_common()), "problemas": self.problems[:20],
            "segundos": round(self.seconds, 1), "usuarios": self.users,
        }  # fmt: skip


def span(today: date, year: int | None) -> tuple[date, date]:
    """The days to simulate: the given calendar year (up to yesterday if it is this year), else the 365 days
    up to yesterday."""
    if year is None:
        return today - timedelta(days=365), today - timedelta(days=1)
    if year > today.year or (year == today.year and today.timetuple().tm_yday < 2):
        raise BadInput(f"El año {year} aún no ha transcurrido: la demostración simula días pasados.")
    if year < 2000:
        raise BadInput(f"Año no válido: {year}.")
    return date(year, 1, 1), min(date(year, 12, 31), today - timedelta(days=1))


def run_demo(
    settings: Settings,
    *,
    year: int | None = None,
    seed: int = 2026,
    cases: int = v.CASES_PER_YEAR,
    force: bool = False,
    today: date | None = None,
    progress: Progress = lambda _: None,
) -> DemoResult:
    if cases < 1 or cases > 50_000:
        raise BadInput(f"--cases debe estar entre 1 y 50000, no {cases}.")
    tz = ZoneInfo(settings.timezone)
    start, end = span(today or datetime.now(tz).date(), year)
    clock = FrozenClock(datetime.combine(start, MORNING, tz))
    ctx = create_context(settings, clock=clock)
    ctx.mail = None  # the demo never sends mail
    try:
        _check_ready(ctx, force)
        return Year(ctx, clock, start, end, seed, cases, progress).run()
    finally:
        ctx.db.dispose()


def _check_ready(ctx: Context, force: bool) -> None:
    legal_data.require_tables(ctx)
    with UnitOfWork(ctx.db, write=False) as uow:
        missing = [
            k
            for k in ("pqrsd", "informe_pqrsd", "seguimiento_relacionamiento")
            if not latest_name(uow.session, k)
        ]
    if missing:
        raise BadInput(f"Faltan procesos desplegados ({', '.join(missing)}): ejecute antes `phva init`.")
    with UnitOfWork(ctx.db, write=False) as uow:
        existing = uow.session.scalar(select(func.count()).select_from(PqrsdCase)) or 0
    if existing and not force:
        raise BadInput(
            f"La base de datos ya tiene {existing} PQRSD: la demostración se carga en una base vacía. "
            "Use --force para agregarla de todos modos."
        )


class Year:
    def __init__(self, ctx: Context, clock: FrozenClock, start: date, end: date, seed: int, cases: int,
                 progress: Progress) -> None:  # fmt: skip
        self.ctx, self.clock, self.start, self.end = ctx, clock, start, end
        self.rng = random.Random(seed)
        self.tz = ZoneInfo(ctx.settings.timezone)
        # the legal calendar stored once for every year the terms and reports reach (never inside a task)
        years = range(start.year - 1, end.year + 3)
        legal_data.ensure_legal_data(ctx, years, actor="demo")
        self.calendar: BusinessCalendar = legal_data.snapshot(ctx, years).calendar
        self.planner = Planner(self.calendar, self.rng)
        self.scheduler = TimerScheduler(ctx, worker="demo")
        self.result = DemoResult(start, end)
        self.progress = progress
        self.filings = self._filings(cases)
        self.stories: dict[int, Story] = {}  # instance id → story
        self.own: set[int] = set()  # instances the demo started by hand (reports, follow-up, actions)
        self.plan: dict[int, date | None] = {}  # task id → the day it gets done
        self.seen: Counter[tuple[int, str]] = Counter()  # (instance, bpmn id) → times completed
        self.forms: dict[int, dict[str, Any] | None] = {}
        self.followed = False

    # ---- the filings of the year --------------------------------------------------------------------
    def _filings(self, count: int) -> dict[date, list[tuple[datetime, str]]]:
        days = [self.start + timedelta(days=n) for n in range((self.end - self.start).days + 1)]
        weight = {d: v.MONTHS[d.month] * (1.0 if self.calendar.is_business_day(d) else 0.25) for d in days}
        out: dict[date, list[tuple[datetime, str]]] = {}
        for day in self.rng.choices(days, weights=[weight[d] for d in days], k=count):
            channel = pick(self.rng, v.CHANNELS)
            if channel in v.OFFICE_CHANNELS and not self.calendar.is_business_day(day):
                channel = "formulario_web"
            hours = (8.0, 16.5) if channel in v.OFFICE_CHANNELS else (6.0, 23.0)
            moment = datetime.combine(day, time(0), self.tz) + timedelta(hours=self.rng.uniform(*hours))
            out.setdefault(day, []).append((moment, channel))
        return out

    # ---- the days -----------------------------------------------------------------------------------
    def run(self) -> DemoResult:
        lock = self.scheduler.lock  # SQLite: no other scheduler may fire these timers on the real clock
        if lock is not None and not lock.acquire():
            raise BadInput(
                "Un programador atiende esta base de datos (phva serve o phva scheduler): deténgalo mientras se "
                "carga la demostración, o dispararía sus temporizadores con la hora real."
            )
        try:
            return self._days()
        finally:
            if lock is not None:
                lock.release()

    def _days(self) -> DemoResult:
        began = timing.perf_counter()
        staff = ensure_staff(self.ctx)
        self.result.password, self.result.users = staff.password, staff.users()
        day, number = self.start, 0
        while day <= self.end:
            self._at(datetime.combine(day, MORNING, self.tz))
            if self.calendar.is_business_day(day) or self._due():
                self._fire()
            events: list[tuple[datetime, int, Callable[[], None]]] = []
            for moment, channel in self.filings.get(day, []):
                number += 1
                story = draw(self.rng, moment, channel, number)
                events.append((moment, len(events), partial(self._file, story)))
            if self.calendar.is_business_day(day):
                events += self._work(day, staff, len(events))
                if self._reports_today(day):
                    moment = datetime.combine(day, time(7, 30), self.tz)
                    events.append((moment, len(events), partial(self._monthly, day, staff)))
            for moment, _, act in sorted(events, key=lambda e: (e[0], e[1])):
                self._at(moment)
                act()
            self._at(datetime.combine(day, EVENING, self.tz))
            if self.calendar.is_business_day(day):
                self._turns(day, staff)
            if day.day == 1 or day == self.end:
                self.progress(f"{day.isoformat()}: {self.result.cases} PQRSD radicadas")
            day += timedelta(days=1)
        self.result.seconds = timing.perf_counter() - began
        return self.result

    def _at(self, moment: datetime) -> None:
        if moment.astimezone(UTC) > self.clock.now():
            self.clock.set(moment)

    def _due(self) -> bool:
        due = timers.next_due(self.ctx)
        return due is not None and due <= self.clock.now()

    def _fire(self) -> None:
        report = self.scheduler.catch_up()
        self.result.timers_fired += report.fired

    def _file(self, story: Story) -> None:
        case = radicacion.file_pqrsd(self.ctx, story.filing, actor=None)
        instance = case.get("instance_id")
        if instance is not None:
            self.stories[instance] = story
        self.result.cases += 1
        self.result.by_channel[story.filing["canal"]] += 1
        self.result.by_type[story.filing["tipo"]] += 1
        self.result.paths[story.path] += 1

    # ---- the staff's work ---------------------------------------------------------------------------
    def _work(self, day: date, staff: Staff, order: int) -> list[tuple[datetime, int, Callable[[], None]]]:
        """Today's completions: every open task of the demo's instances whose planned day has come."""
        out: list[tuple[datetime, int, Callable[[], None]]] = []
        for task in self._open_tasks():
            instance = task["instance_id"]
            if instance not in self.stories and instance not in self.own:
                continue
            story = self.stories.get(instance)
            if task["id"] not in self.plan:
                due = _local_day(task["term_due_at"] or task["due_at"], self.tz)
                seen = self.seen[(instance, task["bpmn_id"])]
                self.plan[task["id"]] = self.planner.day_for(story, task["bpmn_id"], day, due, seen)
            planned = self.plan[task["id"]]
            if planned is None or planned > day:
                continue
            moment = datetime.combine(day, time(8), self.tz) + timedelta(minutes=self.rng.randint(0, 540))
            out.append((moment, order + len(out), partial(self._complete, task, story, staff, day)))
        return out

    def _open_tasks(self) -> list[TaskRecord]:
        found, _ = views.tasks(self.ctx, TaskFilter(see_all=True, limit=100_000, order="created"))
        return found

    def _complete(self, task: TaskRecord, story: Story | None, staff: Staff, day: date) -> None:
        key = (task["instance_id"], task["bpmn_id"])
        due = _local_day(task["term_due_at"] or task["due_at"], self.tz)
        data = answers(story, task["bpmn_id"], self.seen[key], day, due, self.calendar)
        user = self._user_for(task, staff)
        if data is None or story is None:  # the analysts' tasks: their form's sample, then what they write
            data = {**sample(self._form(task, user), day), **(data or {})}
        try:
            tasks.complete_task(self.ctx, task["id"], user, data, confirmed=True)
        except PhvaError as error:  # refused by the engine (a term rule, a guard): noted, the year goes on
            self.result.problems.append(
                f"{task['radicado'] or task['instance_id']} {task['bpmn_id']}: {_why(error)}"
            )
            self.plan[task["id"]] = None  # left for a person to look at
            return
        self.seen[key] += 1
        self.result.tasks_completed += 1

    def _user_for(self, task: TaskRecord, staff: Staff) -> str:
        if task["assignee"]:
            return task["assignee"]
        group = (task["candidate_groups"] or ["atencion_ciudadano"])[0]
        first, second = staff.by_group.get(group, staff.by_group["atencion_ciudadano"])
        return second if task["bpmn_id"] in ("Task_AprobarRespuesta", "Task_RevisarInforme") else first

    def _form(self, task: TaskRecord, user: str) -> dict[str, Any] | None:
        if task["id"] not in self.forms:
            self.forms[task["id"]] = task_views.task_page(self.ctx, task["id"], user).get("form")
        return self.forms[task["id"]]

    def _turns(self, day: date, staff: Staff) -> None:
        """The day's turn log, imported from the counter's CSV in the evening (one transaction)."""
        header = ",".join(turnos.CSV_COLUMNS)
        text = "\n".join([header, *_turn_rows(self.rng, day, self.tz)]) + "\n"
        self.result.turns += turnos.import_csv(
            self.ctx, text, staff.by_group["atencion_ciudadano"][0]
        ).imported

    # ---- the PHVA loop: monthly reports, the semester's follow-up ----------------------------------
    def _reports_today(self, day: date) -> bool:
        """The first business day of each month after the first: the report of the month before."""
        return day.replace(day=1) > self.start and day == self.calendar.roll_forward(day.replace(day=1))[0]

    def _monthly(self, day: date, staff: Staff) -> None:
        month_end = day.replace(day=1) - timedelta(days=1)
        period = {
            "periodo_desde": month_end.replace(day=1).isoformat(),
            "periodo_hasta": month_end.isoformat(),
        }
        started = start_forms.start_from_form(self.ctx, "informe_pqrsd", staff.analyst, period)
        self.own.add(started.id)
        self.result.reports += 1
        self._quality(month_end, staff)
        if not self.followed and month_end >= self.start + (self.end - self.start) / 2:
            self.followed = True  # the follow-up of the months so far, once past the middle of the span
            since = self.start.replace(day=1) if self.start.day == 1 else self.start
            measured = {"periodo_desde": since.isoformat(), "periodo_hasta": month_end.isoformat(),
                        "linea_base": "Resultados del periodo frente a las metas de la vigencia."}  # fmt: skip
            follow = start_forms.start_from_form(self.ctx, "seguimiento_relacionamiento", staff.analyst, {})
            self.own.add(follow.id)
            self._first_task(follow.id, staff, day, measured)

    def _quality(self, month: date, staff: Staff) -> None:
        """The supervisor evaluates the month's sample of answers on the five criteria of calidad y calidez."""
        supervisor = staff.by_group["supervision"][0]
        for item in quality.sample(self.ctx, month, supervisor):
            if not item.sampled or item.review is not None:
                continue
            verdict: dict[str, Any] = {key: True for key in CRITERIA} | {"oportunidad": item.on_time}
            if not chance(self.rng, v.QUALITY_MET):
                verdict[self.rng.choice(("claridad", "coherencia", "calidez"))] = False
                verdict["observaciones"] = "La respuesta no explica los pasos siguientes al ciudadano."
            quality.review(self.ctx, item.radicado, verdict, supervisor)
            self.result.reviews += 1

    def _first_task(self, instance: int, staff: Staff, day: date, data: dict[str, Any]) -> None:
        found, _ = views.tasks(self.ctx, TaskFilter(see_all=True, instance_id=instance))
        for task in found:
            user = self._user_for(task, staff)
            values = {**sample(self._form(task, user), day), **data}
            try:
                tasks.complete_task(self.ctx, task["id"], user, values, confirmed=True)
            except PhvaError as error:
                self.result.problems.append(f"{instance} {task['bpmn_id']}: {_why(error)}")
                return
            self.result.tasks_completed += 1
        for mejora in views.instances(self.ctx, process_key="accion_mejora"):
            if mejora["id"] not in self.own:
                self.own.add(mejora["id"])
                self.result.improvement_actions += 1


def _local_day(value: str | None, tz: ZoneInfo) -> date | None:
    return datetime.fromisoformat(value).astimezone(tz).date() if value else None


def _turn_rows(rng: random.Random, day: date, tz: ZoneInfo) -> list[str]:
    """The counter's turns of a business day as its turn system exports them (CSV rows)."""
    rows, opening = [], datetime.combine(day, time(8), tz)
    for number in range(1, rng.randint(*v.TURNS_PER_DAY) + 1):
        issued = opening + timedelta(minutes=rng.uniform(0, 510))
        wait = rng.uniform(1, 14) if chance(rng, v.TURNS_WITHIN_STANDARD) else rng.uniform(16, 45)
        called = issued + timedelta(minutes=wait)
        if chance(rng, v.TURNS_ABANDONED):
            cells = [_at(issued), "", "", _at(issued + timedelta(minutes=wait * 0.8))]
        else:
            cells = [_at(issued), _at(called), _at(called + timedelta(minutes=rng.uniform(4, 20))), ""]
        rows.append(",".join([f"{day:%m%d}-{number:03d}", "Sede principal", *cells]))
    return rows


def _at(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M")


def _why(error: PhvaError) -> str:
    details = "; ".join(f"{k}: {m}" for k, m in error.details.items())
    return f"{error.message} ({details})" if details else error.message
