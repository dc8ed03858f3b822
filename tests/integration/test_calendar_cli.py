"""`phva calendar …` and `phva pqrsd …` as a user types them: first lines, JSON, exit codes, nothing written."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select

from engine.cli.base import cli
from engine.clock import FrozenClock
from engine.context import Context
from engine.store.legal_tables import CalendarClosure, PqrsdCase
from engine.store.tables import AuditEvent
from engine.store.uow import UnitOfWork
from tests.conftest import DATA


def run(
    ctx: Context | None, *args: str, stdin: str | None = None, env: dict[str, str] | None = None
) -> Result:
    return CliRunner().invoke(cli, list(args), obj=ctx, input=stdin, env=env)


FILER = ("--nombre", "Ana Pérez", "--asunto", "Certificado", "--descripcion", "Solicito un certificado.")


def rows(ctx: Context, model: type) -> int:
    with UnitOfWork(ctx.db, write=False) as uow:
        return uow.session.scalar(select(func.count()).select_from(model)) or 0


def test_due_prints_the_date_first_and_explains_on_request(ctx: Context) -> None:
    plain = run(ctx, "calendar", "due", "--from", "2026-07-10T17:30:00-05:00", "--days", "15")
    explained = run(ctx, "calendar", "due", "--from", "2026-07-10 17:30", "--days", "15", "--explain")

    assert plain.exit_code == 0 and plain.stdout == "2026-08-05\n"
    lines = explained.stdout.splitlines()
    assert lines[0] == "2026-08-05"
    assert "Fecha de radicación: martes 14 de julio de 2026" in lines[2]
    assert any("Chiquinquirá" in line for line in lines)
    assert lines[-1].startswith("Vence el miércoles 5 de agosto de 2026 a las 23:59:59")


def test_due_in_json_and_in_other_units(ctx: Context) -> None:
    result = run(ctx, "calendar", "due", "--from", "2026-01-30", "--days", "1", "--unit", "meses", "--json")
    record = json.loads(result.stdout)
    assert (record["due_date"], record["unit"]) == ("2026-03-02", "meses")
    calendario = run(
        ctx, "calendar", "due", "--from", "2026-03-27T10:00", "--days", "5", "--unit", "calendario"
    )
    assert calendario.stdout.splitlines()[0] == "2026-04-01"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2026-02-30", "--days", "15"], "Fecha u hora inexistente"),
        (["--from", "mañana", "--days", "15"], "Fecha u hora no válida"),
        (["--from", "2026-03-02", "--days", "quince"], "Número de días no válido"),
        (["--from", "2026-03-02", "--days", "-3"], "Número de días no válido"),
        (["--from", "2026-03-02", "--days", "3", "--unit", "semanas"], "Unidad no válida"),
        (["--days", "3"], "Indique --from"),
    ],
)
def test_bad_dates_and_numbers_are_one_line_exit_2_and_write_nothing(
    ctx: Context, args: list[str], message: str
) -> None:
    result = run(ctx, "calendar", "due", *args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert len(result.stderr.strip().splitlines()) == 1 and message in result.stderr
    assert rows(ctx, AuditEvent) == 0


def test_batch_reads_lines_and_prints_them_with_the_due_date_in_order(ctx: Context) -> None:
    vectors = (DATA / "pqrsd_due_dates.csv").read_text(encoding="utf-8").splitlines()[1:]
    fields = [line.split(",") for line in vectors]
    stdin = "filed_at,days\n" + "".join(f"{f[0]},{f[2]}\n" for f in fields) + "\n"

    result = run(ctx, "calendar", "due", "--batch", stdin=stdin)

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == ["filed_at,days,due_date"] + [
        f"{f[0]},{f[2]},{f[3]}" for f in fields
    ]


def test_batch_with_a_bad_line_names_it_and_prints_nothing(ctx: Context) -> None:
    result = run(ctx, "calendar", "due", "--batch", stdin="2026-03-02T10:00,5\n2026-03-32T10:00,5\n")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Línea 2" in result.stderr and "2026-03-32" in result.stderr


def test_holidays_of_a_year(ctx: Context) -> None:
    text = run(ctx, "calendar", "holidays", "2027")
    listed = json.loads(run(ctx, "calendar", "holidays", "2027", "--json").stdout)

    assert text.stdout.splitlines()[0].startswith("2027-01-01  viernes    Año Nuevo")
    assert len(listed) == 19 and listed[10]["date"] == "2027-07-12"
    assert run(ctx, "calendar", "holidays", "dos mil").exit_code == 2


def test_close_and_reopen_report_the_recalculated_cases(ctx: Context, clock: FrozenClock) -> None:
    clock.set(datetime(2026, 12, 18, 14, 0, tzinfo=UTC))
    filed = run(ctx, "pqrsd", "radicar", "--tipo", "informacion_documentos", "--recibido", "2026-12-18T08:00",
                "--canal", "formulario_web", *FILER, "--json")  # fmt: skip
    radicado = json.loads(filed.stdout)["radicado"]

    closed = run(
        ctx, "calendar", "close", "2026-12-24", "--reason", "Nochebuena", "--act", "Resolución 10 de 2026"
    )
    again = run(ctx, "calendar", "close", "2026-12-24", "--reason", "Nochebuena")
    reopened = run(ctx, "calendar", "reopen", "2026-12-24", "--json")

    assert closed.exit_code == 0, closed.stderr
    assert closed.stdout.splitlines()[:3] == [
        "Cierre registrado el jueves 24 de diciembre de 2026: Nochebuena (Resolución 10 de 2026).",
        "Radicados recalculados: 1.",
        f"  {radicado}: 2027-01-05 → 2027-01-06",
    ]
    assert again.exit_code == 2 and "ya está registrado" in again.stderr
    assert json.loads(reopened.stdout)["changed"] == 1
    assert json.loads(run(ctx, "pqrsd", "consultar", radicado, "--json").stdout)["due_date"] == "2027-01-05"
    assert run(ctx, "calendar", "reopen", "2026-12-24").exit_code == 2
    assert run(ctx, "calendar", "close", "24/12/2026", "--reason", "x").exit_code == 2
    assert rows(ctx, CalendarClosure) == 1


def test_radicar_prints_radicado_and_due_date_and_consultar_explains(
    ctx: Context, clock: FrozenClock
) -> None:
    clock.set(datetime(2026, 7, 13, 14, 0, tzinfo=UTC))
    filed = run(ctx, "pqrsd", "radicar", "--tipo", "peticion_general", "--recibido", "10/07/2026 17:30",
                "--asunto", "Alumbrado", "--descripcion", "Poste sin luz",
                "--nombre", "Ana Pérez", "--correo", "ana@example.org")  # fmt: skip
    shown = run(ctx, "pqrsd", "consultar", "2026-000001", "--explain")

    assert filed.exit_code == 0, filed.stderr
    assert filed.stdout.splitlines()[:2] == [
        "Radicado: 2026-000001",
        "Fecha de vencimiento: 2026-08-05 (miércoles 5 de agosto de 2026, 23:59:59)",
    ]
    assert any("Chiquinquirá" in line for line in shown.stdout.splitlines())
    assert run(ctx, "pqrsd", "consultar", "2026-999999").exit_code == 2
    bad = run(ctx, "pqrsd", "radicar", "--tipo", "peticion_general", "--recibido", "ayer", *FILER,
              "--correo", "ana@", "--tipo-documento", "CC", "--documento", "12AB")  # fmt: skip
    assert bad.exit_code == 2 and rows(ctx, PqrsdCase) == 1
    assert "fecha_recibo: Fecha no válida: «ayer»" in bad.stderr
    assert "correo: No es un correo electrónico válido" in bad.stderr
    assert "numero_documento: No es un número de cédula de ciudadanía válido." in bad.stderr


def test_terms_are_listed_and_edited_as_new_versions(ctx: Context) -> None:
    listed = json.loads(run(ctx, "pqrsd", "terms", "--json").stdout)
    text = run(ctx, "pqrsd", "terms").stdout.splitlines()
    changed = run(ctx, "pqrsd", "terms", "set", "consulta", "--days", "25", "--from", "2026-04-01",
                  "--note", "Prueba")  # fmt: skip
    versions = json.loads(run(ctx, "pqrsd", "terms", "versions", "--json").stdout)

    assert listed["version"] == 1
    assert any(
        r["kind"] == "peticion_general" and r["amount"] == 15 and r["valid_to"] is None
        for r in listed["rows"]
    )
    assert text[0].startswith("Tabla de términos versión 1")
    assert any(line.split()[:3] == ["consulta", "30", "habiles"] for line in text)
    assert changed.exit_code == 0 and changed.stdout.startswith("Tabla de términos versión 2: Prueba")
    assert [v["version"] for v in versions] == [1, 2]
    current = json.loads(run(ctx, "pqrsd", "terms", "--json").stdout)["rows"]
    assert [r["amount"] for r in current if r["kind"] == "consulta"][-2:] == [30, 25]
    assert run(ctx, "pqrsd", "terms", "set", "consulta", "--days", "x").exit_code == 2


def test_calendar_due_works_in_a_fresh_directory_without_init(tmp_path: Path) -> None:
    env = {"PHVA_INSTANCE_DIR": str(tmp_path / "instance"), "PHVA_DATABASE_URL": ""}
    result = run(None, "calendar", "due", "--from", "2026-03-27T10:00", "--days", "15", env=env)
    batch = run(None, "calendar", "due", "--batch", stdin="2026-11-13T17:30,10\n", env=env)
    closing = run(None, "calendar", "close", "2026-12-24", "--reason", "Nochebuena", env=env)

    assert result.stdout == "2026-04-21\n"
    assert batch.stdout == "2026-11-13T17:30,10,2026-12-01\n"
    assert closing.exit_code == 1 and "phva init" in closing.stderr
    assert not (tmp_path / "instance" / "phva.db").exists()
