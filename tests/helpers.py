"""Small steps the integration tests share: deploy test files, find tasks, make users."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from click.testing import CliRunner, Result

from engine.context import Context
from engine.identity import users
from engine.modeling.definitions import SourceFile
from engine.store.definitions import latest_definition
from engine.store.uow import UnitOfWork
from engine.workflow import deployments, instances, tasks, views
from engine.workflow.views import TaskFilter

DATA = Path(__file__).with_name("data")
# What a task record carries in JSON, from `phva tasks --json` as from the API (README: «Una tarea en JSON»).
TASK_FIELDS = {"id", "instance_id", "process_key", "name", "state", "assignee", "candidate_groups",
               "candidate_users", "due_at", "priority", "form"}  # fmt: skip
SOLICITUD = ("solicitud.bpmn", "encuesta.bpmn", "clasificar_solicitud.dmn", "encuesta_satisfaccion.form")


def deploy_files(ctx: Context, *names: str) -> deployments.DeployOutcome:
    outcome = deployments.deploy(ctx, [SourceFile(n, (DATA / n).read_bytes()) for n in names])
    assert outcome.report.ok, outcome.report.format()
    return outcome


def deploy_xml(ctx: Context, name: str, xml: str) -> deployments.DeployOutcome:
    outcome = deployments.deploy(ctx, [SourceFile(name, xml.encode())])
    assert outcome.report.ok, outcome.report.format()
    return outcome


def start_model(
    ctx: Context, key: str, data: dict[str, Any] | None = None, business_key: str | None = None
) -> instances.StartedInstance:
    """Start a model the way its feature does (radicación starts `pqrsd`), past the by-hand start guards."""
    with UnitOfWork(ctx.db) as uow:
        definition = latest_definition(uow.session, key)
        started = instances.start_in(ctx, uow.session, definition, dict(data or {}), business_key, "test")
        uow.commit()
    return started


def open_tasks(ctx: Context, instance_id: int) -> list[dict[str, Any]]:
    items, _ = views.tasks(ctx, TaskFilter(see_all=True, instance_id=instance_id))
    return items


def task_named(ctx: Context, instance_id: int, name: str) -> dict[str, Any]:
    found = [t for t in open_tasks(ctx, instance_id) if t["name"] == name]
    assert found, f"no open task '{name}' in {[t['name'] for t in open_tasks(ctx, instance_id)]}"
    return found[0]


def task_names(ctx: Context, instance_id: int) -> list[str]:
    return sorted(t["name"] for t in open_tasks(ctx, instance_id))


def complete_named(ctx: Context, instance_id: int, name: str, data: dict[str, Any] | None = None) -> Any:
    """Complete the instance's open task called `name` as root (an admin)."""
    return tasks.complete_task(ctx, task_named(ctx, instance_id, name)["id"], "root", data or {})


def staff(ctx: Context) -> None:
    users.add_user(ctx, "ana", groups="atencion_ciudadano", password="secreto123")
    users.add_user(ctx, "beto", groups="atencion_ciudadano")
    users.add_user(ctx, "juan", groups="juridica")
    users.add_user(ctx, "sofia", groups="supervisores,atencion_ciudadano", roles="supervisor")
    users.add_user(ctx, "root", roles="admin")


def process_xml(body: str, pid: str = "prueba", name: str = "Prueba") -> str:
    """A minimal executable Camunda 7 process around `body` (no diagram: tests only)."""
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
  xmlns:camunda="http://camunda.org/schema/1.0/bpmn"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="Defs_{pid}" targetNamespace="http://bpmn.io/schema/bpmn">
  <bpmn:process id="{pid}" name="{name}" isExecutable="true">
{body}
  </bpmn:process>
</bpmn:definitions>"""


def flow(*pairs: str) -> str:
    """Sequence flows "a>b", "b>c" with ids f0, f1…"""
    return "".join(
        f'<bpmn:sequenceFlow id="f{i}" sourceRef="{a}" targetRef="{b}"/>'
        for i, (a, b) in enumerate(p.split(">") for p in pairs)
    )


def accepts(*names: str) -> str:
    """The extension a task with no form needs to accept data on completion (`phva:variables`)."""
    return (
        '<bpmn:extensionElements><camunda:properties><camunda:property name="phva:variables" '
        f'value="{", ".join(names)}"/></camunda:properties></bpmn:extensionElements>'
    )


def phva_runner(**env: str) -> Callable[..., Result]:
    """`phva ARGS…` run in this process (click's CliRunner) with these PHVA_* settings; errors propagate."""
    from web.cli import cli

    runner = CliRunner()

    def run(*args: str) -> Result:
        return runner.invoke(cli, list(args), env=env, catch_exceptions=False)

    return run
