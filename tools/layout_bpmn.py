"""Writes bpmn/*.bpmn and forms/*.form from the compact process data in bpmn/model/.

The output is what Camunda Modeler 5 (Camunda Platform 7) saves: a collaboration with one pool, lanes as
horizontal bands, full diagram interchange (a shape for every flow node, lane and boundary event, an edge
with waypoints for every flow) laid out left to right, and one Camunda Forms file per user task.
The files stay editable in Camunda Modeler; rerun this tool only if you keep editing the Python data.

    python tools/layout_bpmn.py            # regenerate
    python tools/layout_bpmn.py --check    # fail if the committed files differ from the data
                                           # or a label or a line covers what it should not
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling modules, also when loaded by path
from bpmn_documents import Decision, _user_tasks, bpmn_document, dmn_document, form_document
from bpmn_geometry import flow_crossings, label_overlaps, wrap
from bpmn_layout import Body, Field, Flow, Lane, Node, Process

# what bpmn/model/*.py and the tests take from here
__all__ = [
    "Body",
    "Decision",
    "Field",
    "Flow",
    "Lane",
    "Node",
    "Process",
    "dmn_document",
    "flow_crossings",
    "label_overlaps",
    "wrap",
]

ROOT = Path(__file__).resolve().parents[1]


# ---- driver ---------------------------------------------------------------------------------------------
def load_model() -> tuple[list[Process], dict[str, bytes]]:
    """The processes and the extra files (DMN) from bpmn/model/*.py (each module exports PROCESSES/FILES)."""
    processes: list[Process] = []
    extra: dict[str, bytes] = {}
    sys.dont_write_bytecode = True  # keep bpmn/model free of __pycache__
    sys.path[:0] = [str(ROOT / "tools"), str(ROOT / "bpmn" / "model")]
    for path in sorted((ROOT / "bpmn" / "model").glob("*.py")):
        if path.name.startswith("_"):
            continue
        spec = importlib.util.spec_from_file_location(f"bpmn_model_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        processes.extend(getattr(module, "PROCESSES", []))
        extra.update(getattr(module, "FILES", {}))
    return processes, extra


def outputs() -> dict[Path, bytes]:
    processes, extra = load_model()
    files: dict[Path, bytes] = {}
    for process in processes:
        files[ROOT / "bpmn" / (process.file or f"{process.key}.bpmn")] = bpmn_document(process)
        for task in _user_tasks(process.body):
            if task.form and task.fields is not None:
                text = form_document(task.form, task.name, task.doc, task.fields)
                files[ROOT / "forms" / f"{task.form}.form"] = text.encode()
    for name, content in extra.items():
        files[ROOT / name] = content
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--check", action="store_true", help="only compare with the files on disk; check labels and lines"
    )
    args = parser.parse_args(argv)
    stale = []
    for path, content in outputs().items():
        if args.check:
            if not path.exists() or path.read_bytes() != content:
                stale.append(path)
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    if stale:
        print("Desactualizados: " + ", ".join(str(p.relative_to(ROOT)) for p in stale), file=sys.stderr)
    crowded = [
        f"{path.relative_to(ROOT)}: {problem}"
        for path in sorted((ROOT / "bpmn").glob("*.bpmn"))
        for problem in label_overlaps(path.read_bytes()) + flow_crossings(path.read_bytes())
    ]
    for problem in crowded:
        print(problem, file=sys.stderr)
    return 1 if stale or crowded else 0


if __name__ == "__main__":
    sys.exit(main())
