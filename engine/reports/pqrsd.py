"""The informe de PQRSD of a period (PQRSD_RULES.md §7, items 1–11) and the process indicators (§6).

One read transaction of SQL aggregates over the case table and its neighbours; response times are counted in
business days of the entity's legal calendar.
"""

from __future__ import annotations

import math
from collections import Counter as Tally
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import Forbidden
from engine.identity.users import UserView
from engine.legal.calendar import BusinessCalendar
from engine.pqrsd import legal_data as legal
from engine.pqrsd.filing import CHANNELS, PETITIONER_TYPES
from engine.reports import pqrsd_measures as measures
from engine.reports import pqrsd_queries as q
from engine.reports.pqrsd_model import Count, Indicator, Period, PqrsdReport, percentage
from engine.store.legal_tables import PqrsdCase
from engine.store.uow import UnitOfWork

__all__ = ["Indicator", "PqrsdReport", "build_report", "indicators", "local_date"]
local_date = legal.local_date_of  # the entity's local day of a moment (periods are local days)
TOP_TOPICS = 10
METHOD = (
    "Fuente: el registro de PQRSD de phva (tabla de casos, sus eventos legales, las encuestas de satisfacción, "
    "la evaluación de calidad y el registro de turnos).",
    "Población: las PQRSD recibidas en el periodo (fecha y hora reales de recibo), sin las anuladas por error "
    "de radicación o duplicidad. El estado de cada una es el del corte.",
    "Tiempo de respuesta: días hábiles del calendario legal de la entidad desde la radicación hasta el envío "
    "de la respuesta (sin descontar suspensiones); p90 por rango más cercano.",
    "Oportunidad: cohorte por vencimiento efectivo (después de prórrogas y suspensiones).",
)


READER_ROLES = ("supervisor", "analista", "admin")


def may_read(user: UserView) -> bool:
    return user.has_role(*READER_ROLES)


def check_reader(user: UserView) -> None:
    if not may_read(user):
        raise Forbidden("El informe de PQRSD es para supervisores, analistas y administradores.")


def report_for(ctx: Context, start: date, end: date, dependencia: str | None, user: UserView) -> PqrsdReport:
    """`build_report` for a person: supervisors, analysts and administrators read it."""
    check_reader(user)
    return build_report(ctx, start, end, dependencia)


def build_report(ctx: Context, start: date, end: date, dependencia: str | None = None) -> PqrsdReport:
    period = Period.checked(start, end)
    previous = period.previous()
    tz = ZoneInfo(ctx.settings.timezone)
    lo, hi = period.bounds(tz)
    scope = q.Scope(lo, hi, (dependencia or "").strip() or None)
    now = ctx.clock.now()
    legal.ensure_legal_data(ctx)
    snapshot = legal.snapshot(ctx, range(previous.start.year - 1, max(end, now.date()).year + 2))
    labels = {row.kind: row.label for row in snapshot.terms}
    with UnitOfWork(ctx.db, write=False) as uow:
        s = uow.session
        received = q.received(s, scope)
        before = q.received(s, q.Scope(*previous.bounds(tz), scope.dependencia))
        quality = measures.quality(s, period, scope.dependencia)
        satisfaction = measures.satisfaction(s, lo, hi, scope.dependencia)
        counter = measures.counter(s, lo, hi, ctx.settings.turno_estandar_min)
        report = PqrsdReport(
            entity=ctx.settings.entity_name,
            period=period,
            previous=previous,
            dependencia=scope.dependencia,
            generated_at=now,
            method=[*METHOD, f"Corte: {now.astimezone(tz).strftime('%Y-%m-%d %H:%M')} (hora de {tz.key})."],
            totals={
                "recibidas": received,
                "periodo_anterior": before,
                "variacion": received - before,
                "variacion_pct": percentage(received - before, before),
                "anuladas": q.annulled(s, scope),
            },
            by_block=_counts(s, scope, labels),
            timeliness=q.timeliness(s, scope, now),
            response_times=_response_times(q.answered(s, scope), snapshot.calendar, tz, labels),
            management=q.management(s, scope),
            traslados=q.traslados(s, scope),
            access_to_information=_access(q.access_requests(s, scope), snapshot.calendar, tz, now, s, scope),
            denuncias=_denuncias(s, scope),
            quality=quality,
            satisfaction=satisfaction,
            counter=counter,
            indicators=measures.indicators_in(
                s,
                period,
                lo,
                hi,
                now,
                dependencia=scope.dependencia,
                standard_minutes=ctx.settings.turno_estandar_min,
                measured=(quality, satisfaction, counter),
            ),
            recommendations=[_local(r, tz) for r in q.suggestions(s, scope)],
            improvement_actions=[_action(a, tz) for a in q.improvement_actions(s, lo, hi)],
        )
    return report


def indicators(ctx: Context, start: date, end: date) -> list[Indicator]:
    """The four indicators of the whole entity for the period, with their vigencia's goals."""
    period = Period.checked(start, end)
    lo, hi = period.bounds(ZoneInfo(ctx.settings.timezone))
    with UnitOfWork(ctx.db, write=False) as uow:
        return measures.indicators_in(
            uow.session, period, lo, hi, ctx.clock.now(), dependencia=None,
            standard_minutes=ctx.settings.turno_estandar_min,
        )  # fmt: skip


# ---- blocks ----------------------------------------------------------------------------------------------
def _counts(s: Session, scope: q.Scope, labels: dict[str, str]) -> dict[str, list[Count]]:
    C = PqrsdCase
    petitioners = [
        Count(
            "anonimo" if anonymous else (kind or "sin_dato"),
            "Anónimo" if anonymous else PETITIONER_TYPES.get(kind or "", "Sin dato"),
            n,
        )
        for kind, anonymous, n in q.grouped(s, scope, C.petitioner_type, C.anonymous)
    ]
    enfoques: Tally[str] = Tally()
    territorios: Tally[str] = Tally()
    for codes, territorio in q.characterizations(s, scope):
        enfoques.update(str(c) for c in codes)
        if territorio and territorio.strip():
            territorios[territorio.strip()] += 1
    return {
        "por_tipologia": [Count(k, labels.get(k, _words(k)), n) for k, n in q.grouped(s, scope, C.kind)],
        "por_canal": [Count(k, CHANNELS.get(k, _words(k)), n) for k, n in q.grouped(s, scope, C.channel)],
        "por_dependencia": [
            Count(k or "sin_asignar", k or "Sin asignar", n) for k, n in q.grouped(s, scope, C.dependencia)
        ],
        "por_tipo_peticionario": _merge(petitioners),
        "por_enfoque_diferencial": [Count(k, _words(k), n) for k, n in _ranked(enfoques)],
        "por_territorio": [Count(k, k, n) for k, n in _ranked(territorios)[:TOP_TOPICS]],
        "temas": [
            Count(k, k[:1].upper() + k[1:], n)
            for k, n in q.grouped(s, scope, q.topic_key(), limit=TOP_TOPICS + 1)
            if k
        ][:TOP_TOPICS],
    }


def _merge(counts: list[Count]) -> list[Count]:
    """One row per key (anonymous petitions of different declared types are all «Anónimo»)."""
    merged: dict[str, Count] = {}
    for c in counts:
        found = merged.get(c.key)
        merged[c.key] = c if found is None else Count(c.key, c.label, found.total + c.total)
    return sorted(merged.values(), key=lambda c: (-c.total, c.key))


def _ranked(tally: Tally[str]) -> list[tuple[str, int]]:
    return sorted(tally.items(), key=lambda item: (-item[1], item[0]))


def _words(code: str) -> str:
    text = code.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def business_days(calendar: BusinessCalendar, radicacion: date, answered_at: str, tz: ZoneInfo) -> int:
    """Business days from the radicación to the local day the answer was sent (0: the same day)."""
    day = datetime.fromisoformat(answered_at).astimezone(tz).date()
    return calendar.business_days_between(radicacion, day) if day > radicacion else 0


def p90(values: list[int]) -> int | None:
    """The 90th percentile by nearest rank (the smallest value with at least 90 % of the values at or below)."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[math.ceil(0.9 * len(ordered)) - 1]


def _times(values: list[int]) -> dict[str, Any]:
    mean = round(sum(values) / len(values), 2) if values else None
    return {"respondidas": len(values), "promedio_dias_habiles": mean, "p90_dias_habiles": p90(values)}


def _response_times(
    rows: list[tuple[str, str, date, str]], calendar: BusinessCalendar, tz: ZoneInfo, labels: dict[str, str]
) -> list[dict[str, Any]]:
    per_kind: dict[str, list[int]] = {}
    for _, kind, radicacion, answered_at in rows:
        per_kind.setdefault(kind, []).append(business_days(calendar, radicacion, answered_at, tz))
    result = [
        {"clave": kind, "nombre": labels.get(kind, _words(kind)), **_times(values)}
        for kind, values in sorted(per_kind.items(), key=lambda item: (-len(item[1]), item[0]))
    ]
    every = [v for values in per_kind.values() for v in values]
    return [*result, {"clave": "total", "nombre": "Todas", **_times(every)}] if every else []


def _access(rows: list[dict[str, Any]], calendar: BusinessCalendar, tz: ZoneInfo, now: datetime, s: Session,
            scope: q.Scope) -> dict[str, Any]:  # fmt: skip
    """Decreto 103 de 2015 art. 52: requests received, transferred, each one's response time, and denied."""
    requests = []
    for r in rows:
        answered = r["answered_at"]
        days = business_days(calendar, r["radicacion_date"], answered, tz) if answered else None
        requests.append({
            "radicado": r["radicado"],
            "recibida": r["received_at"].astimezone(tz).date().isoformat(),
            "estado": r["status"],
            "respondida": datetime.fromisoformat(answered).astimezone(tz).date().isoformat() if answered else None,
            "dias_habiles": days,
            "trasladada_a": r["traslado"],
            "negada": r["sentido"] in ("negada", "negada_parcial"),
        })  # fmt: skip
    times = [r["dias_habiles"] for r in requests if r["dias_habiles"] is not None]
    return {
        "recibidas": len(requests),
        "trasladadas": sum(1 for r in requests if r["estado"] == "trasladada"),
        "negadas": sum(1 for r in requests if r["negada"]),
        "respondidas": len(times),
        **{k: v for k, v in _times(times).items() if k != "respondidas"},
        "solicitudes": requests,
    }


def _denuncias(s: Session, scope: q.Scope) -> dict[str, Any]:
    """Denuncias (corruption included) and where they were sent (disciplinary, fiscal, criminal authorities)."""
    only = scope.only(q.DENUNCIA_KINDS)
    statuses = {str(k): int(n) for k, n in q.grouped(s, only, PqrsdCase.status)}
    sent = q.traslados(s, only)
    return {
        "recibidas": sum(statuses.values()),
        "respondidas": statuses.get("respondida", 0) + statuses.get("cerrada", 0),
        "trasladadas": sum(t["total"] for t in sent),
        "destinos": sent,
    }


def _local(row: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    return {**row, "received_at": row["received_at"].astimezone(tz).isoformat()}


def _action(row: dict[str, Any], tz: ZoneInfo) -> dict[str, Any]:
    data = row["data"]
    return {
        "id": row["id"],
        "clave": row["business_key"],
        "estado": {
            "running": "En curso",
            "completed": "Cerrada",
            "incident": "Con incidente",
            "cancelled": "Cancelada",
        }.get(row["status"], row["status"]),
        "abierta": row["started_at"].astimezone(tz).date().isoformat(),
        "cerrada": row["ended_at"].astimezone(tz).date().isoformat() if row["ended_at"] else None,
        "indicador": data.get("indicador"),
        "valor": data.get("valor", data.get("resultado")),
        "meta": data.get("meta"),
        "origen": data.get("origen") or data.get("descripcion") or data.get("hallazgo"),
        "tareas_abiertas": row["open_tasks"],
    }
