"""A month of PQRSD with known dates and outcomes (March 2026, plus February cases due in March), filed and
handled through the real services with the clock moved to each event; and the expected figures computed here
by hand, independently of the report's code (its own business-day count, its own due dates)."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.clock import FrozenClock
from engine.context import Context
from engine.identity import users
from engine.pqrsd import case_actions, radicacion, surveys
from engine.reports import pqrsd_goals, pqrsd_quality, pqrsd_turnos
from engine.store import cases as case_store
from engine.store.uow import UnitOfWork

TZ = ZoneInfo("America/Bogota")
HOLIDAYS = {date(2026, 1, 1), date(2026, 1, 12), date(2026, 3, 23), date(2026, 4, 2), date(2026, 4, 3),
            date(2026, 5, 1)}  # fmt: skip
TERMS = {"peticion_general": 15, "queja": 15, "reclamo": 15, "sugerencia": 15, "denuncia": 15,
         "felicitacion": 15, "informacion_documentos": 10, "consulta": 30}  # fmt: skip
CUTOFF = datetime(2026, 4, 20, 10, 0, tzinfo=TZ)  # Monday: the report is generated then
CLERK, BOSS, ADMIN = "r.atencion", "r.supervisora", "r.admin"
STANDARD = 15


def business(day: date) -> bool:
    return day.weekday() < 5 and day not in HOLIDAYS


def add_bd(start: date, n: int) -> date:
    day = start
    while n:
        day += timedelta(days=1)
        n -= business(day)
    return day


def bd_between(start: date, end: date) -> int:
    return sum(business(start + timedelta(days=i)) for i in range(1, (end - start).days + 1))


def at(text: str) -> datetime:
    """'MM-DD HH:MM' (2026, Bogotá) or 'MM-DD' at 09:00."""
    day, _, clock = text.partition(" ")
    month, dom = (int(x) for x in day.split("-"))
    hour, minute = (int(x) for x in (clock or "09:00").split(":"))
    return datetime(2026, month, dom, hour, minute, tzinfo=TZ)


def es(moment: datetime) -> str:
    return moment.strftime("%d/%m/%Y %H:%M")


@dataclass
class Spec:
    n: str
    kind: str
    channel: str
    received: str
    subject: str
    ptype: str | None = "natural"
    anonymous: bool = False
    answer: str | None = None  # when the answer was sent
    traslado: tuple[str, str] | None = None  # (when, to whom)
    requerimiento: tuple[str, str | None] | None = None  # (asked, completed or None)
    prorroga: tuple[str, str] | None = None  # (notice, new due MM-DD)
    desiste: tuple[str, bool] | None = None  # (when, tácito)
    archivo: str | None = None
    anulada: str | None = None
    radicado: str = field(default="", init=False)

    @property
    def received_at(self) -> datetime:
        return at(self.received)

    @property
    def answered(self) -> date | None:
        return at(self.answer).date() if self.answer else None

    def due(self) -> date:
        """The effective due date, by hand: term from the radicación, resumed after a requerimiento, prorrogado."""
        n, start = TERMS[self.kind], self.received_at.date()
        if self.prorroga:
            return at(self.prorroga[1]).date()
        if self.requerimiento and self.requerimiento[1]:
            used = bd_between(start, at(self.requerimiento[0]).date())
            return add_bd(at(self.requerimiento[1]).date(), n - used)
        return add_bd(start, n)

    @property
    def status(self) -> str:
        if self.anulada:
            return "anulada"
        if self.answer:
            return "respondida"
        if self.traslado:
            return "trasladada"
        if self.desiste:
            return "desistida_tacita" if self.desiste[1] else "desistida_expresa"
        if self.archivo:
            return "archivada_art19"
        if self.requerimiento and not self.requerimiento[1]:
            return "en_requerimiento"
        return "abierta"


FEBRUARY = [
    Spec("F1", "peticion_general", "formulario_web", "02-16", "Alumbrado público", answer="03-05 10:00"),
    Spec("F2", "queja", "correo_electronico", "02-18", "Atención en ventanilla", answer="03-13 10:00"),
    Spec("F3", "informacion_documentos", "formulario_web", "02-24", "Copia del contrato de obra"),
    Spec("F4", "reclamo", "presencial_ventanilla", "02-25", "Cobro del impuesto predial",
         traslado=("02-27 11:00", "Secretaría de Hacienda Departamental")),
    Spec("F5", "peticion_general", "formulario_web", "02-26", "Poda de árboles", answer="03-19 16:00"),
    Spec("F6", "consulta", "correo_electronico", "02-10", "Concepto sobre uso del suelo", answer="03-30 10:00"),
]  # fmt: skip
MARCH = [
    Spec("1", "peticion_general", "formulario_web", "03-02", "Alumbrado público", answer="03-10 10:00"),
    Spec("2", "peticion_general", "formulario_web", "03-02", "alumbrado público ", answer="03-25 10:00"),
    Spec("3", "peticion_general", "correo_electronico", "03-03", "Subsidio de vivienda", ptype="juridica",
         answer="03-20 10:00"),
    Spec("4", "peticion_general", "presencial_ventanilla", "03-03", "Estado de una licencia"),
    Spec("5", "peticion_general", "verbal_presencial", "03-04", "Horario de la biblioteca", answer="03-04 15:00"),
    Spec("6", "peticion_general", "telefonico", "03-05", "Reparación de vía", prorroga=("03-20 10:00", "04-10"),
         answer="04-08 10:00"),
    Spec("7", "peticion_general", "formulario_web", "03-06", "Certificado de residencia",
         prorroga=("03-25 10:00", "04-14")),
    Spec("8", "peticion_general", "formulario_web", "03-09", "Beca para estudiantes",
         requerimiento=("03-11 10:00", "03-18 10:00"), answer="04-06 10:00"),
    Spec("9", "peticion_general", "formulario_web", "03-10", "Permiso de evento",
         requerimiento=("03-12 10:00", None), desiste=("04-15 10:00", True)),
    Spec("10", "peticion_general", "correo_electronico", "03-11", "Cambio de estrato", ptype=None,
         desiste=("03-13 10:00", False)),
    Spec("11", "peticion_general", "formulario_web", "03-16", "Ruido de un establecimiento"),
    Spec("12", "peticion_general", "formulario_web", "03-30", "Paradero de buses"),
    Spec("13", "queja", "formulario_web", "03-02", "Alumbrado público", ptype="veeduria", answer="03-12 10:00"),
    Spec("14", "queja", "correo_electronico", "03-04", "Trato de un funcionario", answer="03-27 10:00"),
    Spec("15", "queja", "presencial_ventanilla", "03-05", "Servicio de acueducto",
         traslado=("03-09 10:00", "Personería de Bogotá")),
    Spec("16", "queja", "buzon", "03-17", "Demora en la atención", answer="04-01 10:00"),
    Spec("17", "queja", "formulario_web", "03-18", "Sin asunto claro", archivo="03-31 10:00"),
    Spec("18", "reclamo", "formulario_web", "03-03", "Cobro de valorización", ptype="juridica",
         answer="03-17 10:00"),
    Spec("19", "reclamo", "correo_electronico", "03-09", "Devolución de un pago", answer="03-31 10:00"),
    Spec("20", "reclamo", "presencial_ventanilla", "03-12", "Factura de energía",
         traslado=("03-24 10:00", "Superintendencia de Servicios Públicos")),
    Spec("21", "reclamo", "formulario_web", "03-19", "Alumbrado público"),
    Spec("22", "sugerencia", "buzon", "03-04", "Ampliar horario de atención", answer="03-18 10:00"),
    Spec("23", "sugerencia", "formulario_web", "03-11", "Señalización para personas con discapacidad"),
    Spec("24", "sugerencia", "buzon", "03-25", "ampliar horario de atención", answer="04-10 10:00"),
    Spec("25", "denuncia", "formulario_web", "03-03", "Presunto cobro indebido", ptype=None, anonymous=True,
         traslado=("03-06 10:00", "Procuraduría Provincial")),
    Spec("26", "denuncia", "correo_electronico", "03-10", "Uso indebido de vehículo oficial", ptype="juridica",
         traslado=("03-13 10:00", "Fiscalía General de la Nación")),
    Spec("27", "denuncia", "formulario_web", "03-20", "Contratación irregular", ptype=None, anonymous=True,
         answer="04-07 10:00"),
    Spec("28", "felicitacion", "formulario_web", "03-06", "Felicitación al funcionario", answer="03-09 10:00"),
    Spec("29", "felicitacion", "presencial_ventanilla", "03-26", "Buena atención en la sede"),
    Spec("30", "informacion_documentos", "formulario_web", "03-02", "Presupuesto de la vigencia",
         answer="03-09 10:00"),
    Spec("31", "informacion_documentos", "correo_electronico", "03-03", "Actas del concejo", answer="03-18 10:00"),
    Spec("32", "informacion_documentos", "formulario_web", "03-05", "Matrículas escolares",
         traslado=("03-10 10:00", "Ministerio de Educación")),
    Spec("33", "informacion_documentos", "formulario_web", "03-13", "Planta de personal"),
    Spec("34", "informacion_documentos", "formulario_web", "03-24", "Contratos de la vigencia",
         answer="04-06 10:00"),
    Spec("35", "consulta", "correo_electronico", "03-02", "Concepto sobre una norma", answer="04-14 10:00"),
    Spec("36", "consulta", "formulario_web", "03-12", "Alcance de un acuerdo"),
    Spec("37", "peticion_general", "formulario_web", "03-20", "Radicada dos veces", anulada="03-20 11:00"),
]  # fmt: skip
SURVEYS = {"1": ("03-11 09:00", 5), "3": ("03-21 09:00", 4), "5": ("03-05 09:00", 3), "13": ("03-13 09:00", 2),
           "18": ("03-18 09:00", 5), "30": ("03-10 09:00", 4), "6": ("04-09 09:00", 5)}  # fmt: skip
CRITERIA = ("coherencia", "claridad", "calidez", "oportunidad", "manejo_sistema")
REVIEWS = {
    "1": (),
    "2": ("oportunidad",),
    "3": (),
    "13": (),
    "30": ("claridad",),
    "F1": (),
}  # failed criteria
# Turns at the counter, March 10: (issued, wait in minutes or None, attention minutes, abandoned)
TURNS = [("08:00", 5, 10, False), ("08:05", 15, 8, False), ("08:10", 16, 12, False), ("08:20", 30, 5, False),
         ("08:30", None, None, True), ("09:00", 2, 20, False), ("09:10", 14, None, True),
         ("09:30", None, None, False)]  # fmt: skip
APRIL_TURN = ("04-06 08:00", 1)
GOALS = {"oportunidad": 90.0}  # set for 2026; the others keep their defaults


@dataclass
class Month:
    specs: list[Spec]

    def by(self, n: str) -> Spec:
        return next(s for s in self.specs if s.n == n)

    @property
    def march(self) -> list[Spec]:
        return [s for s in self.specs if not s.n.startswith("F") and not s.anulada]

    @property
    def february(self) -> list[Spec]:
        return [s for s in self.specs if s.n.startswith("F")]


def file_month(ctx: Context, clock: FrozenClock) -> Month:
    users.add_user(ctx, CLERK, roles="funcionario")
    users.add_user(ctx, BOSS, roles="supervisor")
    users.add_user(ctx, ADMIN, roles="admin")
    specs = [*FEBRUARY, *MARCH]
    events: list[tuple[datetime, int, Callable[[], Any]]] = []

    def event(moment: datetime, run: Callable[[], Any]) -> None:
        events.append((moment, len(events), run))

    def act(spec: Spec, action: str, raw: dict[str, Any]) -> Callable[[], Any]:
        return lambda: case_actions.act(ctx, spec.radicado, action, raw, CLERK)

    for spec in specs:
        event(spec.received_at, lambda spec=spec: _file(ctx, spec))
        if spec.requerimiento:
            asked, completed = spec.requerimiento
            event(
                at(asked),
                act(spec, "requerimiento", {"faltantes": "Copia del documento", "fecha": es(at(asked))}),
            )
            if completed:
                event(at(completed), act(spec, "reanudar", {"fecha": es(at(completed))}))
        if spec.prorroga:
            notice, new_due = spec.prorroga
            event(at(notice), act(spec, "prorrogar", {"motivo": "Requiere visita técnica", "fecha_aviso": es(at(notice)),
                                                      "nueva_fecha": at(new_due).date().isoformat()}))  # fmt: skip
        if spec.answer:
            event(
                at(spec.answer),
                act(spec, "responder", {"medio": "correo electrónico", "fecha": es(at(spec.answer))}),
            )
        if spec.traslado:
            when, entity = spec.traslado
            event(at(when), act(spec, "trasladar", {"entidad": entity, "fecha": es(at(when))}))
        if spec.desiste:
            when, tacito = spec.desiste
            event(at(when), act(spec, "desistir", {"tacito": tacito, "fecha": es(at(when))}))
        if spec.archivo:
            event(
                at(spec.archivo),
                act(spec, "archivar", {"motivo": "No aclaró la petición", "fecha": es(at(spec.archivo))}),
            )
        if spec.anulada:
            event(
                at(spec.anulada),
                lambda spec=spec: case_actions.anular(ctx, spec.radicado, "Duplicada", ADMIN),
            )
    for n, (when, rating) in SURVEYS.items():
        event(at(when), lambda n=n, rating=rating: _survey(ctx, next(s for s in specs if s.n == n), rating))
    for n, failed in REVIEWS.items():
        verdict = {c: c not in failed for c in CRITERIA}
        spec = next(s for s in specs if s.n == n)
        event(
            at("04-01 08:00"),
            lambda spec=spec, verdict=verdict: pqrsd_quality.review(ctx, spec.radicado, verdict, BOSS),
        )
    for turn in TURNS:
        event(at(f"03-10 {turn[0]}"), lambda: pqrsd_turnos.issue(ctx, "Sede centro", CLERK))
    event(at(APRIL_TURN[0]), lambda: pqrsd_turnos.issue(ctx, "Sede centro", CLERK))
    for key, meta in GOALS.items():
        event(at("03-01 08:00"), lambda key=key, meta=meta: pqrsd_goals.set_goal(ctx, key, 2026, meta, ADMIN))
    for moment, _, run in sorted(events, key=lambda e: (e[0], e[1])):
        clock.set(moment)
        run()
    _turn_actions(ctx, clock)
    clock.set(CUTOFF)
    return Month(specs)


def _file(ctx: Context, spec: Spec) -> None:
    filing = {"tipo": spec.kind, "canal": spec.channel, "fecha_recibo": es(spec.received_at), "asunto": spec.subject,
              "descripcion": f"Caso {spec.n} del mes de prueba."}  # fmt: skip
    if spec.anonymous:
        filing["anonimo"] = "true"
    else:
        filing["nombre"] = f"Peticionario {spec.n}"
    if spec.ptype:
        filing["tipo_peticionario"] = spec.ptype
    spec.radicado = radicacion.file_pqrsd(ctx, filing, actor=CLERK)["radicado"]


def _survey(ctx: Context, spec: Spec, rating: int) -> None:
    with UnitOfWork(ctx.db) as uow:
        case = case_store.case_by_radicado(uow.session, spec.radicado)
        assert case is not None
        surveys.record_survey(ctx, uow.session, case, source="portal", rating=rating, answers={}, actor=None)
        uow.commit()


def _turn_actions(ctx: Context, clock: FrozenClock) -> None:
    """Call, end and abandon the March 10 turns at their minutes (turn ids follow issue order)."""
    steps: list[tuple[datetime, int, str]] = []
    for index, (issued, wait, attention, abandoned) in enumerate(TURNS, start=1):
        start = at(f"03-10 {issued}")
        if wait is not None:
            called = start + timedelta(minutes=wait)
            steps.append((called, index, "llamar"))
            if attention is not None:
                steps.append((called + timedelta(minutes=attention), index, "finalizar"))
            if abandoned:
                steps.append((called + timedelta(minutes=1), index, "abandonar"))
        elif abandoned:
            steps.append((start + timedelta(minutes=20), index, "abandonar"))
    for moment, turno_id, action in sorted(steps):
        clock.set(moment)
        pqrsd_turnos.act(ctx, turno_id, action, CLERK)


# ---- the figures, by hand --------------------------------------------------------------------------------
def expected(month: Month) -> dict[str, Any]:
    march, cutoff = month.march, CUTOFF.date()
    answered = [s for s in march if s.answer]
    times: dict[str, list[int]] = {}
    for s in answered:
        assert s.answered is not None
        times.setdefault(s.kind, []).append(bd_between(s.received_at.date(), s.answered))

    def p90(values: list[int]) -> int:
        return sorted(values)[math.ceil(0.9 * len(values)) - 1]

    def on_time(s: Spec) -> bool:
        return s.answered is not None and s.answered <= s.due()

    open_cases = [s for s in march if s.status in ("abierta",)]
    cohort = [
        s for s in month.specs
        if date(2026, 3, 1) <= s.due() <= date(2026, 3, 31)
        and s.status not in ("trasladada", "desistida_tacita", "desistida_expresa", "archivada_art19", "anulada",
                             "en_requerimiento")
        and s.kind != "felicitacion" and (s.answer or s.due() < cutoff)
    ]  # fmt: skip
    traslados = [s for s in march if s.traslado]
    rated = [r for n, (when, r) in SURVEYS.items() if at(when).month == 3]
    turns_within = sum(1 for _, w, _, ab in TURNS if w is not None and not ab and w <= STANDARD)
    reviewed_all = sum(1 for failed in REVIEWS.values() if not failed)
    return {
        "recibidas": len(march),
        "anterior": len(month.february),
        "por_tipologia": Counter(s.kind for s in march),
        "por_canal": Counter(s.channel for s in march),
        "por_tipo_peticionario": Counter(
            "anonimo" if s.anonymous else (s.ptype or "sin_dato") for s in march
        ),
        "temas": Counter(s.subject.strip().lower() for s in march),
        "respondidas_a_tiempo": sum(1 for s in answered if on_time(s)),
        "respondidas_tarde": sum(1 for s in answered if not on_time(s)),
        "abiertas_en_termino": sum(1 for s in open_cases if s.due() >= cutoff),
        "abiertas_vencidas": sum(1 for s in open_cases if s.due() < cutoff),
        "abiertas_suspendidas": sum(1 for s in march if s.status == "en_requerimiento"),
        "terminadas_sin_respuesta": sum(
            1
            for s in march
            if s.status in ("trasladada", "desistida_tacita", "desistida_expresa", "archivada_art19")
        ),
        "tiempos": {k: (len(v), round(sum(v) / len(v), 2), p90(v)) for k, v in times.items()},
        "tiempos_todas": (
            sum(len(v) for v in times.values()),
            round(sum(sum(v) for v in times.values()) / sum(len(v) for v in times.values()), 2),
            p90([x for v in times.values() for x in v]),
        ),
        "prorrogas": sum(1 for s in march if s.prorroga),
        "requerimientos": sum(1 for s in march if s.requerimiento),
        "desistimientos_tacitos": sum(1 for s in march if s.desiste and s.desiste[1]),
        "desistimientos_expresos": sum(1 for s in march if s.desiste and not s.desiste[1]),
        "archivos": sum(1 for s in march if s.archivo),
        "traslados": len(traslados),
        "traslados_a_tiempo": sum(
            1 for s in traslados if s.traslado and at(s.traslado[0]).date() <= add_bd(s.received_at.date(), 5)
        ),
        "traslados_por_entidad": Counter(s.traslado[1] for s in traslados if s.traslado),
        "aip": [s for s in march if s.kind == "informacion_documentos"],
        "denuncias": [s for s in march if s.kind == "denuncia"],
        "oportunidad": (sum(1 for s in cohort if on_time(s)), len(cohort)),
        "calidad": (reviewed_all, len(REVIEWS)),
        "satisfaccion": (sum(1 for r in rated if r >= 4), len(rated), round(sum(rated) / len(rated), 2)),
        "canal_presencial": (turns_within, len(TURNS)),
        "sugerencias": [s for s in march if s.kind == "sugerencia"],
    }


def pct(numerator: int, denominator: int) -> float:
    return round(100 * numerator / denominator, 2)


def utc(moment: datetime) -> datetime:
    return moment.astimezone(UTC)
