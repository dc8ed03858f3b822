"""The indicators' goals (metas) per vigencia, editable by administrators; a vigencia without its own goal keeps
the latest earlier one, and with none at all the default of the process documents."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.context import Context
from engine.errors import BadInput, Forbidden
from engine.identity.users import UserView, acting_user
from engine.reports.pqrsd_model import INDICATOR_KEYS
from engine.store.audit import audit
from engine.store.report_tables import IndicatorGoal
from engine.store.uow import UnitOfWork

DEFAULTS_FILE = Path(__file__).with_name("data") / "indicator_goals.json"
NAMES = {
    "oportunidad": "Porcentaje de oportunidad en la respuesta a PQRSD",
    "calidad": "Calidad en la respuesta de las PQRSD",
    "satisfaccion": "Percepción de la satisfacción del cliente-ciudadano",
    "canal_presencial": "Nivel de servicio en el canal presencial",
}
FIRST_VIGENCIA, LAST_VIGENCIA = 2000, 2100


@dataclass(frozen=True)
class Goal:
    indicator: str
    vigencia: int
    meta: float
    source: str  # vigencia | anterior (carried from an earlier vigencia) | defecto
    from_vigencia: int | None  # the vigencia whose row gives it (None: the default)

    def to_dict(self) -> dict[str, Any]:
        return {"indicador": self.indicator, "nombre": NAMES[self.indicator], "vigencia": self.vigencia,
                "meta": self.meta, "origen": self.source, "de_vigencia": self.from_vigencia}  # fmt: skip


@cache
def defaults() -> dict[str, float]:
    data = json.loads(DEFAULTS_FILE.read_text(encoding="utf-8"))
    return {key: float(data[key]["meta"]) for key in INDICATOR_KEYS}


def goals_in(session: Session, vigencia: int) -> dict[str, Goal]:
    """The goal in force for each indicator in `vigencia` (one query)."""
    rows = session.execute(
        select(IndicatorGoal.indicator, IndicatorGoal.vigencia, IndicatorGoal.meta)
        .where(IndicatorGoal.vigencia <= vigencia)
        .order_by(IndicatorGoal.indicator, IndicatorGoal.vigencia.desc())
    ).all()
    found: dict[str, Goal] = {}
    for indicator, year, meta in rows:
        if indicator in INDICATOR_KEYS and indicator not in found:
            source = "vigencia" if year == vigencia else "anterior"
            found[indicator] = Goal(indicator, vigencia, float(meta), source, year)
    return {
        key: found.get(key) or Goal(key, vigencia, defaults()[key], "defecto", None) for key in INDICATOR_KEYS
    }


def goals(ctx: Context, vigencia: int) -> list[Goal]:
    check_vigencia(vigencia)
    with UnitOfWork(ctx.db, write=False) as uow:
        found = goals_in(uow.session, vigencia)
    return [found[key] for key in INDICATOR_KEYS]


def check_vigencia(vigencia: int) -> None:
    if not FIRST_VIGENCIA <= vigencia <= LAST_VIGENCIA:
        raise BadInput(
            f"Vigencia no válida: {vigencia}. Use un año entre {FIRST_VIGENCIA} y {LAST_VIGENCIA}.",
            {"vigencia": "Año no válido."},
        )


def parse_meta(raw: str | float) -> float:
    """A goal as a percentage from 0 to 100 ('95', '92,5', '95 %')."""
    text = str(raw).strip().rstrip("%").strip().replace(",", ".")
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value <= 100:
        raise BadInput(
            f"Meta no válida: «{str(raw)[:30]}». Escriba un porcentaje entre 0 y 100 (por ejemplo 95 o 92,5).",
            {"meta": "Porcentaje entre 0 y 100."},
        )
    return round(value, 2)


def set_goal(ctx: Context, indicator: str, vigencia: int, meta: str | float, user: UserView | str) -> Goal:
    """Set (or change) the goal of an indicator for a vigencia; administrators only, audited."""
    if indicator not in INDICATOR_KEYS:
        raise BadInput(
            f"Indicador desconocido: «{indicator}». Use {', '.join(INDICATOR_KEYS)}.",
            {"indicador": "Indicador desconocido."},
        )
    check_vigencia(vigencia)
    value = parse_meta(meta)
    with UnitOfWork(ctx.db) as uow:
        session = uow.session
        acting = acting_user(session, user)
        if not acting.is_admin:
            raise Forbidden("Solo un administrador fija las metas de los indicadores.")
        row = session.scalar(
            select(IndicatorGoal).where(
                IndicatorGoal.indicator == indicator, IndicatorGoal.vigencia == vigencia
            )
        )
        before = None if row is None else {"meta": row.meta}
        if row is None:
            row = IndicatorGoal(
                indicator=indicator, vigencia=vigencia, meta=value, updated_at=ctx.clock.now()
            )
            session.add(row)
        row.meta, row.updated_at, row.updated_by = value, ctx.clock.now(), acting.username
        audit(session, ctx, instance_id=None, action="meta_indicador", actor=acting.username,
              summary=f"Fijó la meta de «{NAMES[indicator]}» para {vigencia} en {value:g} %",
              before=before, after={"indicador": indicator, "vigencia": vigencia, "meta": value})  # fmt: skip
        uow.commit()
    return Goal(indicator, vigencia, value, "vigencia", vigencia)
