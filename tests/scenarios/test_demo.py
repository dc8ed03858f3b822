"""`phva demo` on a small scale: three months of PQRSD through the real services, on a moved clock, leave the
tray, the report, the monthly reports and the follow-up with real data; bad arguments change nothing."""

from __future__ import annotations

import shutil
from collections import Counter
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine.bootstrap import create_context
from engine.config import Settings
from engine.demo import volumes
from engine.demo.year import DemoResult, run_demo
from engine.errors import BadInput
from engine.identity import users
from engine.pqrsd import tray
from engine.reports import pqrsd as report
from engine.scheduler import SqliteLock
from engine.workflow import views
from web.cli import cli

TODAY = date(2026, 4, 1)  # the demo of 2026 stops yesterday: January to March


@pytest.fixture
def settings(tmp_path: Path, deployed_template: Path) -> Settings:
    target = tmp_path / "phva.db"
    shutil.copy(deployed_template, target)
    return Settings(database_url=f"sqlite:///{target}", instance_dir=tmp_path / "instance")


@pytest.fixture
def quarter(settings: Settings) -> DemoResult:
    return run_demo(settings, year=2026, seed=7, cases=60, today=TODAY)


def test_demo_files_the_cases_through_radicacion_with_the_seed_documents_mix(
    settings: Settings, quarter: DemoResult
) -> None:
    assert (quarter.start, quarter.end, quarter.cases) == (date(2026, 1, 1), date(2026, 3, 31), 60)
    assert quarter.problems == []
    assert quarter.by_channel.most_common(1)[0][0] == "formulario_web"
    assert set(quarter.by_channel) <= set(volumes.CHANNELS) and len(quarter.by_type) >= 5
    ctx = create_context(settings)
    users.add_user(ctx, "jefa", roles="admin")
    page = tray.cases(ctx, "jefa", tray.CaseQuery(limit=100))
    assert page["total"] == 60
    assert {r["radicado"] for r in page["items"]} == {f"2026-{n:06d}" for n in range(1, 61)}  # radicación's
    estados = Counter(r["estado"] for r in page["items"])
    assert estados["cerrada"] > 30 and estados.keys() & {"en_tramite", "prorrogada", "en_requerimiento"}
    figures = report.build_report(ctx, date(2026, 1, 1), date(2026, 3, 31))
    assert figures.totals["recibidas"] == 60
    assert {c.key: c.total for c in figures.by_block["por_canal"]} == dict(quarter.by_channel)
    oportunidad = figures.indicator("oportunidad")
    assert oportunidad.denominator > 20 and oportunidad.value is not None
    assert figures.indicator("canal_presencial").denominator > 1000  # the counter's turns, imported daily
    assert figures.indicator("calidad").denominator == quarter.reviews > 0  # the supervisor's monthly sample
    ctx.db.dispose()


def test_demo_runs_the_monthly_reports_and_the_follow_up_that_acts_on_every_indicator_below_goal(
    settings: Settings, quarter: DemoResult
) -> None:
    ctx = create_context(settings)
    informes = views.instances(ctx, process_key="informe_pqrsd")
    assert quarter.reports == len(informes) == 2  # January's on 2 February, February's on 2 March
    assert all(i["started_by"] == "analista" for i in informes)
    [follow] = views.instances(ctx, process_key="seguimiento_relacionamiento")
    assert follow["status"] == "completed"  # started 2 March for January and February, walked to its end
    below = {
        i.key for i in report.indicators(ctx, date(2026, 1, 1), date(2026, 2, 28)) if i.meets_goal is False
    }
    actions = views.instances(ctx, process_key="accion_mejora")
    assert sorted(a["business_key"] for a in actions) == sorted(
        f"mejora-{k}-20260101-20260228" for k in below
    )
    assert quarter.improvement_actions == len(actions)
    ctx.db.dispose()


def test_demo_refuses_a_database_with_pqrsd_unless_forced(settings: Settings, quarter: DemoResult) -> None:
    with pytest.raises(BadInput, match="ya tiene 60 PQRSD"):
        run_demo(settings, year=2026, cases=5, today=TODAY)


def test_demo_refuses_while_a_scheduler_serves_the_database(settings: Settings) -> None:
    serving = SqliteLock.for_url(settings.database_url)
    assert serving is not None and serving.acquire()  # as `phva serve` holds it
    try:
        with pytest.raises(BadInput, match="deténgalo mientras se carga la demostración"):
            run_demo(settings, year=2026, cases=5, today=TODAY)
    finally:
        serving.release()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--cases", "0"], "--cases"),
        (["--year", "2100"], "El año 2100 aún no ha transcurrido"),
        (["--year", "dos mil"], "--year"),
        (["--seed", "x"], "--seed"),
    ],
)
def test_demo_bad_arguments_exit_2_with_the_reason_and_file_nothing(
    settings: Settings, args: list[str], message: str
) -> None:
    env = {"PHVA_DATABASE_URL": settings.database_url, "PHVA_INSTANCE_DIR": str(settings.instance_dir)}
    result = CliRunner().invoke(cli, ["demo", *args], env=env)
    assert result.exit_code == 2, result.output
    assert message in result.output
    ctx = create_context(settings)
    assert tray.cases(ctx, users.add_user(ctx, "jefa", roles="admin"), tray.CaseQuery())["total"] == 0
    ctx.db.dispose()
