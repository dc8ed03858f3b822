"""Analyze deployed files (BPMN, DMN, Camunda Forms) into process and form blueprints plus a report."""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask

from engine.modeling import delegates
from engine.modeling.bindings import check_bindings
from engine.modeling.bpmn_checks import check_bpmn, strip_data_stores
from engine.modeling.camunda_compat import check_dmn_ids, normalize_bpmn, normalize_dmn
from engine.modeling.canonical import canonical_hash
from engine.modeling.compensation import prepare_compensation
from engine.modeling.deep import run_deep
from engine.modeling.dmn import Model, closure, models_hash, read_decisions
from engine.modeling.events_check import link_flows
from engine.modeling.form_schema import FormDefinitionError, FormSchema
from engine.modeling.formjs import parse_formjs
from engine.modeling.implicit_flows import make_implicit_flows_explicit
from engine.modeling.parser import BPMN_NS, NS, PhvaParser, form_ref_of, read_properties
from engine.modeling.report import Problem, ValidationReport
from engine.modeling.spiff_messages import spanish
from engine.modeling.spiff_registry import specs_from_json, specs_to_json
from engine.modeling.translate import translate_tree
from engine.modeling.xml import XmlError, parse_xml

log = logging.getLogger(__name__)

ScriptChecker = Callable[[str], str | None]

DMN_NAMESPACES = frozenset(
    {
        "https://www.omg.org/spec/DMN/20191111/MODEL/",
        "http://www.omg.org/spec/DMN/20180521/MODEL/",
        "http://www.omg.org/spec/DMN/20151101/dmn.xsd",
    }
)
ZEEBE_NS = "http://camunda.org/schema/zeebe/1.0"
MODELER_NS = "http://camunda.org/schema/modeler/1.0"
EXTENSIONS = {".bpmn": "bpmn", ".bpmn20.xml": "bpmn", ".dmn": "dmn", ".form": "form"}


@dataclass(frozen=True)
class SourceFile:
    name: str
    content: bytes


@dataclass(frozen=True)
class UserTaskSummary:
    bpmn_id: str
    name: str | None
    lane: str | None


@dataclass(frozen=True)
class ProcessBlueprint:
    key: str
    name: str | None
    file: str
    documentation: str | None
    version_tag: str | None
    history_time_to_live: str | None
    properties: Mapping[str, str | None]
    content_hash: str
    sources: tuple[SourceFile, ...]
    spec_json: str
    form_refs: frozenset[str]
    called_processes: frozenset[str]
    user_tasks: tuple[UserTaskSummary, ...]
    legacy_hash: str = ""  # the pre-0017 byte hash of the same sources


@dataclass(frozen=True)
class FormBlueprint:
    form_id: str
    file: str
    schema_json: str
    content_hash: str
    legacy_hash: str = ""


@dataclass(frozen=True)
class DecisionBlueprint:
    key: str
    name: str | None
    file: str
    version_tag: str | None
    models: Mapping[str, Model]  # the decision and the ones it requires (engine/modeling/dmn.py)
    content_hash: str


@dataclass
class Analysis:
    report: ValidationReport = field(default_factory=ValidationReport)
    processes: list[ProcessBlueprint] = field(default_factory=list)
    forms: list[FormBlueprint] = field(default_factory=list)
    decisions: list[DecisionBlueprint] = field(default_factory=list)


def file_kind(name: str) -> str | None:
    lower = name.lower()
    return next((kind for ext, kind in EXTENSIONS.items() if lower.endswith(ext)), None)


def content_hash(sources: Collection[SourceFile]) -> str:
    # Hash of the sorted canonical file digests (versions by content, engine/modeling/canonical.py): the
    # same models give the same hash whatever the files' order, names or formatting.
    digests = sorted(_canonical_digest(s) for s in sources)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


def legacy_content_hash(sources: Collection[SourceFile]) -> str:
    """The byte hash versions were compared by before 0017: a stored version of it is still recognised."""
    digests = sorted(_byte_digest(s) for s in sources)
    return hashlib.sha256("\n".join(digests).encode()).hexdigest()


@functools.lru_cache(maxsize=64)
def _byte_digest(source: SourceFile) -> str:
    return hashlib.sha256(source.content).hexdigest()


@functools.lru_cache(maxsize=64)
def _canonical_digest(source: SourceFile) -> str:
    # A file shared by thousands of processes is canonicalised once per analysis, not once per process.
    return canonical_hash(source.name, source.content)


@dataclass
class _Document:
    source: SourceFile
    kind: str
    root: Any


@dataclass
class _Context:
    report: ValidationReport
    bpmn: list[_Document] = field(default_factory=list)
    dmn: list[_Document] = field(default_factory=list)
    processes: dict[str, tuple[_Document, Any]] = field(default_factory=dict)
    decisions: dict[str, _Document] = field(default_factory=dict)
    decision_models: dict[str, Model] = field(default_factory=dict)
    forms: dict[str, FormBlueprint] = field(default_factory=dict)
    lanes: dict[int, dict[str, Any]] = field(default_factory=dict)  # per document: flowNodeRef → its lane


def analyze(
    files: Sequence[SourceFile],
    known_forms: Mapping[str, FormSchema] | None = None,
    known_processes: Collection[str] = (),
    known_decisions: Collection[str] = (),
    check_script: ScriptChecker | None = None,
    handlers: Collection[str] | None = None,
) -> Analysis:
    # check_script and the registered handlers' names are injected: the runtime sits above modeling.
    ctx = _Context(ValidationReport())
    seen: set[str] = set()
    for source in files:
        if source.name in seen:
            ctx.report.add(source.name, None, "el archivo aparece dos veces en el despliegue")
            continue
        seen.add(source.name)
        _guard(ctx.report, source.name, partial(_load, ctx, source))
    _guard(ctx.report, "(despliegue)", partial(_index, ctx))
    executable = {pid for pid, (_, node) in ctx.processes.items() if node.get("isExecutable") != "false"}
    form_ids = set(ctx.forms) | set(known_forms or {})
    for doc in ctx.bpmn:
        ctx.report.extend(delegates.prepare(doc.root, doc.source.name, handlers))  # scripts → handlers
        ctx.report.extend(delegates.check(doc.root, doc.source.name, handlers))
        check = partial(
            check_bpmn,
            doc.root,
            doc.source.name,
            ctx.report,
            processes=executable | set(known_processes),
            decisions=set(ctx.decisions) | set(known_decisions),
            forms=form_ids,
            check_script=check_script,
        )
        _guard(ctx.report, doc.source.name, check)
        bound = partial(
            check_bindings,
            doc.root,
            doc.source.name,
            local_processes=executable,
            known_processes=known_processes,
            local_decisions=ctx.decision_models,
            known_decisions=known_decisions,
        )
        _guard(ctx.report, doc.source.name, lambda: ctx.report.extend(bound()))  # noqa: B023
    for doc in ctx.bpmn:
        if not any(ctx.processes[pid][0] is doc for pid in executable):
            if executable:
                ctx.report.add(doc.source.name, None, "el archivo no tiene procesos ejecutables", "warning")
            else:
                ctx.report.add(doc.source.name, None, 'no hay un proceso ejecutable (isExecutable="true")')
    analysis = Analysis(report=ctx.report, forms=list(ctx.forms.values()))
    analysis.processes = _build(ctx, sorted(executable))
    analysis.decisions = _decisions(ctx)
    return analysis


def _guard(report: ValidationReport, file: str, step: Callable[[], None]) -> None:
    # Never a traceback to the user: an unexpected failure on one file becomes an error for that file.
    try:
        step()
    except ValidationException as exc:
        report.problems.append(_from_spiff(exc, file))
    except Exception as exc:
        log.exception("fallo inesperado analizando %s", file)
        report.add(file, None, f"error interno al analizar el archivo ({type(exc).__name__}: {exc})")


def _from_spiff(exc: ValidationException, file: str) -> Problem:
    message = str(exc.args[0]) if exc.args else str(exc)
    line = f" (línea {exc.line_number})" if getattr(exc, "line_number", "") else ""
    return Problem(
        exc.file_name or file,
        getattr(exc, "id", "") or None,
        f"{spanish(message)}{line}",  # engine.modeling.spiff_messages
    )


def _load(ctx: _Context, source: SourceFile) -> None:
    kind = file_kind(source.name)
    if kind is None:
        ctx.report.add(
            source.name, None, "tipo de archivo no soportado: se aceptan .bpmn, .bpmn20.xml, .dmn y .form"
        )
        return
    if kind == "form":
        _load_form(ctx, source)
        return
    try:
        root = parse_xml(source.content)
    except XmlError as exc:
        where = f" (línea {exc.line})" if exc.line else ""
        ctx.report.add(source.name, None, f"{exc.message}{where}")
        return
    if _is_camunda8(root):
        ctx.report.add(
            source.name,
            None,
            "es un archivo de Camunda 8 (Zeebe / «Camunda Cloud»); este motor ejecuta el dialecto "
            "Camunda Platform 7: créelo en Camunda Modeler como «Camunda Platform 7»",
        )
        return
    qname = etree.QName(root)
    if kind == "bpmn" and (qname.namespace != BPMN_NS or qname.localname != "definitions"):
        ctx.report.add(source.name, None, _wrong_root(qname, "bpmn:definitions", BPMN_NS))
        return
    if kind == "dmn" and (qname.namespace not in DMN_NAMESPACES or qname.localname != "definitions"):
        ctx.report.add(source.name, None, _wrong_root(qname, "dmn:definitions", "DMN 1.1–1.3"))
        return
    doc = _Document(source, kind, root)
    (normalize_bpmn if kind == "bpmn" else normalize_dmn)(root)  # Camunda accepts, SpiffWorkflow misreads
    ctx.report.extend(translate_tree(root, source.name))
    (ctx.bpmn if kind == "bpmn" else ctx.dmn).append(doc)


def _wrong_root(qname: etree.QName, expected: str, namespace: str) -> str:
    found = f"{{{qname.namespace}}}{qname.localname}" if qname.namespace else qname.localname
    return f"el elemento raíz es «{found}», se esperaba {expected} del espacio de nombres {namespace}"


def _is_camunda8(root: Any) -> bool:
    if root.get(f"{{{MODELER_NS}}}executionPlatform") == "Camunda Cloud":
        return True
    return any(ZEEBE_NS in el.nsmap.values() for el in root.iter() if isinstance(el.tag, str))


def _load_form(ctx: _Context, source: SourceFile) -> None:
    try:
        schema = parse_formjs(source.content)
    except FormDefinitionError as exc:
        ctx.report.add(source.name, None, f"formulario no válido: {exc}")
        return
    if schema.form_id is None:
        ctx.report.add(source.name, None, "el formulario no tiene id")
        return
    if schema.form_id in ctx.forms:
        other = ctx.forms[schema.form_id].file
        ctx.report.add(source.name, schema.form_id, f"el id de formulario está repetido (también en {other})")
        return
    ctx.forms[schema.form_id] = FormBlueprint(
        form_id=schema.form_id,
        file=source.name,
        schema_json=json.dumps(schema.to_dict(), ensure_ascii=False),
        content_hash=content_hash([source]),
        legacy_hash=legacy_content_hash([source]),
    )


def _index(ctx: _Context) -> None:
    for doc in ctx.bpmn:
        for process in doc.root.findall(f"{{{BPMN_NS}}}process"):
            pid = process.get("id")
            if pid in ctx.processes and ctx.processes[pid][0] is not doc:
                other = ctx.processes[pid][0].source.name
                ctx.report.add(doc.source.name, pid, f"el id de proceso está repetido (también en {other})")
            elif pid and pid not in ctx.processes:
                ctx.processes[pid] = (doc, process)
    for doc in ctx.dmn:
        for problem in check_dmn_ids(doc.root, doc.source.name):
            ctx.report.problems.append(problem)
        models, problems = read_decisions(doc.root, doc.source.name)
        ctx.report.extend(problems)
        for did, model in models.items():
            ctx.decision_models.setdefault(did, model)
        for decision in doc.root.findall(f"{{{etree.QName(doc.root).namespace}}}decision"):
            did = decision.get("id")
            if did in ctx.decisions:
                other = ctx.decisions[did].source.name
                ctx.report.add(doc.source.name, did, f"el id de decisión está repetido (también en {other})")
            elif did:
                ctx.decisions[did] = doc


def _build(ctx: _Context, keys: list[str]) -> list[ProcessBlueprint]:
    # SpiffWorkflow only sees files that passed our checks: it stops at its first error or crashes on some.
    parser = PhvaParser()
    failed = {p.file for p in ctx.report.errors}
    for doc in ctx.bpmn:
        if doc.source.name not in failed:
            _guard(ctx.report, doc.source.name, partial(_add_bpmn, ctx, parser, doc))
    blueprints: list[ProcessBlueprint] = []
    for key in keys:
        doc, node = ctx.processes[key]
        if any(source.name in failed for source in _closure(ctx, key)):
            continue
        before = len(ctx.report.problems)  # problems are only appended: look at the new ones alone
        result: list[ProcessBlueprint] = []
        step = partial(_blueprint, ctx, parser, key, doc, node)
        size = sum(
            1 for _ in node.iter()
        )  # SpiffWorkflow's parser recurses along the flows (engine.modeling.deep)
        _guard(ctx.report, doc.source.name, lambda: result.append(run_deep(step, size)))  # noqa: B023
        if result and not any(p.severity == "error" for p in ctx.report.problems[before:]):
            blueprints.append(result[0])
    _merge_parser_problems(ctx.report, parser.problems)
    return blueprints


def _decisions(ctx: _Context) -> list[DecisionBlueprint]:
    failed = {p.file for p in ctx.report.errors}
    found = []
    for did, model in sorted(ctx.decision_models.items()):
        doc = ctx.decisions.get(did)
        if doc is None or doc.source.name in failed:
            continue
        models = closure(ctx.decision_models, did)
        found.append(
            DecisionBlueprint(did, model.get("name"), doc.source.name, model.get("version_tag"), models,
                              models_hash(models))
        )  # fmt: skip
    return found


def _bind_decisions(ctx: _Context, specs: Sequence[Any]) -> None:
    # Each business rule task carries the decisions of its own deployment: camunda:decisionRefBinding
    # "deployment" runs them; latest / version / versionTag look them up when the task runs.
    for spec in specs:
        for task_spec in spec.task_specs.values():
            ext = getattr(task_spec, "extensions", None)
            if isinstance(ext, dict) and ext.get("decisionRef") in ctx.decision_models:
                ext["decisions"] = closure(ctx.decision_models, ext["decisionRef"])


def _add_bpmn(ctx: _Context, parser: PhvaParser, doc: _Document) -> None:
    ctx.report.extend(strip_data_stores(doc.root, doc.source.name))
    link_flows(doc.root)  # link events: the throw goes on at its catch (checked in events_check)
    prepare_compensation(doc.root)  # boundary events out, handlers marked (checked in compensation)
    make_implicit_flows_explicit(doc.root)  # several flows out of a task, subprocesses without an end
    parser.add_bpmn_xml(doc.root.getroottree(), doc.source.name)


def _merge_parser_problems(report: ValidationReport, problems: list[Problem]) -> None:
    seen = set(report.problems)
    for problem in problems:
        if problem not in seen:
            seen.add(problem)
            report.problems.append(problem)


def _blueprint(ctx: _Context, parser: PhvaParser, key: str, doc: _Document, node: Any) -> ProcessBlueprint:
    spec = parser.get_spec(key)
    subprocess_specs = _subprocess_specs(parser, spec)
    _bind_decisions(ctx, [spec, *subprocess_specs.values()])
    sources = _closure(ctx, key)
    documentation = node.find(f"{{{BPMN_NS}}}documentation")
    return ProcessBlueprint(
        key=key,
        name=node.get("name"),
        file=doc.source.name,
        documentation=documentation.text if documentation is not None else None,
        version_tag=node.get(f"{{{NS['camunda']}}}versionTag"),
        history_time_to_live=node.get(f"{{{NS['camunda']}}}historyTimeToLive"),
        properties=read_properties(node),
        content_hash=content_hash(sources),
        legacy_hash=legacy_content_hash(sources),
        sources=sources,
        spec_json=specs_to_json(spec, subprocess_specs),
        form_refs=frozenset(
            ref
            for el in node.xpath(".//bpmn:userTask | .//bpmn:startEvent", namespaces=NS)
            if (ref := form_ref_of(el))
        ),
        called_processes=frozenset(node.xpath(".//bpmn:callActivity/@calledElement", namespaces=NS)),
        user_tasks=tuple(
            UserTaskSummary(el.get("id"), el.get("name"), _lane_of(_lanes(ctx, doc), el))
            for el in node.iterfind(f".//{{{BPMN_NS}}}userTask")
        ),
    )


def _subprocess_specs(parser: PhvaParser, spec: Any) -> dict[str, Any]:
    # Embedded subprocesses and called processes of this deployment; already-deployed ones are left out.
    found: dict[str, Any] = {}
    pending = [spec]
    while pending:
        for task_spec in pending.pop().task_specs.values():
            name = getattr(task_spec, "spec", None)
            if isinstance(task_spec, SubWorkflowTask) and isinstance(name, str) and name not in found:
                if parser.get_process_parser(name) is None:
                    continue
                found[name] = parser.get_spec(name)
                pending.append(found[name])
    return found


def _closure(ctx: _Context, key: str) -> tuple[SourceFile, ...]:
    files: dict[str, SourceFile] = {}
    pending, visited = [key], set()
    while pending:
        pid = pending.pop()
        if pid in visited or pid not in ctx.processes:
            continue
        visited.add(pid)
        doc, node = ctx.processes[pid]
        files[doc.source.name] = doc.source
        pending.extend(node.xpath(".//bpmn:callActivity/@calledElement", namespaces=NS))
        for ref in node.xpath(".//bpmn:businessRuleTask/@camunda:decisionRef", namespaces=NS):
            if ref in ctx.decisions:
                files[ctx.decisions[ref].source.name] = ctx.decisions[ref].source
    return tuple(files[name] for name in sorted(files))


def _lanes(ctx: _Context, doc: _Document) -> dict[str, Any]:
    # One pass over the lanes per document, not one search per user task (5,000 processes: issue 15 §3).
    found = ctx.lanes.get(id(doc))
    if found is None:
        found = ctx.lanes[id(doc)] = {}
        for lane in doc.root.iter(f"{{{BPMN_NS}}}lane"):  # document order: an inner lane comes last and wins
            for ref in lane.iterfind(f"{{{BPMN_NS}}}flowNodeRef"):
                found[ref.text or ""] = lane
    return found


def _lane_of(lanes: dict[str, Any], element: Any) -> str | None:
    current = element
    while current is not None:
        lane = lanes.get(current.get("id") or "")
        if lane is not None:
            name = lane.get("name")
            return str(name) if name is not None else None
        current = current.getparent()
    return None


_CACHE_SIZE = 256
_spec_cache: OrderedDict[str, tuple[Any, dict[str, Any]]] = OrderedDict()
_spec_lock = threading.Lock()


def load_specs(spec_json: str) -> tuple[Any, dict[str, Any]]:
    """Specs restored from `ProcessBlueprint.spec_json`, parsed once per text for the whole process."""
    digest = hashlib.sha256(spec_json.encode()).hexdigest()
    with _spec_lock:
        cached = _spec_cache.get(digest)
        if cached is not None:
            _spec_cache.move_to_end(digest)
            return cached
    loaded = specs_from_json(spec_json)
    with _spec_lock:
        _spec_cache[digest] = loaded
        while len(_spec_cache) > _CACHE_SIZE:
            _spec_cache.popitem(last=False)
    return loaded
