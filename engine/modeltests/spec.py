"""Reading a model-test file: YAML checked against its JSON Schema, with the problems told in Spanish."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from glob import glob
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from engine.errors import BadInput
from engine.modeling.definitions import SourceFile

SCHEMA_PATH = Path(__file__).with_name("model_test.schema.json")
MAX_BYTES = 1_000_000


@dataclass(frozen=True)
class Step:
    kind: str  # complete | expect_tasks | advance | message | signal | expect_variables | expect_status
    value: Any


@dataclass(frozen=True)
class Scenario:
    name: str
    process: str
    business_key: str | None
    data: dict[str, Any]
    starter: str
    steps: tuple[Step, ...]
    expect: dict[str, Any]
    radicar: dict[str, Any] | None = None  # a PQRSD filed through the radicación, instead of `process`


@dataclass(frozen=True)
class ModelTestFile:
    path: Path
    files: tuple[Path, ...]  # on disk (empty for an uploaded test)
    sources: tuple[SourceFile, ...]
    refused: tuple[dict[str, Any], ...] | None  # None: the deploy must be accepted
    clock: datetime | None
    users: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    scenarios: tuple[Scenario, ...] = ()
    source: str | None = None
    fill_forms: bool = True


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def load(path: Path) -> ModelTestFile:
    """The file, or BadInput naming the first problems (where in the file, and what)."""
    try:
        raw = path.read_bytes()
    except OSError as error:
        raise BadInput(f"No se pudo leer la prueba de modelo {path}: {error.strerror}.") from error
    document = _document(path, raw)
    files = _files(path, document)
    return _test_file(path, document, tuple(SourceFile(f.name, f.read_bytes()) for f in files), files)


def load_uploaded(name: str, raw: bytes, uploaded: Mapping[str, bytes]) -> ModelTestFile:
    """A model test sent with its models (the model page): `files` names the uploaded files."""
    path = Path(name)
    document = _document(path, raw)
    missing = [n for n in document["files"] if Path(n).name not in uploaded]
    if missing:
        raise BadInput(f"{name}: suba también {', '.join(missing)}.", {"files": ", ".join(missing)})
    names = list(dict.fromkeys(Path(n).name for n in document["files"]))
    return _test_file(path, document, tuple(SourceFile(n, uploaded[n]) for n in names), ())


def _document(path: Path, raw: bytes) -> dict[str, Any]:
    if len(raw) > MAX_BYTES:
        raise BadInput(f"La prueba de modelo {path} pasa de {MAX_BYTES // 1000} KB.")
    try:
        document = yaml.safe_load(raw.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as error:
        raise BadInput(f"{path}: no es YAML válido en UTF-8: {_first_line(error)}") from error
    problems = sorted(_validator().iter_errors(document), key=lambda e: list(e.absolute_path))
    if problems:
        details = {_where(p): _spanish(p) for p in problems[:10]}
        raise BadInput(f"{path}: la prueba de modelo no sigue el formato.", details)
    assert isinstance(document, dict)
    return document


def _files(path: Path, document: dict[str, Any]) -> list[Path]:
    base = path.parent
    files: list[Path] = []
    for name in document["files"]:
        matched = sorted(Path(m).resolve() for m in glob(str(base / name))) if _is_pattern(name) else []
        if _is_pattern(name) and not matched:
            raise BadInput(f"{path}: ningún archivo coincide con «{name}».")
        files.extend(matched or [(base / name).resolve()])
    missing = [str(f) for f in files if not f.is_file()]
    if missing:
        raise BadInput(f"{path}: no existen los archivos {', '.join(missing)}.")
    return list(dict.fromkeys(files))


def _test_file(
    path: Path, document: dict[str, Any], sources: tuple[SourceFile, ...], files: Sequence[Path]
) -> ModelTestFile:
    refused = document.get("deploy") == "refused"
    return ModelTestFile(
        path=path,
        files=tuple(files),
        sources=sources,
        refused=tuple(document.get("refused") or ()) if refused else None,
        clock=_moment(path, document.get("clock")),
        users=document.get("users") or {},
        scenarios=tuple(_scenario(t) for t in document.get("tests") or ()),
        source=document.get("source"),
        fill_forms=bool(document.get("fill_forms", True)),
    )


def _is_pattern(name: str) -> bool:
    return any(c in name for c in "*?[")


def _scenario(test: dict[str, Any]) -> Scenario:
    start = test["start"]
    return Scenario(
        name=test["name"],
        process=start.get("process") or "pqrsd",
        business_key=start.get("business_key"),
        data=dict(start.get("data") or {}),
        starter=start.get("as") or "root",
        steps=tuple(_step(s) for s in test.get("steps") or ()),
        expect=dict(test.get("expect") or {}),
        radicar=start.get("radicar"),
    )


def _step(step: dict[str, Any]) -> Step:
    ((kind, value),) = step.items()
    if kind == "complete" and isinstance(value, str):
        value = {"task": value}
    return Step(kind, value)


def _moment(path: Path, text: Any) -> datetime | None:
    if text is None:
        return None
    value = text if isinstance(text, datetime) else None
    if value is None:
        try:
            value = datetime.fromisoformat(str(text))
        except ValueError as error:
            raise BadInput(f"{path}: 'clock' no es una fecha y hora ISO 8601: «{text}».") from error
    if value.tzinfo is None:
        raise BadInput(f"{path}: 'clock' debe llevar zona horaria, p. ej. 2026-03-02T08:00:00-05:00.")
    return value


def _where(error: ValidationError) -> str:
    parts = [f"[{p}]" if isinstance(p, int) else f".{p}" for p in error.absolute_path]
    return "".join(parts).lstrip(".") or "(raíz)"


def _spanish(error: ValidationError) -> str:
    v, expected, instance = error.validator, cast(Any, error.validator_value), cast(Any, error.instance)
    if v == "required":
        missing = [name for name in expected if name not in (instance or {})]
        return f"falta '{missing[0] if missing else expected[0]}'"
    if v == "additionalProperties":
        return f"claves no reconocidas: {error.message.split('(')[-1].rstrip(')')}"
    if v == "type":
        return f"debe ser de tipo {expected}"
    if v == "enum":
        return f"debe ser uno de {', '.join(map(str, expected))}"
    if v in {"minProperties", "maxProperties"}:
        return "cada paso es una sola clave (complete, advance, message, …)"
    if v == "pattern":
        return "debe terminar en .bpmn, .dmn o .form"
    if v == "oneOf":
        if isinstance(instance, dict) and ("process" in instance or "radicar" in instance):
            return "indique 'process' o 'radicar', uno de los dos"
        if isinstance(instance, dict) and "task" not in instance and "data" not in instance:
            return "indique 'process' o 'radicar'"
        return "debe ser el nombre o id de la tarea, o {task, data, as}"
    return f"valor no válido ({v})"


def _first_line(error: Exception) -> str:
    return str(error).splitlines()[0] if str(error) else type(error).__name__
