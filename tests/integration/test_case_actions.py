"""Legal actions on a case by hand (CLI and service), where no process runs it: each follows the law or says why not."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner

from engine.cli import cli
from engine.clock import FrozenClock
from engine.context import Context
from engine.errors import ValidationFailed
from engine.identity import users
from engine.pqrsd import case_actions, radicacion
from engine.pqrsd.actions import ActionRefused

FILING = {"tipo": "peticion_general", "canal": "presencial_ventanilla", "fecha_recibo": "18/03/2026 10:00",
          "asunto": "Licencia", "descripcion": "Solicito información.", "nombre": "Rosa Díaz"}  # fmt: skip


@pytest.fixture
def case(ctx: Context, clock: FrozenClock) -> str:
    clock.set(datetime(2026, 3, 18, 16, 0, tzinfo=UTC))
    users.add_user(ctx, "ana", groups="atencion_ciudadano")
    return str(radicacion.file_pqrsd(ctx, FILING, actor="ana")["radicado"])


def test_a_requerimiento_moves_the_due_date_by_exactly_the_days_suspended(ctx: Context, case: str) -> None:
    """PQRSD_RULES §2.6: filed Wed 18 Mar, required Wed 25 Mar (4 days used), complied Wed 8 Apr → 23 Apr."""
    assert radicacion.consultar(ctx, case)["due_date"] == "2026-04-13"
    suspended = case_actions.act(
        ctx, case, "requerimiento", {"faltantes": "Copia del plano", "fecha": "25/03/2026 09:00"}, "ana"
    )
    assert (suspended["status"], suspended["due_date"]) == ("en_requerimiento", None)
    resumed = case_actions.act(ctx, case, "reanudar", {"fecha": "08/04/2026 11:00"}, "ana")
    assert (resumed["status"], resumed["due_date"]) == ("en_tramite", "2026-04-23")
    with pytest.raises(ActionRefused, match="no tiene un requerimiento pendiente"):
        case_actions.act(ctx, case, "reanudar", {}, "ana")


def test_a_late_requerimiento_is_refused_with_its_deadline(ctx: Context, case: str) -> None:
    # 10 business days from Wed 18 Mar 2026: 23 Mar, 2 and 3 Apr are holidays
    with pytest.raises(ActionRefused, match="a más tardar el lunes 6 de abril de 2026"):
        case_actions.act(
            ctx, case, "requerimiento", {"faltantes": "Plano", "fecha": "07/04/2026 09:00"}, "ana"
        )


def test_a_second_prorroga_and_a_late_one_are_refused_with_the_reason(ctx: Context, case: str) -> None:
    late = {"motivo": "Consulta a otra dependencia", "fecha_aviso": "14/04/2026 09:00"}
    with pytest.raises(ActionRefused, match="antes del vencimiento original"):
        case_actions.act(ctx, case, "prorrogar", late, "ana")
    extended = case_actions.act(ctx, case, "prorrogar", {**late, "fecha_aviso": "10/04/2026 09:00",
                                                         "nueva_fecha": "30/04/2026"}, "ana")  # fmt: skip
    assert (extended["status"], extended["due_date"]) == ("prorrogada", "2026-04-30")
    with pytest.raises(ActionRefused, match="una sola vez"):
        case_actions.act(ctx, case, "prorrogar", {**late, "fecha_aviso": "20/04/2026 09:00"}, "ana")
    with pytest.raises(ActionRefused, match="supera el máximo legal"):
        other = str(radicacion.file_pqrsd(ctx, FILING, actor="ana")["radicado"])
        case_actions.act(ctx, other, "prorrogar", {**late, "fecha_aviso": "10/04/2026 09:00",
                                                   "nueva_fecha": "30/06/2026"}, "ana")  # fmt: skip


def test_a_traslado_ends_the_case_and_nothing_follows(ctx: Context, case: str) -> None:
    moved = case_actions.act(
        ctx, case, "trasladar", {"entidad": "Superintendencia de Salud", "oficio": "S-77"}, "ana"
    )
    assert moved["status"] == "trasladada" and moved["traslado"]["dentro_de_termino"] is True
    with pytest.raises(ActionRefused, match="está cerrada"):
        case_actions.act(ctx, case, "responder", {"medio": "correo"}, "ana")


def test_bad_parameters_are_per_field_and_strangers_are_forbidden(ctx: Context, case: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        case_actions.act(ctx, case, "archivar", {"fecha": "ayer"}, "ana")
    assert set(refused.value.details) == {"motivo", "fecha"}
    users.add_user(ctx, "pepe", groups="juridica")
    with pytest.raises(Exception, match="No tiene acceso"):
        case_actions.act(ctx, case, "responder", {"medio": "correo"}, "pepe")


def test_the_cli_takes_the_same_actions(ctx: Context, case: str) -> None:
    run = CliRunner()
    answered = run.invoke(cli, ["pqrsd", "responder", case, "--medio", "correo electrónico", "--radicado-salida",
                                "S-2026-10", "--json"], obj=ctx, env={"PHVA_USER": "ana"})  # fmt: skip
    assert answered.exit_code == 0, answered.stderr
    assert json.loads(answered.stdout)["status"] == "respondida"
    again = run.invoke(cli, ["pqrsd", "prorrogar", case, "--motivo", "x"], obj=ctx, env={"PHVA_USER": "ana"})
    assert (
        again.exit_code == 1 and "está cerrada (respondida)" in again.stderr
    )  # one clear line, no traceback
