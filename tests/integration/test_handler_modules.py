"""An entity plugs its own service-task handlers in with PHVA_SERVICE_HANDLERS."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import pytest

from engine.bootstrap import create_context
from engine.context import Context
from engine.errors import BadInput
from engine.workflow import instances
from tests.helpers import deploy_xml, process_xml


def test_handler_module_named_in_settings_runs_the_service_task(
    sqlite_ctx: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "alcaldia_handlers.py").write_text(
        "def register(registry):\n    registry.register('sello', lambda data: {'sellado': data['radicado'] + '-S'})\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    ctx = create_context(
        replace(sqlite_ctx.settings, handler_modules=("alcaldia_handlers",)), clock=sqlite_ctx.clock
    )
    deploy_xml(
        ctx,
        "s.bpmn",
        process_xml(
            '<bpmn:startEvent id="s"/><bpmn:serviceTask id="svc" name="Sellar" camunda:type="external" '
            'camunda:topic="sello"/><bpmn:endEvent id="e"/>'
            '<bpmn:sequenceFlow id="f1" sourceRef="s" targetRef="svc"/><bpmn:sequenceFlow id="f2" sourceRef="svc" targetRef="e"/>'
        ),
    )
    assert instances.start_process(ctx, "prueba", data={"radicado": "2026-000001"}).status == "completed"
    sys.modules.pop("alcaldia_handlers", None)


def test_a_missing_handler_module_is_a_clear_error(sqlite_ctx: Context) -> None:
    with pytest.raises(BadInput, match="no_existe_modulo"):
        create_context(replace(sqlite_ctx.settings, handler_modules=("no_existe_modulo",)))
