"""What the script limits cost: per-script and per-condition time, before and after, vs raw SpiffWorkflow.

Run with `python -m bench.scripts [--rounds N] [--before REV]`. Three engines evaluate the same normal script
and gateway condition against the same task data:
- raw: SpiffWorkflow's PythonScriptEngine environment (plain exec/eval, no restrictions);
- before: phva's restricted environment as it was at REV (no time or memory limits), read from git;
- after: phva's restricted environment now (deadline, memory sampling, operator guards, data limits).
Each figure is the best of 5 interleaved medians of N/5 evaluations (µs); the issue's bar is after ≤ 2 × before.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn.script_engine import TaskDataEnvironment

from engine.runtime.scripting import RestrictedEnvironment

ROOT = Path(__file__).resolve().parents[1]
BEFORE = "7cb5e7b^"  # the commit before the limits landed

SCRIPT = """\
total = sum(item['valor'] for item in items)
descuento = total * 0.1 if total > 100 else 0
resumen = f"{nombre.upper()}: {total - descuento:.2f}"
etiquetas = [t.strip().lower() for t in texto.split(',')]
prioridad = 'alta' if 'urgente' in etiquetas else 'normal'
"""
CONDITION = "total > 100 and prioridad == 'alta' or len(etiquetas) > 3"
DATA: dict[str, Any] = {
    "items": [{"valor": v} for v in (30, 45, 80, 12, 9)],
    "nombre": "ana maría",
    "texto": "Queja, urgente, Transporte, ruta 12",
    "tipo": "queja",
    "radicado": "2026-000123",
    "ciudadano": {"documento": "1020304050", "correo": "ana@example.org", "telefono": "3001234567"},
}
AFTER_SCRIPT = {**DATA, "total": 176, "prioridad": "alta", "etiquetas": ["queja", "urgente", "transporte"]}


def _before_environment(rev: str) -> Any:
    source = subprocess.run(
        ["git", "show", f"{rev}:engine/runtime/scripting.py"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    module = types.ModuleType("engine.runtime.scripting_before")
    sys.modules[module.__name__] = module
    exec(compile(source, "scripting_before.py", "exec"), module.__dict__)
    return module.RestrictedEnvironment()


def _median_us(run: Callable[[], Any], rounds: int) -> float:
    for _ in range(min(rounds, 200)):  # warm the compile caches
        run()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        run()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples) * 1e6


def measure(environment: Any, rounds: int) -> tuple[float, float]:
    script = _median_us(lambda: environment.execute(SCRIPT, dict(DATA), {}), rounds)
    condition = _median_us(lambda: environment.evaluate(CONDITION, AFTER_SCRIPT), rounds)
    return script, condition


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5000)
    parser.add_argument("--before", default=BEFORE, help="git revision of the unlimited engine")
    args = parser.parse_args()
    engines: dict[str, Any] = {"raw SpiffWorkflow": TaskDataEnvironment()}
    try:
        engines["before (no limits)"] = _before_environment(args.before)
    except (subprocess.CalledProcessError, OSError) as error:
        print(f"(sin 'before': no se pudo leer {args.before} de git: {error})")
    engines["after (limits)"] = RestrictedEnvironment()
    # interleaved repeats, best median of each: the machine's noise hits every engine alike
    runs = [{name: measure(env, args.rounds // 5) for name, env in engines.items()} for _ in range(5)]
    figures = {name: (min(r[name][0] for r in runs), min(r[name][1] for r in runs)) for name in engines}
    raw_script, raw_condition = figures["raw SpiffWorkflow"]
    print(f"{'engine':22} {'script µs':>10} {'× raw':>6} {'condition µs':>13} {'× raw':>6}")
    for name, (script, condition) in figures.items():
        print(
            f"{name:22} {script:10.1f} {script / raw_script:6.1f} {condition:13.2f} {condition / raw_condition:6.1f}"
        )
    if "before (no limits)" in figures:
        before, after = figures["before (no limits)"], figures["after (limits)"]
        print(
            f"after / before: script {after[0] / before[0]:.2f}×, condition {after[1] / before[1]:.2f}× "
            "(bar: ≤ 2×)"
        )


if __name__ == "__main__":
    main()
