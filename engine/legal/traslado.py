"""Traslado por competencia (art. 21 CPACA) and silencio positivo for documents (art. 14 num. 1)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from engine.legal.calendar import BusinessCalendar
from engine.legal.deadlines import Suspension, due_date, local_value, radicacion_lines
from engine.legal.explanation import DueDate, fecha_larga
from engine.legal.terms import TermTable

DOCUMENTS_KIND = "informacion_documentos"
COPIES_KIND = "entrega_copias_silencio_positivo"


def traslado(
    calendar: BusinessCalendar, terms: TermTable, received_at: datetime | date, *, verbal: bool = False
) -> DueDate:
    """Last day to remit to the competent authority and send the petitioner a copy of the oficio remisorio."""
    if verbal:
        rad = calendar.radicacion(received_at)
        lines = [
            *radicacion_lines(calendar, rad),
            "Petición verbal de competencia de otra autoridad: se informa al peticionario de inmediato, "
            "en el mismo acto (art. 21 CPACA).",
        ]
        value = calendar.end_of_day(rad.day)
        return DueDate(
            value,
            tuple(lines),
            kind="traslado_competencia",
            amount=0,
            unit="habiles",
            legal_basis="Art. 21 CPACA",
            received_at=local_value(calendar, received_at),
            radicacion_date=rad.day,
        )
    due = due_date(calendar, terms, "traslado_competencia", received_at)
    return due.with_trace(
        after=[
            "En ese plazo se remite la petición a la autoridad competente y se envía al peticionario copia "
            "del oficio remisorio; si ninguna autoridad es competente, se le informa así (art. 21 CPACA)."
        ]
    )


def due_after_traslado(
    calendar: BusinessCalendar,
    terms: TermTable,
    kind: str,
    received_by_competent_at: datetime | date,
    sending_entity: str,
) -> DueDate:
    """The competent entity's term runs from the day after *it* receives the petition (art. 21)."""
    due = due_date(calendar, terms, kind, received_by_competent_at)
    return due.with_trace(
        before=[
            f"Petición trasladada por competencia desde {sending_entity}: el término corre desde el día "
            "siguiente a la recepción por esta entidad (art. 21 CPACA)."
        ]
    )


def silencio_positivo(
    calendar: BusinessCalendar,
    terms: TermTable,
    received_at: datetime | date,
    *,
    suspensions: Sequence[Suspension] = (),
) -> DueDate:
    """Deadline to deliver copies once a documents request went unanswered (10 + 3 días)."""
    answer = due_date(calendar, terms, DOCUMENTS_KIND, received_at, suspensions=suspensions)
    row = terms.row(COPIES_KIND, answer.radicacion_date or answer.day)
    copies = calendar.add_business_days(answer.day, row.amount)
    lines = [
        f"Si no hay respuesta a más tardar el {fecha_larga(answer.day)}, la petición se entiende aceptada "
        f"(silencio positivo, {row.legal_basis}): la autoridad ya no puede negarla y debe entregar las "
        f"copias dentro de los {row.amount} días hábiles siguientes.",
        f"Días hábiles siguientes: {', '.join(fecha_larga(d) for d in copies.counted)}.",
        f"Plazo para entregar las copias: {fecha_larga(copies.end)} a las 23:59:59.",
    ]
    return DueDate(
        value=calendar.end_of_day(copies.end),
        trace=(*answer.trace, *lines),
        kind=COPIES_KIND,
        amount=(answer.amount or 0) + row.amount,
        unit=row.unit.value,
        legal_basis=row.legal_basis,
        received_at=answer.received_at,
        radicacion_date=answer.radicacion_date,
        counted=(*answer.counted, *copies.counted),
        skipped=(*answer.skipped, *copies.skipped),
        facts={"answer_due": answer.day.isoformat(), "term_key": row.key},
    )
