"""PQRSD legal terms as versioned data rows (PQRSD_RULES §1), picked by the filing date."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass, replace
from datetime import date, timedelta
from enum import StrEnum

from engine.legal.calendar import LegalInputError


class TermUnit(StrEnum):
    HABILES = "habiles"
    CALENDARIO = "calendario"
    MESES = "meses"
    HORAS = "horas"


UNIT_LABELS = {
    TermUnit.HABILES: ("día hábil", "días hábiles"),
    TermUnit.CALENDARIO: ("día calendario", "días calendario"),
    TermUnit.MESES: ("mes", "meses"),
    TermUnit.HORAS: ("hora", "horas"),
}


def amount_text(amount: int, unit: TermUnit) -> str:
    singular, plural = UNIT_LABELS[unit]
    return f"{amount} {singular if abs(amount) == 1 else plural}"


@dataclass(frozen=True)
class TermRow:
    kind: str
    amount: int
    unit: TermUnit
    valid_from: date
    valid_to: date | None  # inclusive; None = in force
    legal_basis: str
    label: str
    prorroga_max: int | None = None  # total term allowed with prórroga, counted from the same start

    @property
    def key(self) -> str:
        return f"{self.kind}@{self.valid_from.isoformat()}"

    def covers(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def to_dict(self) -> dict[str, object]:
        data = asdict(self)
        data.update(
            unit=self.unit.value,
            valid_from=self.valid_from.isoformat(),
            valid_to=None if self.valid_to is None else self.valid_to.isoformat(),
            key=self.key,
        )
        return data

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> TermRow:
        valid_to = data.get("valid_to")
        prorroga = data.get("prorroga_max")
        return cls(
            kind=str(data["kind"]),
            amount=int(str(data["amount"])),
            unit=TermUnit(str(data["unit"])),
            valid_from=date.fromisoformat(str(data["valid_from"])),
            valid_to=None if valid_to is None else date.fromisoformat(str(valid_to)),
            legal_basis=str(data["legal_basis"]),
            label=str(data["label"]),
            prorroga_max=None if prorroga is None else int(str(prorroga)),
        )


class TermTable:
    """The rows in force per kind; no two rows of one kind may overlap in time."""

    def __init__(self, rows: Iterable[TermRow]) -> None:
        self._rows = tuple(sorted(rows, key=lambda r: (r.kind, r.valid_from)))
        for earlier, later in zip(self._rows, self._rows[1:], strict=False):
            if earlier.kind == later.kind and (
                earlier.valid_to is None or earlier.valid_to >= later.valid_from
            ):
                raise LegalInputError(
                    f"Términos superpuestos para «{earlier.kind}»: {earlier.key} y {later.key}."
                )

    def __iter__(self) -> Iterator[TermRow]:
        return iter(self._rows)

    def __len__(self) -> int:
        return len(self._rows)

    def kinds(self) -> list[str]:
        return sorted({r.kind for r in self._rows})

    def row(self, kind: str, filed_on: date) -> TermRow:
        """The row valid on the filing (radicación) date: a PQRSD keeps the term it was filed under."""
        candidates = [r for r in self._rows if r.kind == kind]
        if not candidates:
            raise LegalInputError(
                f"Tipo de petición desconocido: «{kind}». Tipos válidos: {', '.join(self.kinds())}."
            )
        for row in candidates:
            if row.covers(filed_on):
                return row
        raise LegalInputError(f"No hay término vigente para «{kind}» el {filed_on.isoformat()}.")

    @property
    def version(self) -> str:
        """Content fingerprint to store on each case (`term_version`) so its terms stay reproducible."""
        payload = json.dumps([r.to_dict() for r in self._rows], sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(payload.encode()).hexdigest()[:12]

    def to_dicts(self) -> list[dict[str, object]]:
        return [r.to_dict() for r in self._rows]


LEY_1755 = date(2015, 6, 30)
DECRETO_491_FROM = date(2020, 3, 28)
DECRETO_491_TO = date(2022, 5, 17)  # Ley 2207 de 2022 restored the normal terms from 18 May 2022
ART14 = "Art. 14 CPACA (sustituido por Ley 1755 de 2015)"
D491 = "Decreto Legislativo 491 de 2020, art. 5 (derogado por Ley 2207 de 2022; revisión jurídica)"

# (kind, label, days, legal basis, prórroga max total, days under Decreto 491 or None)
_CPACA_PETITIONS = (
    ("peticion_general", "Petición de interés general o particular", 15, f"{ART14}, inciso 1", 30, 30),
    ("informacion_documentos", "Petición de documentos o información (incl. Ley 1712)", 10,
     f"{ART14}, num. 1; Ley 1712 de 2014, art. 26", 20, 20),
    ("consulta", "Consulta", 30, f"{ART14}, num. 2", 60, 35),
    ("queja", "Queja", 15, "Arts. 13-14 CPACA; Ley 190 de 1995, art. 55", 30, 30),
    ("reclamo", "Reclamo", 15, "Arts. 13-14 CPACA; Ley 190 de 1995, art. 55", 30, 30),
    ("sugerencia", "Sugerencia", 15, "Arts. 13-14 CPACA (regla general)", 30, 30),
    ("denuncia", "Denuncia", 15, "Arts. 13-14 CPACA; Ley 1474 de 2011, art. 76", 30, 30),
)  # fmt: skip

# (kind, label, amount, unit, legal basis, prórroga max total)
_OTHER_TERMS: tuple[tuple[str, str, int, TermUnit, str, int | None], ...] = (
    ("felicitacion", "Felicitación (acuse recomendado, sin término legal)", 15, TermUnit.HABILES,
     "Sin término legal; decisión de implementación", None),
    ("peticion_entre_autoridades", "Petición entre autoridades", 10, TermUnit.HABILES, "Art. 30 CPACA", None),
    ("habeas_data_consulta", "Consulta de datos personales (habeas data)", 10, TermUnit.HABILES,
     "Ley 1581 de 2012, art. 14", 15),
    ("habeas_data_reclamo", "Reclamo de datos personales (habeas data)", 15, TermUnit.HABILES,
     "Ley 1581 de 2012, art. 15", 23),
    ("habeas_data_requerimiento", "Requerimiento para completar un reclamo de habeas data", 5,
     TermUnit.HABILES, "Ley 1581 de 2012, art. 15", None),
    ("habeas_data_traslado", "Traslado de un reclamo de habeas data", 2, TermUnit.HABILES,
     "Ley 1581 de 2012, art. 15", None),
    ("habeas_data_nota_en_tramite", "Leyenda «reclamo en trámite» en la base de datos", 2, TermUnit.HABILES,
     "Ley 1581 de 2012, art. 15", None),
    ("habeas_data_desistimiento", "Plazo del titular para completar el reclamo (desistimiento)", 2,
     TermUnit.MESES, "Ley 1581 de 2012, art. 15", None),
    ("traslado_competencia", "Traslado por competencia (petición escrita)", 5, TermUnit.HABILES,
     "Art. 21 CPACA", None),
    ("requerimiento_peticion_incompleta", "Requerimiento por petición incompleta", 10, TermUnit.HABILES,
     "Art. 17 CPACA", None),
    ("plazo_ciudadano_completar", "Plazo del peticionario para completar la petición", 1, TermUnit.MESES,
     "Art. 17 CPACA", 2),
    ("aclaracion_peticion_oscura", "Plazo del peticionario para aclarar una petición oscura", 10,
     TermUnit.HABILES, "Art. 19 CPACA", None),
    ("entrega_copias_silencio_positivo", "Entrega de copias tras silencio positivo", 3, TermUnit.HABILES,
     f"{ART14}, num. 1", None),
    ("denuncia_fiscal_respuesta_final", "Respuesta definitiva a denuncia fiscal (contralorías)", 6,
     TermUnit.MESES, "Ley 1757 de 2015, art. 70 (verificar con asesoría jurídica)", None),
    ("informe_congresistas", "Informe solicitado por congresistas", 5, TermUnit.HABILES,
     "Ley 5 de 1992, art. 258 (verificar con asesoría jurídica)", None),
    ("publicacion_respuesta_anonima", "Publicación de la respuesta a un peticionario anónimo", 5,
     TermUnit.HABILES, "Decisión de implementación, por analogía con el art. 69 CPACA", None),
)  # fmt: skip


def seed_term_rows() -> list[TermRow]:
    """The rows of PQRSD_RULES.md §1, including the historical Decreto 491 de 2020 terms."""
    rows: list[TermRow] = []
    for kind, label, days, basis, prorroga, d491 in _CPACA_PETITIONS:
        normal = TermRow(kind, days, TermUnit.HABILES, LEY_1755, None, basis, label, prorroga)
        rows += [
            replace(normal, valid_to=DECRETO_491_FROM - timedelta(days=1)),
            TermRow(kind, d491, TermUnit.HABILES, DECRETO_491_FROM, DECRETO_491_TO, D491, label, 2 * d491),
            replace(normal, valid_from=date(2022, 5, 18), legal_basis=f"{basis}; Ley 2207 de 2022"),
        ]
    for kind, label, amount, unit, basis, other_max in _OTHER_TERMS:
        rows.append(TermRow(kind, amount, unit, LEY_1755, None, basis, label, other_max))
    return rows


def seed_term_table() -> TermTable:
    return TermTable(seed_term_rows())
