"""The shapes of the PQRSD report: its period, its indicators and its blocks (PQRSD_RULES.md §6 and §7)."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from engine.errors import BadInput

INDICATOR_KEYS = ("oportunidad", "calidad", "satisfaccion", "canal_presencial")
MAX_PERIOD_DAYS = 3 * 366  # a report covers at most three years


@dataclass(frozen=True)
class Period:
    start: date
    end: date  # inclusive

    @classmethod
    def checked(cls, start: date, end: date) -> Period:
        if end < start:
            raise BadInput(
                f"El periodo no es válido: la fecha final ({end.isoformat()}) es anterior a la inicial "
                f"({start.isoformat()})."
            )
        if (end - start).days >= MAX_PERIOD_DAYS:
            raise BadInput("El periodo es demasiado largo: un informe cubre como máximo tres años.")
        return cls(start, end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Period:
        """The period of equal length just before this one (the comparison of §7 item 2)."""
        end = self.start - timedelta(days=1)
        return Period(end - timedelta(days=self.days - 1), end)

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """[first moment, moment after the last day) in the entity's zone, as aware datetimes."""
        return (
            datetime.combine(self.start, time(0), tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=tz),
        )

    @property
    def vigencia(self) -> int:
        return self.start.year

    def to_dict(self) -> dict[str, Any]:
        return {"desde": self.start.isoformat(), "hasta": self.end.isoformat(), "dias": self.days}


@dataclass(frozen=True)
class Indicator:
    key: str  # oportunidad | calidad | satisfaccion | canal_presencial
    name: str
    formula: str
    numerator: int
    denominator: int
    value: float | None  # percentage, 2 decimals; None when nothing was measured (denominator 0)
    meta: float | None  # the goal of the period's vigencia
    numerator_label: str = ""
    denominator_label: str = ""
    vigencia: int | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def meets_goal(self) -> bool | None:
        if self.value is None or self.meta is None:
            return None
        return self.value >= self.meta

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "cumple_meta": self.meets_goal}


def percentage(numerator: int, denominator: int) -> float | None:
    return round(100 * numerator / denominator, 2) if denominator else None


@dataclass(frozen=True)
class Count:
    key: str
    label: str
    total: int

    def to_dict(self) -> dict[str, Any]:
        return {"clave": self.key, "nombre": self.label, "total": self.total}


@dataclass
class PqrsdReport:
    """Every block of the informe de PQRSD; `to_dict()` is what the API, the CLI's json and the exports read."""

    entity: str
    period: Period
    previous: Period
    dependencia: str | None
    generated_at: datetime
    method: list[str]
    totals: dict[str, Any]
    by_block: dict[str, list[Count]]  # por_tipologia, por_canal, por_dependencia, ...
    timeliness: dict[str, int]
    response_times: list[dict[str, Any]]
    management: dict[str, int]
    traslados: list[dict[str, Any]]
    access_to_information: dict[str, Any]
    denuncias: dict[str, Any]
    quality: dict[str, Any]
    satisfaction: dict[str, Any]
    counter: dict[str, Any]
    indicators: list[Indicator]
    recommendations: list[dict[str, Any]]
    improvement_actions: list[dict[str, Any]]

    def indicator(self, key: str) -> Indicator:
        return next(i for i in self.indicators if i.key == key)

    def summary(self) -> dict[str, Any]:
        """The headline figures (what a process instance keeps as data; the full report stays a query)."""
        times = self.response_times[-1] if self.response_times else {}
        return {
            "recibidas": self.totals["recibidas"],
            "periodo_anterior": self.totals["periodo_anterior"],
            "variacion_pct": self.totals["variacion_pct"],
            **self.timeliness,
            "promedio_dias_habiles": times.get("promedio_dias_habiles"),
            "p90_dias_habiles": times.get("p90_dias_habiles"),
            "traslados": self.management["traslados"],
            "prorrogas": self.management["prorrogas"],
            "requerimientos": self.management["requerimientos"],
            "denuncias": self.denuncias["recibidas"],
            "acceso_informacion": self.access_to_information["recibidas"],
            "sugerencias": len(self.recommendations),
            "acciones_mejora_abiertas": sum(1 for a in self.improvement_actions if a["cerrada"] is None),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "entidad": self.entity,
            "periodo": self.period.to_dict(),
            "periodo_anterior": self.previous.to_dict(),
            "dependencia": self.dependencia,
            "corte": self.generated_at.isoformat(),
            "metodo": self.method,
            "totales": self.totals,
            **{name: [c.to_dict() for c in counts] for name, counts in self.by_block.items()},
            "oportunidad": self.timeliness,
            "tiempos_respuesta": self.response_times,
            "gestion": self.management,
            "traslados": self.traslados,
            "acceso_informacion": self.access_to_information,
            "denuncias": self.denuncias,
            "calidad": self.quality,
            "satisfaccion": self.satisfaction,
            "canal_presencial": self.counter,
            "indicadores": [i.to_dict() for i in self.indicators],
            "recomendaciones": self.recommendations,
            "acciones_mejora": self.improvement_actions,
        }
