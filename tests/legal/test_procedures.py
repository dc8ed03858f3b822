"""Prórroga (art. 14 par.), traslado (art. 21), silencio positivo (art. 14), desistimiento (art. 17)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from engine.legal.calendar import BusinessCalendar, LegalInputError
from engine.legal.deadlines import Suspension, due_date
from engine.legal.prorroga import ProrrogaRejected, prorroga
from engine.legal.suspension import desistimiento_tacito
from engine.legal.terms import TermTable
from engine.legal.traslado import due_after_traslado, silencio_positivo, traslado
from tests.legal.conftest import d

BOGOTA = ZoneInfo("America/Bogota")
RADICACION = datetime(2026, 3, 18, 10, 0, tzinfo=BOGOTA)


def test_prorroga_notified_in_time_defaults_to_the_legal_maximum(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    due = prorroga(
        calendar,
        terms,
        "peticion_general",
        RADICACION,
        notice_sent_at=date(2026, 4, 13),
        reason="Volumen de pruebas",
    )
    assert due.day == d("2026-05-05")
    assert due.facts["original_due"] == "2026-04-13"
    assert "Prórroga comunicada el lunes 13 de abril de 2026" in due.text()


def test_prorroga_with_an_earlier_new_date(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = prorroga(
        calendar,
        terms,
        "peticion_general",
        RADICACION,
        notice_sent_at=datetime(2026, 4, 10, 9, 0, tzinfo=BOGOTA),
        reason="Consulta a otra dependencia",
        new_due=date(2026, 4, 24),
    )
    assert due.day == d("2026-04-24")


@pytest.mark.parametrize(
    ("notice", "new_due", "reason", "message"),
    [
        (date(2026, 4, 14), None, "Motivo", "antes del vencimiento original"),
        (date(2026, 4, 1), date(2026, 5, 6), "Motivo", "supera el máximo legal"),
        (date(2026, 4, 1), date(2026, 4, 13), "Motivo", "posterior al vencimiento original"),
        (date(2026, 4, 1), date(2026, 4, 25), "Motivo", "no es un día hábil"),
        (date(2026, 4, 1), None, "  ", "motivos"),
    ],
)
def test_prorroga_breaking_art14_is_rejected(
    calendar: BusinessCalendar,
    terms: TermTable,
    notice: date,
    new_due: date | None,
    reason: str,
    message: str,
) -> None:
    with pytest.raises(ProrrogaRejected, match=message):
        prorroga(
            calendar,
            terms,
            "peticion_general",
            RADICACION,
            notice_sent_at=notice,
            reason=reason,
            new_due=new_due,
        )


def test_terms_without_prorroga_reject_it(calendar: BusinessCalendar, terms: TermTable) -> None:
    with pytest.raises(ProrrogaRejected, match="no admite prórroga"):
        prorroga(calendar, terms, "traslado_competencia", RADICACION, notice_sent_at=RADICACION, reason="x")


def test_traslado_within_five_days_crosses_san_jose(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = traslado(calendar, terms, RADICACION)
    assert due.day == d("2026-03-26")
    assert "copia del oficio remisorio" in due.text()
    assert "festivo «Día de San José (trasladado al lunes, Ley 51 de 1983)»" in due.text()


def test_verbal_traslado_is_immediate(calendar: BusinessCalendar, terms: TermTable) -> None:
    assert traslado(calendar, terms, RADICACION, verbal=True).day == d("2026-03-18")


def test_competent_entity_counts_from_its_own_receipt(calendar: BusinessCalendar, terms: TermTable) -> None:
    due = due_after_traslado(calendar, terms, "peticion_general", date(2026, 3, 26), "Alcaldía de Tunja")
    assert due.radicacion_date == d("2026-03-26")
    assert due.trace[0].startswith("Petición trasladada por competencia desde Alcaldía de Tunja")
    assert due.day == due_date(calendar, terms, "peticion_general", date(2026, 3, 26)).day


def test_silencio_positivo_gives_three_more_days_for_copies(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    due = silencio_positivo(calendar, terms, RADICACION)
    assert due.facts["answer_due"] == "2026-04-06"
    assert due.day == d("2026-04-09")
    assert due.amount == 13
    assert "silencio positivo" in due.text()


def test_open_suspension_has_no_due_date(calendar: BusinessCalendar, terms: TermTable) -> None:
    with pytest.raises(LegalInputError, match="suspendido"):
        due_date(calendar, terms, "peticion_general", RADICACION, suspensions=[Suspension(date(2026, 3, 25))])


def test_requerimiento_after_the_term_ran_out_does_not_suspend(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    late = Suspension(date(2026, 4, 20), date(2026, 4, 22))
    due = due_date(calendar, terms, "traslado_competencia", RADICACION, suspensions=[late])
    assert due.day == d("2026-03-26")
    assert "no lo suspende" in due.text()


def test_compliance_after_hours_counts_from_the_next_business_day(
    calendar: BusinessCalendar, terms: TermTable
) -> None:
    after_hours = Suspension(date(2026, 3, 25), datetime(2026, 4, 7, 18, 0, tzinfo=BOGOTA))
    due = due_date(calendar, terms, "peticion_general", RADICACION, suspensions=[after_hours])
    assert due.day == d("2026-04-23")


def test_desistimiento_when_the_month_runs_out(calendar: BusinessCalendar, terms: TermTable) -> None:
    result = desistimiento_tacito(
        calendar, terms, date(2026, 3, 25), now=datetime(2026, 4, 28, 8, 0, tzinfo=BOGOTA)
    )
    assert result.applies
    assert result.deadline.day == d("2026-04-27")
    assert "recurso de reposición" in result.trace[-1]


def test_no_desistimiento_on_the_last_day(calendar: BusinessCalendar, terms: TermTable) -> None:
    now = datetime(2026, 4, 27, 23, 0, tzinfo=BOGOTA)
    assert not desistimiento_tacito(calendar, terms, date(2026, 3, 25), now=now).applies


def test_extension_asked_in_time_moves_desistimiento(calendar: BusinessCalendar, terms: TermTable) -> None:
    result = desistimiento_tacito(
        calendar,
        terms,
        date(2026, 3, 25),
        now=datetime(2026, 5, 1, tzinfo=BOGOTA),
        extension_requested_at=date(2026, 4, 20),
    )
    assert not result.applies
    assert result.deadline.day == d("2026-05-25")


def test_late_extension_request_does_not_help(calendar: BusinessCalendar, terms: TermTable) -> None:
    result = desistimiento_tacito(
        calendar,
        terms,
        date(2026, 3, 25),
        now=datetime(2026, 5, 1, tzinfo=BOGOTA),
        extension_requested_at=date(2026, 4, 28),
    )
    assert result.applies
    assert "extemporánea" in " ".join(result.trace)


def test_compliance_in_time_means_no_desistimiento(calendar: BusinessCalendar, terms: TermTable) -> None:
    result = desistimiento_tacito(
        calendar,
        terms,
        date(2026, 3, 25),
        now=datetime(2026, 6, 1, tzinfo=BOGOTA),
        complied_at=date(2026, 4, 8),
    )
    assert not result.applies
