"""The report's measures beyond the case table: quality reviews, satisfaction surveys and the counter's turns,
aggregated in SQL, and the four indicators of PQRSD_RULES.md §6 built from them."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, select
from sqlalchemy.orm import Session

from engine.reports import pqrsd_queries as q
from engine.reports.pqrsd_goals import NAMES, goals_in
from engine.reports.pqrsd_model import Indicator, Period, percentage
from engine.store.legal_tables import PqrsdCase
from engine.store.portal_tables import PqrsdSurvey
from engine.store.report_tables import QualityReview, Turno

CRITERIA = {
    "coherencia": "Coherencia: responde lo que se preguntó",
    "claridad": "Claridad: lenguaje claro y comprensible",
    "calidez": "Calidez: trato respetuoso y amable",
    "oportunidad": "Oportunidad: dentro del término legal",
    "manejo_sistema": "Manejo del sistema: uso correcto de la plataforma",
}
RATING_NAMES = {5: "Muy satisfecho", 4: "Satisfecho", 3: "Ni satisfecho ni insatisfecho", 2: "Insatisfecho",
                1: "Muy insatisfecho"}  # fmt: skip


def _sum(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


# ---- calidad ---------------------------------------------------------------------------------------------
def quality(session: Session, period: Period, dependencia: str | None) -> dict[str, Any]:
    R = QualityReview
    columns = [getattr(R, name) for name in CRITERIA]
    where = [R.answered_on >= period.start, R.answered_on <= period.end]
    query = select(
        func.count(), _sum(and_(*[c.is_(True) for c in columns])), *[_sum(c.is_(True)) for c in columns]
    )
    if dependencia is not None:
        query = query.join(PqrsdCase, PqrsdCase.id == R.case_id)
        where.append(PqrsdCase.dependencia == dependencia)
    evaluated, all_met, *met = (int(v) for v in session.execute(query.where(*where)).one())
    return {
        "evaluadas": evaluated,
        "cumplen_todos": all_met,
        "criterios": [
            {"clave": key, "nombre": label, "cumplen": n, "porcentaje": percentage(n, evaluated)}
            for (key, label), n in zip(CRITERIA.items(), met, strict=True)
        ],
    }


# ---- satisfacción ----------------------------------------------------------------------------------------
def satisfaction(session: Session, lo: datetime, hi: datetime, dependencia: str | None) -> dict[str, Any]:
    S = PqrsdSurvey
    where = [S.answered_at >= lo, S.answered_at < hi, S.rating.between(1, 5)]
    query = select(S.rating, S.source, func.count()).group_by(S.rating, S.source)
    if dependencia is not None:
        query = query.join(PqrsdCase, PqrsdCase.id == S.case_id)
        where.append(PqrsdCase.dependencia == dependencia)
    rows = session.execute(query.where(*where)).all()
    by_rating = {r: 0 for r in RATING_NAMES}
    by_source: dict[str, int] = {}
    for rating, source, n in rows:
        by_rating[int(rating)] += int(n)
        by_source[source] = by_source.get(source, 0) + int(n)
    valid = sum(by_rating.values())
    satisfied = by_rating[4] + by_rating[5]
    mean = round(sum(r * n for r, n in by_rating.items()) / valid, 2) if valid else None
    return {
        "encuestas_validas": valid,
        "satisfechos": satisfied,
        "promedio": mean,
        "por_calificacion": [
            {"calificacion": r, "nombre": RATING_NAMES[r], "total": by_rating[r]}
            for r in sorted(RATING_NAMES, reverse=True)
        ],
        "por_origen": [{"origen": s, "total": n} for s, n in sorted(by_source.items())],
    }


# ---- canal presencial ------------------------------------------------------------------------------------
def counter(session: Session, lo: datetime, hi: datetime, standard_minutes: int) -> dict[str, Any]:
    """Turns issued in [lo, hi): attended within the standard wait, abandoned, mean wait and attention."""
    T = Turno
    wait = q.seconds_between(session, T.called_at, T.issued_at)
    attention = q.seconds_between(session, T.ended_at, T.called_at)
    called = and_(T.called_at.is_not(None), T.abandoned_at.is_(None))
    row = session.execute(
        select(
            func.count(),
            _sum(called),
            _sum(T.abandoned_at.is_not(None)),
            _sum(and_(called, wait <= standard_minutes * 60)),
            func.avg(case((called, wait))),
            func.avg(case((and_(called, T.ended_at.is_not(None)), attention))),
        ).where(T.issued_at >= lo, T.issued_at < hi)
    ).one()
    issued, attended, abandoned, within = (int(v) for v in row[:4])

    def minutes(seconds: Any) -> float | None:
        return None if seconds is None else round(float(seconds) / 60, 1)

    return {
        "estandar_minutos": standard_minutes,
        "emitidos": issued,
        "atendidos": attended,
        "abandonados": abandoned,
        "dentro_del_estandar": within,
        "espera_promedio_min": minutes(row[4]),
        "atencion_promedio_min": minutes(row[5]),
        "tasa_abandono": percentage(abandoned, issued),
    }


# ---- the four indicators ---------------------------------------------------------------------------------
def indicators_in(
    session: Session,
    period: Period,
    lo: datetime,
    hi: datetime,
    now: datetime,
    *,
    dependencia: str | None,
    standard_minutes: int,
    measured: tuple[dict[str, Any], dict[str, Any], dict[str, Any]] | None = None,
) -> list[Indicator]:
    """Oportunidad, calidad, satisfacción and canal presencial for the period, each with the vigencia's goal."""
    goals = goals_in(session, period.vigencia)
    quality_block, satisfaction_block, counter_block = measured or (
        quality(session, period, dependencia),
        satisfaction(session, lo, hi, dependencia),
        counter(session, lo, hi, standard_minutes),
    )
    on_time, cohort = q.oportunidad_cohort(session, lo, hi, now, dependencia)

    def indicator(key: str, formula: str, num: int, den: int, num_label: str, den_label: str,
                  **details: Any) -> Indicator:  # fmt: skip
        return Indicator(key, NAMES[key], formula, num, den, percentage(num, den), goals[key].meta,
                         num_label, den_label, period.vigencia, details)  # fmt: skip

    return [
        indicator(
            "oportunidad",
            "100 × PQRSD respondidas a más tardar en su vencimiento efectivo / PQRSD cuyo vencimiento efectivo "
            "cae en el periodo (sin traslados, desistidas, archivadas, anuladas ni felicitaciones; "
            "sin las abiertas que aún están en término)",
            on_time, cohort, "Respondidas a tiempo", "PQRSD con vencimiento en el periodo",
        ),
        indicator(
            "calidad",
            "100 × respuestas evaluadas que cumplen los cinco criterios (coherencia, claridad, calidez, "
            "oportunidad, manejo del sistema) / respuestas evaluadas de la muestra",
            quality_block["cumplen_todos"], quality_block["evaluadas"],
            "Cumplen los cinco criterios", "Respuestas evaluadas",
        ),
        indicator(
            "satisfaccion",
            "100 × encuestas con calificación 4 o 5 (satisfecho, muy satisfecho) / encuestas válidas",
            satisfaction_block["satisfechos"], satisfaction_block["encuestas_validas"],
            "Encuestas 4–5", "Encuestas válidas", promedio=satisfaction_block["promedio"],
        ),
        indicator(
            "canal_presencial",
            f"100 × turnos atendidos con espera ≤ {standard_minutes} min / turnos emitidos (incluidos los "
            "abandonados)",
            counter_block["dentro_del_estandar"], counter_block["emitidos"],
            f"Atendidos en ≤ {standard_minutes} min", "Turnos emitidos",
            espera_promedio_min=counter_block["espera_promedio_min"],
            tasa_abandono=counter_block["tasa_abandono"],
        ),
    ]  # fmt: skip


def review_day(answered_at: str, tz: Any) -> date:
    return datetime.fromisoformat(answered_at).astimezone(tz).date()
