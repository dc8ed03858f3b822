"""SELECTs of the PQRSD report over the case table and its neighbours: counts grouped in SQL, never a
workflow deserialized. Every function reads the cases received in [lo, hi) (UTC), anuladas left out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, and_, case, func, or_, select
from sqlalchemy.orm import Session

from engine.store.legal_tables import PqrsdCase
from engine.store.portal_tables import PqrsdCharacterization
from engine.store.tables import AuditEvent, ProcessInstance, Task

C = PqrsdCase
ENDED_WITHOUT_ANSWER = (
    "trasladada",
    "desistida_tacita",
    "desistida_expresa",
    "archivada_art19",
    "rechazada_irrespetuosa",
)
# Left out of the oportunidad cohort (PQRSD_RULES §6): they owe no answer of their own, or have their own KPI.
NOT_IN_COHORT = ("trasladada", "desistida_tacita", "desistida_expresa", "archivada_art19", "anulada")
NO_TERM_KINDS = ("felicitacion",)
AIP_KINDS = ("informacion_documentos",)  # acceso a la información pública (Ley 1712, Decreto 103 art. 52)
DENUNCIA_KINDS = ("denuncia",)
IMPROVEMENT_PROCESS = "accion_mejora"

ANSWERED_AT = C.respuesta["enviada_at"].as_string()
ON_TIME = C.respuesta["oportuna"].as_boolean()
TRASLADO_TO = C.traslado["entidad_destino"].as_string()
TRASLADO_ON_TIME = C.traslado["dentro_de_termino"].as_boolean()


@dataclass(frozen=True)
class Scope:
    lo: datetime
    hi: datetime
    dependencia: str | None = None
    kinds: tuple[str, ...] | None = None  # only these types of PQRSD

    def where(self) -> ColumnElement[bool]:
        conditions = [C.received_at >= self.lo, C.received_at < self.hi, C.status != "anulada"]
        if self.dependencia is not None:
            conditions.append(C.dependencia == self.dependencia)
        if self.kinds is not None:
            conditions.append(C.kind.in_(self.kinds))
        return and_(*conditions)

    def only(self, kinds: tuple[str, ...]) -> Scope:
        return Scope(self.lo, self.hi, self.dependencia, kinds)


def received(session: Session, scope: Scope) -> int:
    return int(session.scalar(select(func.count()).select_from(C).where(scope.where())) or 0)


def annulled(session: Session, scope: Scope) -> int:
    where = [C.received_at >= scope.lo, C.received_at < scope.hi, C.status == "anulada"]
    if scope.dependencia is not None:
        where.append(C.dependencia == scope.dependencia)
    return int(session.scalar(select(func.count()).select_from(C).where(*where)) or 0)


def grouped(
    session: Session,
    scope: Scope,
    *columns: Any,
    limit: int | None = None,
) -> list[tuple[Any, ...]]:
    """(*values, count) per distinct value of `columns`, most frequent first."""
    total = func.count().label("total")
    query: Select[Any] = (
        select(*columns, total).where(scope.where()).group_by(*columns).order_by(total.desc(), *columns)
    )
    if limit is not None:
        query = query.limit(limit)
    return [tuple(row) for row in session.execute(query).all()]


def topic_key() -> ColumnElement[str]:
    """The asunto, trimmed and lower-cased: the same topic written twice is one."""
    return func.lower(func.trim(func.coalesce(C.subject, "")))


def timeliness(session: Session, scope: Scope, now: datetime) -> dict[str, int]:
    """Answered on time / late, ended without an answer, open suspended / within term / overdue, at `now`."""
    bucket = case(
        (and_(ANSWERED_AT.is_not(None), ON_TIME.is_(True)), "respondidas_a_tiempo"),
        (ANSWERED_AT.is_not(None), "respondidas_tarde"),
        (C.status.in_(ENDED_WITHOUT_ANSWER), "terminadas_sin_respuesta"),
        (C.due_at.is_(None), "abiertas_suspendidas"),
        (C.due_at < now, "abiertas_vencidas"),
        else_="abiertas_en_termino",
    ).label("bucket")
    counts: dict[str, int] = dict(
        (str(k), int(n))
        for k, n in session.execute(select(bucket, func.count()).where(scope.where()).group_by(bucket))
    )
    keys = (
        "respondidas_a_tiempo",
        "respondidas_tarde",
        "abiertas_en_termino",
        "abiertas_vencidas",
        "abiertas_suspendidas",
        "terminadas_sin_respuesta",
    )
    return {key: int(counts.get(key, 0)) for key in keys}


def management(session: Session, scope: Scope) -> dict[str, int]:
    """Prórrogas, requerimientos (art. 17), desistimientos, archivos (art. 19) and traslados (art. 21)."""

    def total(condition: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    row = session.execute(
        select(
            total(C.prorroga["notificada_at"].as_string().is_not(None)),
            total(func.json_array_length(C.suspensions) > 0),
            func.coalesce(func.sum(func.json_array_length(C.suspensions)), 0),
            total(C.status == "desistida_tacita"),
            total(C.status == "desistida_expresa"),
            total(C.status == "archivada_art19"),
            total(C.status == "trasladada"),
            total(and_(C.status == "trasladada", TRASLADO_ON_TIME.is_(True))),
        ).where(scope.where())
    ).one()
    keys = (
        "prorrogas",
        "casos_con_requerimiento",
        "requerimientos",
        "desistimientos_tacitos",
        "desistimientos_expresos",
        "archivos",
        "traslados",
        "traslados_a_tiempo",
    )
    return {key: int(value) for key, value in zip(keys, row, strict=True)}


def traslados(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Per destination entity: how many were transferred and how many within the 5 days of art. 21."""
    on_time = func.coalesce(func.sum(case((TRASLADO_ON_TIME.is_(True), 1), else_=0)), 0)
    total = func.count().label("total")
    rows = session.execute(
        select(TRASLADO_TO, total, on_time)
        .where(scope.where(), C.status == "trasladada")
        .group_by(TRASLADO_TO)
        .order_by(total.desc(), TRASLADO_TO)
    ).all()
    return [
        {"entidad": entity or "(sin entidad)", "total": int(n), "a_tiempo": int(ok)} for entity, n, ok in rows
    ]


def answered(session: Session, scope: Scope) -> list[tuple[str, str, date, str]]:
    """(radicado, kind, radicación date, answer sent at ISO) of the answered cases."""
    rows = session.execute(
        select(C.radicado, C.kind, C.radicacion_date, ANSWERED_AT)
        .where(scope.where(), ANSWERED_AT.is_not(None))
        .order_by(C.id)
    ).all()
    return [(r, k, d, str(a)) for r, k, d, a in rows]


def access_requests(session: Session, scope: Scope) -> list[dict[str, Any]]:
    """Each access-to-information request (Decreto 103 art. 52 lit. c: its response time)."""
    rows = session.execute(
        select(
            C.radicado,
            C.received_at,
            C.radicacion_date,
            C.status,
            ANSWERED_AT,
            C.respuesta["sentido"].as_string(),
            TRASLADO_TO,
        )
        .where(scope.only(AIP_KINDS).where())
        .order_by(C.received_at, C.id)
    ).all()
    return [
        {
            "radicado": r,
            "received_at": rec,
            "radicacion_date": rad,
            "status": st,
            "answered_at": ans,
            "sentido": sentido,
            "traslado": to,
        }
        for r, rec, rad, st, ans, sentido, to in rows
    ]


def oportunidad_cohort(
    session: Session, lo: datetime, hi: datetime, now: datetime, dependencia: str | None
) -> tuple[int, int]:
    """(answered on time, cohort): cases whose effective due date falls in [lo, hi) and can be judged at `now`
    — answered, or due already — minus traslados, desistidas, archivadas, anuladas and felicitaciones."""
    where = [
        C.due_at >= lo,
        C.due_at < hi,
        C.status.not_in(NOT_IN_COHORT),
        C.kind.not_in(NO_TERM_KINDS),
        or_(ANSWERED_AT.is_not(None), C.due_at < now),
    ]
    if dependencia is not None:
        where.append(C.dependencia == dependencia)
    on_time = func.coalesce(
        func.sum(case((and_(ANSWERED_AT.is_not(None), ON_TIME.is_(True)), 1), else_=0)), 0
    )
    numerator, denominator = session.execute(select(on_time, func.count()).where(*where)).one()
    return int(numerator), int(denominator)


def suggestions(session: Session, scope: Scope) -> list[dict[str, Any]]:
    rows = session.execute(
        select(C.radicado, C.received_at, C.subject, C.description, C.status)
        .where(scope.where(), C.kind == "sugerencia")
        .order_by(C.received_at, C.id)
    ).all()
    return [
        {"radicado": r, "received_at": at, "asunto": s, "descripcion": d, "estado": st}
        for r, at, s, d, st in rows
    ]


def improvement_actions(session: Session, lo: datetime, hi: datetime) -> list[dict[str, Any]]:
    """Instances of `accion_mejora` opened in the period, and earlier ones still open (their follow-up),
    with the data they started with and their open tasks: three queries."""
    P = ProcessInstance
    instances = session.execute(
        select(P.id, P.business_key, P.status, P.started_at, P.ended_at, P.started_by)
        .where(
            P.process_key == IMPROVEMENT_PROCESS,
            P.started_at < hi,
            or_(P.started_at >= lo, P.status.in_(("running", "incident"))),
        )
        .order_by(P.started_at, P.id)
    ).all()
    ids = [row[0] for row in instances]
    if not ids:
        return []
    started: dict[int, dict[str, Any] | None] = {
        int(i): data
        for i, data in session.execute(
            select(AuditEvent.instance_id, AuditEvent.data_after).where(
                AuditEvent.instance_id.in_(ids), AuditEvent.action == "instance_started"
            )
        )
    }
    open_tasks: dict[int, list[str]] = {}
    for instance_id, name in session.execute(
        select(Task.instance_id, Task.name)
        .where(Task.instance_id.in_(ids), Task.state == "ready")
        .order_by(Task.id)
    ):
        open_tasks.setdefault(instance_id, []).append(name)
    return [
        {
            "id": i,
            "business_key": key,
            "status": status,
            "started_at": at,
            "ended_at": ended,
            "started_by": by,
            "data": started.get(i) or {},
            "open_tasks": open_tasks.get(i, []),
        }
        for i, key, status, at, ended, by in instances
    ]


def seconds_between(session: Session, later: Any, earlier: Any) -> ColumnElement[float]:
    """`later - earlier` in seconds, in the dialect's own date arithmetic."""
    if session.get_bind().dialect.name == "postgresql":
        return cast(ColumnElement[float], func.extract("epoch", later - earlier))
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def characterizations(session: Session, scope: Scope) -> list[tuple[list[Any], str | None]]:
    """(enfoque diferencial codes, territorio) of the cases whose petitioner agreed to characterize themselves."""
    K = PqrsdCharacterization
    rows = session.execute(
        select(K.enfoque_diferencial, K.territorio).join(C, C.id == K.case_id).where(scope.where())
    ).all()
    return [(list(enfoques or []), territorio) for enfoques, territorio in rows]
