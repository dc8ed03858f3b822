"""Art. 17 (incomplete petitions, citizen's month, desistimiento tácito) and art. 19 (unclear petitions).

The suspension of the answer term itself is `deadlines.due_date(..., suspensions=[Suspension(...)])`;
`CalendarSettings.suspension_mode` picks resume (default) or restart.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.legal.calendar import BusinessCalendar, to_local
from engine.legal.deadlines import due_date, local_day, term_from_act
from engine.legal.explanation import DueDate, fecha_larga
from engine.legal.terms import TermTable

CITIZEN_KIND = "plazo_ciudadano_completar"
REQUERIMIENTO_KIND = "requerimiento_peticion_incompleta"
ACLARACION_KIND = "aclaracion_peticion_oscura"


def requerimiento_deadline(
    calendar: BusinessCalendar, terms: TermTable, received_at: datetime | date
) -> DueDate:
    """Last day for the entity to ask the petitioner to complete the petition."""
    return due_date(calendar, terms, REQUERIMIENTO_KIND, received_at).with_trace(
        after=["Pasado este día sin requerimiento, la petición se tramita como está (art. 17 CPACA)."]
    )


def citizen_deadline(
    calendar: BusinessCalendar, terms: TermTable, requerimiento_at: datetime | date, *, extended: bool = False
) -> DueDate:
    """The petitioner's month to complete (same day number next month, rolled to a business day)."""
    anchor = local_day(calendar, requerimiento_at)
    row = terms.row(CITIZEN_KIND, anchor)
    amount = (row.prorroga_max or row.amount) if extended else row.amount
    due = term_from_act(calendar, terms, CITIZEN_KIND, requerimiento_at, "el requerimiento", amount=amount)
    if extended:
        due = due.with_trace(
            after=[
                "Incluye la prórroga por un término igual, pedida por el peticionario antes del vencimiento."
            ]
        )
    return due


@dataclass(frozen=True)
class Desistimiento:
    applies: bool
    deadline: DueDate
    trace: tuple[str, ...]

    def to_dict(self) -> dict[str, object]:
        return {"applies": self.applies, "deadline": self.deadline.to_dict(), "trace": list(self.trace)}


def desistimiento_tacito(
    calendar: BusinessCalendar,
    terms: TermTable,
    requerimiento_at: datetime | date,
    *,
    now: datetime,
    complied_at: datetime | date | None = None,
    extension_requested_at: datetime | date | None = None,
) -> Desistimiento:
    """Whether the petitioner is deemed to have desisted (art. 17 CPACA) as of `now`."""
    deadline = citizen_deadline(calendar, terms, requerimiento_at)
    lines = list(deadline.trace)
    if extension_requested_at is not None:
        asked = local_day(calendar, extension_requested_at)
        if asked <= deadline.day:
            deadline = citizen_deadline(calendar, terms, requerimiento_at, extended=True)
            lines += [
                f"El peticionario pidió prórroga el {fecha_larga(asked)}, a tiempo.",
                *deadline.trace[-3:],
            ]
        else:
            lines.append(f"La prórroga pedida el {fecha_larga(asked)} es extemporánea: no amplía el plazo.")
    if complied_at is not None and local_day(calendar, complied_at) <= deadline.day:
        lines.append(
            f"El peticionario completó la petición el {fecha_larga(local_day(calendar, complied_at))}, "
            "dentro del plazo: no hay desistimiento y el término para responder se reactiva."
        )
        return Desistimiento(False, deadline, tuple(lines))
    if to_local(now, calendar.tz) <= deadline.value and complied_at is None:
        lines.append(f"El plazo del peticionario sigue corriendo hasta el {fecha_larga(deadline.day)}.")
        return Desistimiento(False, deadline, tuple(lines))
    lines.append(
        "El peticionario no completó la petición ni pidió prórroga a tiempo "
        f"(plazo: {fecha_larga(deadline.day)}): se entiende que desistió. La autoridad decreta el "
        "desistimiento y el archivo mediante acto administrativo motivado, notificado personalmente, "
        "contra el que solo procede recurso de reposición; la petición puede presentarse de nuevo "
        "con el lleno de los requisitos (art. 17 CPACA)."
    )
    return Desistimiento(True, deadline, tuple(lines))


def aclaracion_deadline(
    calendar: BusinessCalendar, terms: TermTable, returned_at: datetime | date
) -> DueDate:
    """Last day for the petitioner to clarify a petition whose object cannot be understood (art. 19)."""
    return term_from_act(
        calendar, terms, ACLARACION_KIND, returned_at, "la devolución de la petición al peticionario"
    ).with_trace(after=["Si no la aclara en ese plazo, la petición se archiva (art. 19 CPACA)."])
