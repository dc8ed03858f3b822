"""The monthly PQRSD report: started by its cycle timer or by hand for a chosen period, fed by the PQRSD report's
figures (a summary and a link, not the whole report), reviewed and published."""

from __future__ import annotations

import pytest

from engine.errors import ValidationFailed
from engine.workflow import start_forms, timers, views
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import radicar

ANALYST = "u.atencion_ciudadano"


def reports(sc: Scenario) -> list[int]:
    return [i["id"] for i in views.instances(sc.ctx, process_key="informe_pqrsd")]


def test_informe_pqrsd_starts_every_month_and_reports_the_previous_month(sc: Scenario) -> None:
    pqrsd = radicar(sc)
    sc.walk(pqrsd, ("Task_Verificar", {"competente": False}), "Task_Trasladar")
    assert [t["kind"] for t in views.timers(sc.ctx) if t["instance_id"] is None] == ["start"]  # set at deploy
    sc.clock.advance(days=31, hours=1)  # 2 April: the first cycle starts the March report
    assert timers.fire_due_timers(sc.ctx).started == 1
    (report,) = reports(sc)
    data = sc.data_of_task(report, "Task_RedactarInforme")
    assert (data["periodo_desde"], data["periodo_hasta"]) == ("2026-03-01", "2026-03-31")
    assert data["enlace_reporte"] == "/reportes/pqrsd?from=2026-03-01&to=2026-03-31"
    cifras = data["cifras"]
    assert (cifras["recibidas"], cifras["traslados"]) == (1, 1)
    assert set(cifras["indicadores"]) == {"oportunidad", "calidad", "satisfaccion", "canal_presencial"}
    assert cifras["indicadores"]["oportunidad"]["meta"] == 95
    assert "estadisticas" not in data  # a summary, not the report's JSON
    sc.walk(
        report,
        "Task_RedactarInforme",
        ("Task_RevisarInforme", {"informe_aprobado": False}),
        "Task_RedactarInforme",
        ("Task_RevisarInforme", {"informe_aprobado": True}),
        "Task_PublicarInforme",
    )
    assert sc.instance(report)["status"] == "completed"
    sc.clock.advance(days=31)  # 3 May: the April report (the cycle repeats every 31 days)
    assert timers.fire_due_timers(sc.ctx).started == 1
    assert len(reports(sc)) == 2


def test_a_manual_start_reports_the_chosen_period_at_once(any_db: Scenario) -> None:
    sc = any_db
    radicar(sc)  # 2 March 2026
    started = start_forms.start_from_form(
        sc.ctx, "informe_pqrsd", ANALYST, {"periodo_desde": "2026-03-01", "periodo_hasta": "2026-03-15"}
    )
    assert started.incident is None and started.status == "running"
    assert [t["bpmn_id"] for t in sc.open_tasks(started.id)] == ["Task_RedactarInforme"]
    assert sc.timers(started.id) == {}  # nothing waits on the monthly timer
    data = sc.data_of_task(started.id, "Task_RedactarInforme")
    assert (data["periodo_desde"], data["periodo_hasta"], data["cifras"]["recibidas"]) == (
        "2026-03-01",
        "2026-03-15",
        1,
    )
    assert data["enlace_reporte"] == "/reportes/pqrsd?from=2026-03-01&to=2026-03-15"
    # the timer start still waits for its month, untouched by the manual start
    assert [t["kind"] for t in views.timers(sc.ctx) if t["instance_id"] is None] == ["start"]


def test_a_manual_start_without_dates_reports_the_previous_month(sc: Scenario) -> None:
    started = start_forms.start_from_form(sc.ctx, "informe_pqrsd", ANALYST, {})  # clock: 2 March 2026
    data = sc.data_of_task(started.id, "Task_RedactarInforme")
    assert (data["periodo_desde"], data["periodo_hasta"]) == ("2026-02-01", "2026-02-28")
    only_start = start_forms.start_from_form(
        sc.ctx, "informe_pqrsd", ANALYST, {"periodo_desde": "2026-01-10"}
    )
    data = sc.data_of_task(only_start.id, "Task_RedactarInforme")
    assert (data["periodo_desde"], data["periodo_hasta"]) == ("2026-01-10", "2026-01-31")


def test_the_start_form_offers_the_period_and_refuses_what_is_not_a_date(sc: Scenario) -> None:
    form = start_forms.start_form(sc.ctx, "informe_pqrsd", ANALYST)["form"]
    assert form is not None
    assert [(f["key"], f["required"]) for f in form["fields"] if f["type"] != "text"] == [
        ("periodo_desde", False),
        ("periodo_hasta", False),
    ]
    with pytest.raises(ValidationFailed) as refused:
        start_forms.start_from_form(sc.ctx, "informe_pqrsd", ANALYST, {"periodo_desde": "marzo"})
    assert "periodo_desde" in refused.value.details
    assert reports(sc) == []


def test_an_inverted_period_is_an_incident_that_names_the_dates(sc: Scenario) -> None:
    started = start_forms.start_from_form(
        sc.ctx, "informe_pqrsd", ANALYST, {"periodo_desde": "2026-03-31", "periodo_hasta": "2026-03-01"}
    )
    assert started.incident is not None
    assert "la fecha final (2026-03-01) es anterior a la inicial (2026-03-31)" in started.incident
    assert sc.open_tasks(started.id) == []
