"""`phva init` and `phva deploy`: the database, the models and the first administrator."""

from __future__ import annotations

import os
import secrets
import sys

import click

from engine.cli.base import actor, cli, context, emit, handled, json_option, safe_url
from engine.identity import users
from engine.pqrsd import legal_data
from engine.store import schema
from engine.supervision import counters
from engine.workflow import deployments


@cli.command(
    "init", help="Crea o actualiza la base de datos, despliega bpmn/ y forms/ y crea el usuario admin."
)
@handled
def init_command() -> None:
    ctx = context()
    schema.upgrade(ctx.db)
    legal_data.ensure_legal_data(ctx, actor="init")
    counters.ensure_state(ctx.db, ctx.settings.semaforo_amarillo, ctx.clock.now())  # a changed share, here
    click.echo(f"Base de datos lista ({safe_url(ctx.settings.database_url)}).")
    dirs = [d for d in (ctx.settings.bpmn_dir, ctx.settings.forms_dir) if d.is_dir()]
    files = deployments.read_sources(dirs) if dirs else []
    if files:
        outcome = deployments.deploy(ctx, files, actor="init", create_groups=True)
        _print_outcome(outcome)
        if not outcome.report.ok:
            sys.exit(2)
    if not [u for u in users.list_users(ctx) if u.is_admin]:
        password = os.environ.get("PHVA_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        users.add_user(
            ctx,
            "admin",
            password=password,
            roles=["admin", "supervisor", "analista"],
            display_name="Administrador",
        )
        secret = ctx.settings.instance_dir / "admin-password.txt"
        secret.parent.mkdir(parents=True, exist_ok=True)
        secret.write_text(password + "\n")
        secret.chmod(0o600)
        click.echo(f"Usuario 'admin' creado; su contraseña está en {secret}.")


@cli.command("deploy", help="Despliega archivos .bpmn, .dmn y .form (o valida con --check).")
@click.argument("files", nargs=-1, required=True)
@click.option("--check", is_flag=True, help="Solo valida; no guarda nada.")
@json_option
@handled
def deploy_command(files: tuple[str, ...], check: bool, as_json: bool) -> None:
    ctx = context()
    outcome = deployments.deploy(ctx, deployments.read_sources(files), check_only=check, actor=actor())
    if as_json:
        emit(outcome.to_dict(), True)
    else:
        _print_outcome(outcome)
    if not outcome.report.ok:
        sys.exit(2)


def _print_outcome(outcome: deployments.DeployOutcome) -> None:
    for problem in outcome.report.problems:
        click.echo(problem.format(), err=problem.severity == "error")
    if not outcome.report.ok:
        click.echo(
            f"Despliegue rechazado: {len(outcome.report.errors)} error(es); no se guardó nada.", err=True
        )
        return
    if outcome.checked_only:
        click.echo(f"Validación correcta ({len(outcome.report.warnings)} aviso(s)).")
        return
    for item in outcome.new_versions:
        click.echo(f"Desplegado {item['kind']} '{item['key']}' versión {item['version']} ({item['file']}).")
    for item in outcome.unchanged:
        click.echo(f"Sin cambios {item['kind']} '{item['key']}' (sigue en la versión {item['version']}).")
    if outcome.created_groups:
        click.echo(f"Dependencias creadas para los modelos: {', '.join(outcome.created_groups)}.")
