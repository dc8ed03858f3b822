"""`phva` command line: the same services as the web. Exit codes: 0 done, 1 failed, 2 bad input."""

from __future__ import annotations

import functools
import json
import logging
import os
import secrets
import sys
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import click

from engine.errors import PhvaError
from engine.services import deployments, instances, legal_data, tasks, users, views
from engine.services.context import Context, create_context
from engine.store import schema

F = TypeVar("F", bound=Callable[..., Any])
log = logging.getLogger("phva")


def context() -> Context:
    ctx = click.get_current_context()
    root = ctx.find_root()
    if root.obj is None:
        root.obj = create_context()
    assert isinstance(root.obj, Context)
    return root.obj


def handled(func: F) -> F:
    """Turn domain errors into one clear line and an exit code; never a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return func(*args, **kwargs)
        except PhvaError as error:
            click.echo(f"Error: {error.message}", err=True)
            for field, message in error.details.items():
                click.echo(f"  - {field}: {message}", err=True)
            sys.exit(error.exit_code)
        except (click.exceptions.Exit, click.ClickException, SystemExit):
            raise
        except Exception as error:
            if os.environ.get("PHVA_DEBUG"):
                raise
            log.debug("unexpected error", exc_info=True)
            first_line = str(error).splitlines()[0] if str(error) else ""
            click.echo(
                f"Error inesperado ({type(error).__name__}): {first_line} — "
                "repita con PHVA_DEBUG=1 para ver el detalle.",
                err=True,
            )
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def emit(record: Any, as_json: bool, text: Callable[[Any], Iterable[str]] | None = None) -> None:
    if as_json or text is None:
        click.echo(json.dumps(record, ensure_ascii=False, indent=2, default=str))
    else:
        for line in text(record):
            click.echo(line)


def parse_json(text: str | None, what: str = "--data") -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise click.BadParameter(f"JSON inválido en {what}: {error.msg} (columna {error.colno})") from error


json_option = click.option("--json", "as_json", is_flag=True, help="Imprime JSON.")


@click.group(help="phva: motor PHVA para la atención a la ciudadanía (PQRSD).")
def cli() -> None:
    logging.basicConfig(
        level=os.environ.get("PHVA_LOG_LEVEL", "WARNING"),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


@cli.command(
    "init", help="Crea o actualiza la base de datos, despliega bpmn/ y forms/ y crea el usuario admin."
)
@handled
def init_command() -> None:
    ctx = context()
    schema.upgrade(ctx.db)
    legal_data.ensure_legal_data(ctx, actor="init")
    click.echo(f"Base de datos lista ({_safe_url(ctx.settings.database_url)}).")
    dirs = [d for d in (ctx.settings.bpmn_dir, ctx.settings.forms_dir) if d.is_dir()]
    files = deployments.read_sources(dirs) if dirs else []
    if files:
        outcome = deployments.deploy(ctx, files, actor="init")
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
    outcome = deployments.deploy(ctx, deployments.read_sources(files), check_only=check, actor=_actor())
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


@cli.command("start", help="Inicia una instancia del proceso KEY.")
@click.argument("key")
@click.option("--data", help="Datos iniciales en JSON.")
@click.option("--business-key", help="Clave de negocio (p. ej. el radicado).")
@click.option("--user", help="Usuario que inicia.")
@json_option
@handled
def start_command(
    key: str, data: str | None, business_key: str | None, user: str | None, as_json: bool
) -> None:
    started = instances.start_process(
        context(), key, data=parse_json(data), business_key=business_key, actor=user or _actor()
    )
    emit(
        started.to_dict(),
        as_json,
        lambda r: [
            f"Proceso {r['id']} iniciado ({r['process_key']} v{r['version']}), estado: {r['status']}."
        ],
    )
    if started.incident:
        click.echo(f"Incidente: {started.incident}", err=True)
        sys.exit(1)


@cli.command("tasks", help="Lista tareas abiertas (las del usuario con --user; todas con --all).")
@click.option("--user", help="Usuario cuyas tareas se listan.")
@click.option("--all", "show_all", is_flag=True, help="Todas las tareas abiertas.")
@click.option("--process", "process_key", help="Filtra por clave de proceso.")
@click.option("--instance", "instance_id", type=int, help="Filtra por instancia.")
@json_option
@handled
def tasks_command(
    user: str | None, show_all: bool, process_key: str | None, instance_id: int | None, as_json: bool
) -> None:
    ctx = context()
    if not user and not show_all:
        raise click.UsageError("Indique --user USUARIO o --all.")
    criteria: dict[str, Any] = {"process_key": process_key, "instance_id": instance_id, "limit": 1000}
    if show_all:
        from engine.store.queries import TaskFilter

        f = TaskFilter(see_all=True, **criteria)
    else:
        f = views.task_filter_for(users.get_user(ctx, user or ""), **criteria)
    items, _ = views.tasks(ctx, f)
    emit(items, as_json, lambda rows: [_task_line(t) for t in rows] or ["No hay tareas."])


def _task_line(t: dict[str, Any]) -> str:
    who = t["assignee"] or ",".join(t["candidate_groups"] + t["candidate_users"]) or "-"
    due = f" vence {t['due_at']}" if t["due_at"] else ""
    return f"{t['id']:>5}  {t['name']}  [{t['process_key']} #{t['instance_id']}]  {who}{due}"


@cli.command("claim", help="Reclama una tarea para el usuario.")
@click.argument("task_id", type=int)
@click.option("--user", required=True)
@handled
def claim_command(task_id: int, user: str) -> None:
    tasks.claim_task(context(), task_id, user)
    click.echo(f"Tarea {task_id} reclamada por {user}.")


@cli.command("unclaim", help="Libera una tarea reclamada.")
@click.argument("task_id", type=int)
@click.option("--user", required=True)
@handled
def unclaim_command(task_id: int, user: str) -> None:
    tasks.unclaim_task(context(), task_id, user)
    click.echo(f"Tarea {task_id} liberada.")


@cli.command("assign", help="Asigna una tarea a otro usuario (supervisores y administradores).")
@click.argument("task_id", type=int)
@click.argument("assignee")
@click.option("--user", required=True)
@handled
def assign_command(task_id: int, assignee: str, user: str) -> None:
    tasks.assign_task(context(), task_id, user, assignee)
    click.echo(f"Tarea {task_id} asignada a {assignee}.")


@cli.command("complete", help="Completa una tarea con los datos de su formulario.")
@click.argument("task_id", type=int)
@click.option("--user", required=True)
@click.option("--data", help="Datos del formulario en JSON.")
@json_option
@handled
def complete_command(task_id: int, user: str, data: str | None, as_json: bool) -> None:
    result = tasks.complete_task(context(), task_id, user, parse_json(data))
    emit(
        result, as_json, lambda r: [f"Tarea {task_id} completada; proceso {r['instance_id']}: {r['status']}."]
    )


@cli.command("instances", help="Lista instancias de proceso.")
@click.option("--process", "process_key")
@click.option("--status")
@json_option
@handled
def instances_command(process_key: str | None, status: str | None, as_json: bool) -> None:
    rows = views.instances(context(), process_key=process_key, status=status)
    emit(
        rows,
        as_json,
        lambda rs: (
            [
                f"{r['id']:>5}  {r['process_key']} v{r['version']}  {r['status']}  {r['business_key'] or ''}"
                for r in rs
            ]
            or ["No hay instancias."]
        ),
    )


@cli.command("show", help="Muestra una instancia: tareas, temporizadores, incidentes e historial.")
@click.argument("instance_id", type=int)
@json_option
@handled
def show_command(instance_id: int, as_json: bool) -> None:
    emit(views.instance(context(), instance_id), as_json, _instance_lines)


def _instance_lines(d: dict[str, Any]) -> list[str]:
    lines = [f"Proceso {d['id']}: {d['process_key']} v{d['version']} — {d['status']}"]
    lines += [f"  tarea {t['id']} {t['name']}: {t['state']}" for t in d["tasks"]]
    lines += [f"  temporizador {t['activity']} vence {t['due_at']}" for t in d["timers"]]
    lines += [
        f"  incidente {i['id']} en {i['activity']}: {i['message']}"
        for i in d["incidents"]
        if not i["resolved_at"]
    ]
    lines += [f"  {h['at']} {h['actor'] or 'sistema'}: {h['summary']}" for h in d["history"]]
    return lines


@cli.command("timers", help="Lista temporizadores en espera.")
@click.option("--overdue", is_flag=True, help="Solo los ya vencidos.")
@json_option
@handled
def timers_command(overdue: bool, as_json: bool) -> None:
    emit(
        views.timers(context(), overdue=overdue),
        as_json,
        lambda rs: [_timer_line(r) for r in rs] or ["No hay temporizadores en espera."],
    )


def _timer_line(r: dict[str, Any]) -> str:
    owner = f"proceso {r['instance_id']}" if r["instance_id"] is not None else "inicio de proceso"
    return f"{r['id']:>5}  {owner}  {r['activity']}  {r['kind']}  vence {r['due_at']}"


@cli.command(
    "scheduler", help="Dispara los temporizadores vencidos e inicia los procesos con inicio temporizado."
)
@click.option(
    "--once", is_flag=True, help="Pone al día lo vencido y termina (tras una parada, o desde cron)."
)
@click.option("--batch-size", default=100, show_default=True, type=click.IntRange(1, 10_000))
@click.option(
    "--poll",
    "poll_seconds",
    default=1.0,
    show_default=True,
    type=click.FloatRange(0.05, 60),
    help="Segundos entre consultas de temporizadores nuevos.",
)
@click.option(
    "--max-attempts",
    default=3,
    show_default=True,
    type=click.IntRange(1, 100),
    help="Intentos de disparo antes de abrir un incidente.",
)
@click.option("--name", help="Nombre de este programador en el registro y la auditoría.")
@handled
def scheduler_command(
    once: bool, batch_size: int, poll_seconds: float, max_attempts: int, name: str | None
) -> None:
    from engine.scheduler import TimerScheduler
    from engine.services.timers import RetryPolicy

    if not os.environ.get("PHVA_LOG_LEVEL"):
        logging.getLogger("engine").setLevel(logging.INFO)  # a scheduler logs what it did
    scheduler = TimerScheduler(
        context(),
        worker=name,
        batch_size=batch_size,
        poll_seconds=poll_seconds,
        policy=RetryPolicy(max_attempts=max_attempts),
    )
    if not once:
        scheduler.run_forever()
        return
    report = scheduler.run_once()
    if report is None:
        click.echo(
            "Otro programador está activo sobre esta base de datos SQLite; no se disparó nada.", err=True
        )
        sys.exit(1)
    click.echo(
        f"{report.fired} temporizador(es) disparado(s), {report.started} proceso(s) iniciado(s), "
        f"{report.failed} fallo(s)."
    )


@cli.group("incidents", invoke_without_command=True, help="Lista incidentes abiertos; 'retry ID' reintenta.")
@json_option
@click.pass_context
@handled
def incidents_group(click_ctx: click.Context, as_json: bool) -> None:
    if click_ctx.invoked_subcommand is None:
        emit(
            views.incidents(context()),
            as_json,
            lambda rs: (
                [
                    f"{r['id']:>5}  proceso {r['instance_id']}  {r['activity']}  {r['kind']}: {r['message']}"
                    for r in rs
                ]
                or ["No hay incidentes abiertos."]
            ),
        )


@incidents_group.command("retry", help="Reintenta el paso que falló.")
@click.argument("incident_id", type=int)
@handled
def incidents_retry(incident_id: int) -> None:
    from engine.services.timers import retry_incident

    status = retry_incident(context(), incident_id, actor=_actor())
    click.echo(f"Incidente {incident_id} reintentado; estado del proceso: {status}.")


@cli.command("correlate", help="Entrega un mensaje al proceso que lo espera.")
@click.argument("message")
@click.option("--business-key")
@click.option("--instance", "instance_id", type=int)
@click.option("--data", help="Datos del mensaje en JSON.")
@handled
def correlate_command(
    message: str, business_key: str | None, instance_id: int | None, data: str | None
) -> None:
    target = instances.correlate_message(
        context(),
        message,
        business_key=business_key,
        instance_id=instance_id,
        payload=parse_json(data),
        actor=_actor(),
    )
    click.echo(f"Mensaje '{message}' entregado al proceso {target}.")


@cli.group("users", help="Usuarios, roles y dependencias.")
def users_group() -> None:
    pass


@users_group.command("add", help="Crea un usuario.")
@click.argument("name")
@click.option("--groups", default="", help="Dependencias separadas por comas.")
@click.option("--roles", default="funcionario", help="Roles: funcionario, supervisor, analista, admin.")
@click.option("--password", help="Contraseña (mínimo 8 caracteres).")
@click.option("--display-name")
@click.option("--email")
@json_option
@handled
def users_add(
    name: str,
    groups: str,
    roles: str,
    password: str | None,
    display_name: str | None,
    email: str | None,
    as_json: bool,
) -> None:
    view = users.add_user(
        context(), name, password=password, roles=roles, groups=groups, display_name=display_name, email=email
    )
    emit(view.to_dict(), as_json, lambda r: [f"Usuario '{r['username']}' creado."])


@users_group.command("list", help="Lista usuarios.")
@json_option
@handled
def users_list(as_json: bool) -> None:
    rows = [u.to_dict() for u in users.list_users(context())]
    emit(
        rows,
        as_json,
        lambda rs: [
            f"{r['username']:<20} roles={','.join(r['roles'])} dependencias={','.join(r['groups'])}"
            for r in rs
        ],
    )


@users_group.command("token", help="Emite un token para la API.")
@click.argument("name")
@handled
def users_token(name: str) -> None:
    click.echo(users.issue_token(context(), name))


@users_group.command("password", help="Cambia la contraseña de un usuario.")
@click.argument("name")
@click.password_option()
@handled
def users_password(name: str, password: str) -> None:
    users.set_password(context(), name, password)
    click.echo("Contraseña actualizada.")


def _actor() -> str:
    return os.environ.get("PHVA_USER") or os.environ.get("USER") or "cli"


def _safe_url(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def main() -> None:
    cli(prog_name="phva")


import engine.commands  # noqa: E402,F401  (adds the calendar and pqrsd command groups)
from engine.commands import caracterizacion as _caracterizacion  # noqa: E402,F401
