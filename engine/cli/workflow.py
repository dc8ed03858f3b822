"""`phva` commands for running processes: start, tasks, instances, timers, the scheduler, incidents, messages,
signals."""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

import click

from engine.cli import overdue as overdue_cli
from engine.cli.base import actor, cli, context, emit, handled, json_option, parse_json
from engine.identity import users
from engine.scheduler import TimerScheduler
from engine.workflow import incidents, instances, signals, tasks, views
from engine.workflow.timers import RetryPolicy


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
        context(), key, data=parse_json(data), business_key=business_key, actor=user or actor()
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
        f = views.TaskFilter(see_all=True, **criteria)
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
@click.option(
    "--confirmar", "confirmed", is_flag=True, help="Confirma una decisión que el modelo pide confirmar."
)
@json_option
@handled
def complete_command(task_id: int, user: str, data: str | None, confirmed: bool, as_json: bool) -> None:
    result = tasks.complete_task(context(), task_id, user, parse_json(data), confirmed=confirmed).to_dict()
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


# `phva timers` itself runs engine.cli.overdue (no engine start-up); this is the same command for
# `flask --app web timers` and the tests' CliRunner.
@cli.command("timers", help="Lista temporizadores en espera (los primeros --limit, por vencimiento).")
@click.option("--overdue", is_flag=True, help="Solo los ya vencidos.")
@click.option(
    "--limit",
    type=click.IntRange(1, 100_000),
    default=overdue_cli.DEFAULT_LIMIT,
    show_default=True,
    help="Cuántos como máximo.",
)
@json_option
@handled
def timers_command(overdue: bool, limit: int, as_json: bool) -> None:
    emit(
        views.timers(context(), overdue=overdue, limit=limit),
        as_json,
        lambda rs: [overdue_cli.line(r) for r in rs] or ["No hay temporizadores en espera."],
    )


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
@click.option(
    "--lease",
    "lease_seconds",
    default=60.0,
    show_default=True,
    type=click.FloatRange(1, 86_400),
    help="Segundos tras los cuales un disparo sin terminar (el proceso murió) cuenta como intento fallido "
    "y se reintenta.",
)
@click.option("--name", help="Nombre de este programador en el registro y la auditoría.")
@handled
def scheduler_command(
    once: bool,
    batch_size: int,
    poll_seconds: float,
    max_attempts: int,
    lease_seconds: float,
    name: str | None,
) -> None:

    if not os.environ.get("PHVA_LOG_LEVEL"):
        logging.getLogger("engine").setLevel(logging.INFO)  # a scheduler logs what it did
    scheduler = TimerScheduler(
        context(),
        worker=name,
        batch_size=batch_size,
        poll_seconds=poll_seconds,
        policy=RetryPolicy(max_attempts=max_attempts, lease_seconds=lease_seconds),
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
    status = incidents.retry_incident(context(), incident_id, actor=actor())
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
        actor=actor(),
    )
    click.echo(f"Mensaje '{message}' entregado al proceso {target}.")


@cli.command(
    "signal",
    help="Difunde una señal: la reciben todos los procesos que la esperan y se inician los que "
    "empiezan con ella.",
)
@click.argument("name")
@click.option("--data", help="Variables que reciben los procesos alcanzados, en JSON.")
@json_option
@handled
def signal_command(name: str, data: str | None, as_json: bool) -> None:
    outcome = signals.send_signal(context(), name, payload=parse_json(data), actor=actor())
    if as_json:
        emit(outcome.to_dict(), True)
        return
    reached = ", ".join(str(i) for i in outcome.delivered) or "ninguno"
    started = ", ".join(str(i) for i in outcome.started) or "ninguno"
    click.echo(
        f"Señal '{outcome.name}' difundida. Procesos que la recibieron: {reached}. Iniciados: {started}."
    )
