"""Radicación of PQRSD cases, their process, term versions, and recalculation when the calendar changes."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from engine.clock import FrozenClock
from engine.context import Context
from engine.errors import BadInput
from engine.legal.terms import TermUnit
from engine.pqrsd import radicacion as pqrsd
from engine.pqrsd import recalculation, term_table
from engine.store.legal_tables import PqrsdCase
from engine.store.tables import AuditEvent
from engine.store.uow import UnitOfWork
from engine.workflow import timers, views
from tests.helpers import deploy_files, open_tasks, start_model

BOGOTA = ZoneInfo("America/Bogota")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=BOGOTA)


def utc(text: str) -> str:
    return datetime.fromisoformat(text).astimezone(UTC).isoformat()


def count(ctx: Context, model: type) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def audit_actions(ctx: Context, action: str) -> list[tuple[int | None, str]]:
    with UnitOfWork(ctx.db, write=False) as uow:
        rows = uow.session.execute(
            select(AuditEvent.instance_id, AuditEvent.summary).where(AuditEvent.action == action)
        )
        return [(instance_id, summary) for instance_id, summary in rows]


def timers_of(ctx: Context, instance_id: int) -> dict[str, str]:
    return {t["activity"]: t["due_at"] for t in views.timers(ctx) if t["instance_id"] == instance_id}


def test_radicar_friday_after_hours_before_holiday_gives_radicado_due_date_and_explanation(
    ctx: Context,
) -> None:
    case = pqrsd.radicar_pqrsd(ctx, "peticion_general", at("2026-07-10T17:30"), channel="correo_electronico")

    assert case["radicado"] == "2026-000001"
    assert case["radicacion_date"] == "2026-07-14"
    assert case["due_date"] == "2026-08-05"
    assert case["due_at"] == "2026-08-05T23:59:59-05:00"
    assert case["term_version"] == 1 and case["term_key"] == "peticion_general@2022-05-18"
    assert case["instance_id"] is None  # no `pqrsd` process deployed
    assert any("Chiquinquirá" in line for line in case["explanation"])
    assert pqrsd.consultar(ctx, "2026-000001") == case


def test_radicados_are_consecutive_per_year_of_receipt(ctx: Context) -> None:
    first = pqrsd.radicar_pqrsd(ctx, "queja", at("2026-03-02T09:00"))["radicado"]
    second = pqrsd.radicar_pqrsd(ctx, "consulta", at("2026-03-02T09:05"))["radicado"]
    older = pqrsd.radicar_pqrsd(ctx, "reclamo", at("2025-12-31T18:00"))

    assert (first, second, older["radicado"]) == ("2026-000001", "2026-000002", "2025-000001")
    assert older["radicacion_date"] == "2026-01-02"  # after hours on 31 Dec, 1 Jan is a holiday


def test_concurrent_radicaciones_never_share_a_radicado(ctx: Context) -> None:
    pqrsd.radicar_pqrsd(ctx, "queja", at("2026-03-02T09:00"))  # first use seeds the calendar

    def file(minute: int) -> str:
        return str(pqrsd.radicar_pqrsd(ctx, "queja", at(f"2026-03-02T10:{minute:02d}"))["radicado"])

    with ThreadPoolExecutor(max_workers=6) as pool:
        numbers = list(pool.map(file, range(12)))
    assert len(set(numbers)) == 12
    assert sorted(numbers)[-1] == "2026-000013"


@pytest.mark.parametrize(
    ("kind", "channel", "priority", "problem"),
    [
        ("peticion_rara", "formulario_web", "normal", "Tipo de petición desconocido"),
        ("queja", "paloma_mensajera", "normal", "Canal no válido"),
        ("queja", "formulario_web", "altisima", "Prioridad no válido"),
    ],
)
def test_radicar_with_bad_input_writes_nothing(
    ctx: Context, kind: str, channel: str, priority: str, problem: str
) -> None:
    with pytest.raises(BadInput, match=problem):
        pqrsd.radicar_pqrsd(ctx, kind, at("2026-03-02T09:00"), channel=channel, priority=priority)
    assert count(ctx, PqrsdCase) == 0
    assert audit_actions(ctx, "pqrsd_radicada") == []


def test_radicar_starts_the_pqrsd_process_whose_timers_and_due_date_count_business_days(ctx: Context) -> None:
    deploy_files(ctx, "calendario_pqrsd.bpmn")

    case = pqrsd.radicar_pqrsd(
        ctx, "peticion_general", at("2026-03-18T10:00"), contact={"subject": "Alumbrado"}
    )

    assert case["due_date"] == "2026-04-13"
    instance_id = case["instance_id"]
    assert instance_id is not None and case["process_error"] is None
    assert views.instance(ctx, instance_id)["business_key"] == case["radicado"]
    [task] = open_tasks(ctx, instance_id)
    # camunda:dueDate="${vencimiento(tipo, fecha_recibo)}": 15 días hábiles from 18 Mar 2026, end of day
    assert task["due_at"] == utc("2026-04-13T23:59:59-05:00")
    # timeDate "${dias_habiles(fecha_radicado, 10)}" skips San José (23 Mar) and Semana Santa (2-3 Apr)
    assert timers_of(ctx, instance_id) == {
        "Event_Dia10": utc("2026-04-06T23:59:59-05:00"),
        "Event_Vencimiento": utc("2026-04-13T23:59:59-05:00"),
    }


def test_the_calendar_functions_work_in_a_process_started_without_radicar(ctx: Context) -> None:
    deploy_files(ctx, "calendario_pqrsd.bpmn")
    data = {"tipo": "informacion_documentos", "fecha_recibo": "2026-11-13T17:30:00-05:00",
            "fecha_radicado": "2026-11-17", "fecha_vencimiento": "2026-12-01T23:59:59-05:00"}  # fmt: skip

    started = start_model(ctx, "pqrsd", data)

    [task] = open_tasks(ctx, started.id)
    assert task["due_at"] == utc("2026-12-01T23:59:59-05:00")  # CSV row 17
    assert timers_of(ctx, started.id)["Event_Dia10"] == utc("2026-12-01T23:59:59-05:00")


def test_closing_a_day_moves_open_cases_their_task_and_timer_and_reopening_moves_them_back(
    ctx: Context, clock: FrozenClock
) -> None:
    deploy_files(ctx, "calendario_pqrsd.bpmn")
    case = pqrsd.radicar_pqrsd(ctx, "peticion_general", at("2026-03-18T10:00"))
    untouched = pqrsd.radicar_pqrsd(ctx, "traslado_competencia", at("2026-03-18T10:00"))  # due 26 Mar
    instance_id = case["instance_id"]

    outcome = recalculation.close_day(
        ctx, date(2026, 4, 8), reason="Día cívico", legal_act="Decreto 1 de 2026"
    )

    assert outcome.to_dict()["changed"] == 1
    assert outcome.cases[0]["radicado"] == case["radicado"]
    assert (outcome.timers, outcome.tasks) == (1, 1)
    moved = pqrsd.consultar(ctx, case["radicado"])
    assert moved["due_date"] == "2026-04-14"
    assert moved["original_due_date"] == "2026-04-13"
    assert any("Día cívico" in line for line in moved["explanation"])
    assert pqrsd.consultar(ctx, untouched["radicado"])["due_date"] == "2026-03-26"
    assert open_tasks(ctx, instance_id)[0]["due_at"] == utc("2026-04-14T23:59:59-05:00")
    assert timers_of(ctx, instance_id)["Event_Vencimiento"] == utc("2026-04-14T23:59:59-05:00")
    [(audited_instance, summary)] = audit_actions(ctx, "pqrsd_due_recalculated")
    assert audited_instance == instance_id and "2026-04-13 → 2026-04-14" in summary
    assert len(audit_actions(ctx, "calendar_closed")) == 1

    # The workflow itself waits for the new date: nothing fires at the old one.
    clock.set(datetime(2026, 4, 14, 12, 0, tzinfo=UTC))
    timers.fire_due_timers(ctx)
    assert [t["name"] for t in open_tasks(ctx, instance_id)] == ["Responder PQRSD"]
    clock.set(datetime(2026, 4, 15, 5, 0, tzinfo=UTC))
    timers.fire_due_timers(ctx)
    assert sorted(t["name"] for t in open_tasks(ctx, instance_id)) == [
        "Escalar PQRSD vencida",
        "Responder PQRSD",
    ]

    back = recalculation.reopen_day(ctx, date(2026, 4, 8))

    assert back.to_dict()["changed"] == 1
    assert pqrsd.consultar(ctx, case["radicado"])["due_date"] == "2026-04-13"
    assert len(audit_actions(ctx, "pqrsd_due_recalculated")) == 2


def test_closing_the_radicacion_day_moves_the_radicacion_of_a_case_filed_that_day(ctx: Context) -> None:
    case = pqrsd.radicar_pqrsd(ctx, "informacion_documentos", at("2026-11-13T16:59"))
    assert case["due_date"] == "2026-11-30"

    recalculation.close_day(ctx, date(2026, 11, 13), reason="Cierre de sede por obras")

    moved = pqrsd.consultar(ctx, case["radicado"])
    assert moved["due_date"] == "2026-12-01"  # radicated Tue 17 Nov, like an after-hours filing (row 17)


def test_a_case_keeps_the_term_version_it_was_filed_under(ctx: Context, clock: FrozenClock) -> None:
    before = pqrsd.radicar_pqrsd(ctx, "peticion_general", at("2026-03-02T09:00"))

    table = term_table.set_term(ctx, "peticion_general", 20, valid_from=date(2026, 3, 3), legal_basis="Ley 9999 de 2026",
                           note="Prueba de versión", actor="admin")  # fmt: skip
    after = pqrsd.radicar_pqrsd(ctx, "peticion_general", at("2026-03-03T09:00"))

    assert table["version"] == 2
    rows = [r for r in table["rows"] if r["kind"] == "peticion_general"]
    assert [(r["amount"], r["valid_from"], r["valid_to"]) for r in rows][-2:] == [
        (15, "2022-05-18", "2026-03-02"),
        (20, "2026-03-03", None),
    ]
    assert (before["term_version"], before["due_date"]) == (1, "2026-03-24")
    assert (after["term_version"], after["due_date"]) == (2, "2026-04-01")
    assert pqrsd.consultar(ctx, before["radicado"])["term"]["amount"] == 15
    assert [v["version"] for v in term_table.term_versions(ctx)] == [1, 2]
    assert len(audit_actions(ctx, "pqrsd_terms_changed")) == 1


def test_a_new_kind_needs_a_label_and_a_legal_basis(ctx: Context) -> None:
    with pytest.raises(BadInput, match="nombre y su fundamento"):
        term_table.set_term(ctx, "peticion_veedurias", 10)

    table = term_table.set_term(ctx, "peticion_veedurias", 10, unit=TermUnit.HABILES, label="Petición de veedurías",
                           legal_basis="Ley 850 de 2003", valid_from=date(2026, 1, 1))  # fmt: skip

    assert {"kind": "peticion_veedurias", "amount": 10, "valid_from": "2026-01-01"}.items() <= next(
        r for r in table["rows"] if r["kind"] == "peticion_veedurias"
    ).items()
    case = pqrsd.radicar_pqrsd(ctx, "peticion_veedurias", at("2026-03-02T09:00"))
    assert case["due_date"] == "2026-03-16"


def test_radicar_without_time_defaults_to_now_on_the_injected_clock(ctx: Context, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 3, 6, 22, 30, tzinfo=UTC))  # Friday 17:30 in Bogotá
    case = pqrsd.radicar_pqrsd(ctx, "queja")
    assert case["received_at"] == "2026-03-06T17:30:00-05:00"
    assert case["radicacion_date"] == "2026-03-09"
    assert case["due_date"] == "2026-03-31"  # San José (Mon 23 Mar) is skipped
