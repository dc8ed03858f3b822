"""The monthly PQRSD report: started by its cycle timer, fed by the engine's statistics, reviewed and published."""

from __future__ import annotations

from engine.workflow import timers, views
from tests.scenarios.conftest import Scenario
from tests.scenarios.test_pqrsd import radicar


def test_informe_pqrsd_starts_every_month_and_reports_the_previous_month(sc: Scenario) -> None:
    pqrsd = radicar(sc)
    sc.walk(pqrsd, ("Task_Verificar", {"competente": False}), "Task_Trasladar")
    assert [t["kind"] for t in views.timers(sc.ctx) if t["instance_id"] is None] == ["start"]  # set at deploy
    sc.clock.advance(days=31, hours=1)  # 2 April: the first cycle starts the March report
    assert timers.fire_due_timers(sc.ctx).started == 1
    (report,) = [i["id"] for i in views.instances(sc.ctx, process_key="informe_pqrsd")]
    stats = sc.data_of_task(report, "Task_RedactarInforme")["estadisticas"]
    assert (stats["periodo_desde"], stats["periodo_hasta"]) == ("2026-03-01", "2026-04-01")
    assert (stats["radicadas"], stats["por_resultado"], stats["por_tipo"]) == (
        1,
        {"trasladada": 1},
        {"peticion_general": 1},
    )
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
    assert len(views.instances(sc.ctx, process_key="informe_pqrsd")) == 2
