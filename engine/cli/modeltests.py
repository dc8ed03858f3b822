"""`phva test-model`: the model tests an analyst keeps beside a BPMN, each on a throwaway database."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from engine.cli.base import cli, handled, json_option


@cli.command("test-model")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@json_option
@handled
def test_model_command(files: tuple[Path, ...], as_json: bool) -> None:
    """Corre pruebas de modelo (YAML) en una base de datos en memoria; sale con 1 si alguna falla."""
    from engine.modeltests import runner, spec  # the engine loads only for this command

    tests = [spec.load(path) for path in _expanded(files)]  # every file is checked before any runs
    results = [runner.run_file(t) for t in tests]
    if as_json:
        click.echo(json.dumps([r.to_dict() for r in results], ensure_ascii=False, indent=2))
    else:
        for result in results:
            for line in result.lines():
                click.echo(line)
        failed = sum(not r.ok for r in results)
        click.echo(f"{len(results) - failed} de {len(results)} archivos de prueba pasaron.")
    if any(not r.ok for r in results):
        sys.exit(1)


def _expanded(paths: tuple[Path, ...]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        found.extend(sorted(path.glob("**/*.test.yaml")) if path.is_dir() else [path])
    if not found:
        raise click.BadParameter("no hay archivos *.test.yaml en lo indicado", param_hint="FILES")
    return found
