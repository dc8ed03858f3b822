"""Compensation as Camunda 7 runs it, in the simple cases; the rest is refused at deploy naming the element.

Runs (CompensateEventTest): an activity with a compensation boundary event associated to its handler (a
user, script, service, manual or plain task marked `isForCompensation`), compensated by an intermediate
throw or an end event with `compensateEventDefinition`, with or without `activityRef`, in a process or in
one embedded subprocess, the throw in the same scope as the activities. What it does at run time is
engine.runtime.compensation's; here:
- `check_compensation` makes Camunda's parse checks (CompensationEventParseInvalidProcessTest) and refuses
  what does not run here: compensation event subprocesses, a throw that would compensate inside a
  subprocess (nested scopes), compensation inside a multi-instance or event subprocess, deeper than one
  subprocess, on a loop, handlers of other kinds;
- `prepare_compensation`, just before parsing, takes the boundary events out (SpiffWorkflow has no
  compensation events) and marks each activity with its handler;
- SpiffWorkflow's process parser is taught to parse the handlers (no flow reaches them) and to put the
  marks into the specs' extensions, which are stored with the version.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ProcessParser import ProcessParser

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_B = f"{{{BPMN_NS}}}"
_MARK = "{urn:phva:compensation}handler"  # set on the compensated activity by prepare_compensation
HANDLER = "compensation_handler"  # extensions of a compensated activity: its handler's id
THROW = "compensate"  # extensions of a throw or end event: {"activityRef": id or None}
SCOPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})
ACTIVITIES = frozenset(
    {"task", "userTask", "manualTask", "scriptTask", "serviceTask", "sendTask", "receiveTask",
     "businessRuleTask", "callActivity", "subProcess", "transaction", "adHocSubProcess"}
)  # fmt: skip
HANDLER_KINDS = frozenset({"userTask", "scriptTask", "serviceTask", "manualTask", "task"})

Report = Callable[[str | None, str], None]


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _definition(el: Any) -> Any:
    return el.find(f"{_B}compensateEventDefinition")


def _children(scope: Any, *names: str) -> Iterator[Any]:
    for el in scope:
        if isinstance(el.tag, str) and _local(el) in names:
            yield el


def _handler_of(boundary: Any) -> Any:
    scope, bid = boundary.getparent(), boundary.get("id")
    for association in scope.iterfind(f"{_B}association"):
        if association.get("sourceRef") == bid:
            for el in scope:
                if isinstance(el.tag, str) and el.get("id") == association.get("targetRef"):
                    return el
    return None


def _has_compensation(scope: Any) -> bool:
    return any(_definition(b) is not None for b in scope.iter(f"{_B}boundaryEvent"))


def _why_not_here(scope: Any) -> str | None:
    """Why compensation cannot run in this scope, or None."""
    depth = 0
    el = scope
    while _local(el) != "process":
        name = _local(el)
        if name != "subProcess":
            return f"la compensación dentro de un bpmn:{name} no está soportada"
        if el.get("triggeredByEvent") == "true":
            return (
                "la compensación dentro de un subproceso de evento no está soportada (compensaría el ámbito "
                "que lo contiene)"
            )
        if el.find(f"{_B}multiInstanceLoopCharacteristics") is not None:
            return "la compensación dentro de un subproceso multiinstancia no está soportada"
        depth += 1
        el = el.getparent()
    if depth > 1:
        return "la compensación solo está soportada en el proceso o en un subproceso de primer nivel"
    return None


def check_compensation(root: Any, error: Report, warn: Report) -> None:
    for start in root.iter(f"{_B}startEvent"):
        if _definition(start) is not None:
            error(
                start.get("id"),
                "los subprocesos de evento de compensación no están soportados; use un evento de borde de "
                "compensación con su actividad de compensación",
            )
    for boundary in root.iter(f"{_B}boundaryEvent"):
        if _definition(boundary) is not None:
            _check_boundary(boundary, error, warn)
    for name in ("intermediateThrowEvent", "endEvent"):
        for throw in root.iter(f"{_B}{name}"):
            if _definition(throw) is not None:
                _check_throw(throw, error)
    for el in root.iter():
        if isinstance(el.tag, str) and el.get("isForCompensation") == "true":
            _check_handler(el, error)


def _check_boundary(boundary: Any, error: Report, warn: Report) -> None:
    bid, scope, definition = boundary.get("id"), boundary.getparent(), _definition(boundary)
    if definition.get("activityRef"):
        error(bid, "un evento de borde de compensación no lleva activityRef (Camunda lo rechaza)")
    if definition.get("waitForCompletion"):
        error(bid, "un evento de borde de compensación no lleva waitForCompletion (Camunda lo rechaza)")
    if any(f.get("sourceRef") == bid for f in scope.iterfind(f"{_B}sequenceFlow")):
        error(
            bid,
            "un evento de borde de compensación no puede tener flujos de salida; se asocia a su manejador",
        )
    why = _why_not_here(scope)
    if why:
        error(bid, why)
    host_id = boundary.get("attachedToRef")
    host = next((el for el in scope if isinstance(el.tag, str) and el.get("id") == host_id), None)
    others = [
        b
        for b in scope.iterfind(f"{_B}boundaryEvent")
        if b is not boundary and b.get("attachedToRef") == host_id and _definition(b) is not None
    ]
    if others and list(scope).index(others[0]) < list(scope).index(boundary):
        error(bid, f"la actividad «{host_id}» tiene más de un evento de borde de compensación")
    if host is not None:
        if host.find(f"{_B}standardLoopCharacteristics") is not None:
            error(bid, f"la compensación de una actividad en bucle («{host_id}») no está soportada")
        if _local(host) in SCOPES and _has_compensation(host):
            error(
                bid,
                f"el subproceso «{host_id}» tiene compensación dentro y a la vez un evento de borde de "
                "compensación: la compensación anidada no está soportada",
            )
    handler = _handler_of(boundary)
    if handler is None:  # Camunda deploys it (CompensateEventTest.testCompensateOrder): nothing to undo
        warn(
            bid,
            "el evento de borde de compensación no está asociado (bpmn:association) a ninguna actividad: "
            "compensar esta actividad no hará nada",
        )
    elif handler.get("isForCompensation") != "true":
        error(
            bid,
            f"la actividad asociada «{handler.get('id')}» no está marcada como de compensación "
            '(isForCompensation="true")',
        )


def _check_throw(throw: Any, error: Report) -> None:
    tid, scope = throw.get("id"), throw.getparent()
    why = _why_not_here(scope)
    if why:
        error(tid, why)
        return
    ref = _definition(throw).get("activityRef")
    if ref:
        target = next((el for el in scope if isinstance(el.tag, str) and el.get("id") == ref), None)
        if target is None:
            inside = any(el.get("id") == ref for el in scope.iter() if isinstance(el.tag, str))
            where = "está en otro ámbito (un subproceso)" if inside else "no existe en este ámbito"
            if not inside and any(el.get("id") == ref for el in throw.getroottree().iter()):
                where = "está fuera del ámbito del evento"
            error(tid, f"activityRef «{ref}» {where}: solo se compensan actividades del mismo ámbito")
            return
        if _local(target) in SCOPES and not _compensated(scope, ref) and _has_compensation(target):
            error(
                tid,
                f"compensar el subproceso «{ref}» compensaría sus actividades internas: la compensación "
                "anidada no está soportada",
            )
        return
    for sub in _children(scope, "subProcess", "transaction", "adHocSubProcess"):
        if _has_compensation(sub) and not _compensated(scope, str(sub.get("id"))):
            error(
                tid,
                f"este evento compensaría también las actividades internas del subproceso «{sub.get('id')}»: "
                "la compensación anidada no está soportada; indique activityRef",
            )


def _compensated(scope: Any, activity_id: str) -> bool:
    return any(
        b.get("attachedToRef") == activity_id and _definition(b) is not None
        for b in scope.iterfind(f"{_B}boundaryEvent")
    )


def _check_handler(handler: Any, error: Report) -> None:
    hid, scope, name = handler.get("id"), handler.getparent(), _local(handler)
    if name not in HANDLER_KINDS:
        error(
            hid,
            f"una actividad de compensación de tipo bpmn:{name} no está soportada; use una tarea de usuario, "
            "de script o de servicio",
        )
    if handler.find(f"{_B}multiInstanceLoopCharacteristics") is not None:
        error(hid, "una actividad de compensación multiinstancia no está soportada")
    for flow in scope.iterfind(f"{_B}sequenceFlow"):
        if flow.get("targetRef") == hid:
            error(hid, "una actividad de compensación no puede tener flujos de entrada (Camunda lo rechaza)")
            break
    for flow in scope.iterfind(f"{_B}sequenceFlow"):
        if flow.get("sourceRef") == hid:
            error(hid, "una actividad de compensación no puede tener flujos de salida (Camunda lo rechaza)")
            break
    why = _why_not_here(scope)
    if why:
        error(hid, why)


def prepare_compensation(root: Any) -> None:
    """Take the compensation boundary events out and mark their activities (after check_compensation)."""
    for boundary in list(root.iter(f"{_B}boundaryEvent")):
        if _definition(boundary) is None:
            continue
        scope, handler = boundary.getparent(), _handler_of(boundary)
        for host in scope:
            if (
                handler is not None
                and isinstance(host.tag, str)
                and host.get("id") == boundary.get("attachedToRef")
            ):
                host.set(_MARK, str(handler.get("id")))
        scope.remove(boundary)


# ---- SpiffWorkflow's process parser ---------------------------------------------------------------
_stock_add_tasks = ProcessParser.add_tasks


def _add_tasks(self: Any) -> None:
    _stock_add_tasks(self)
    for node in self.node:
        if not isinstance(node.tag, str):
            continue
        if node.get("isForCompensation") == "true" and node.get("id") not in self.spec.task_specs:
            handler = self.parse_node(node)  # no flow reaches a handler: the throw starts it
            handler._inputs.append(self.spec.start.name)  # an input, not an output (SpiffWorkflow wants one)
        spec = self.spec.task_specs.get(node.get("id"))
        definition = _definition(node)
        marks: dict[str, Any] = {}
        if node.get(_MARK):
            marks[HANDLER] = node.get(_MARK)
        if definition is not None and _local(node) in ("intermediateThrowEvent", "endEvent"):
            marks[THROW] = {"activityRef": definition.get("activityRef") or None}
        if spec is not None and marks:
            if not isinstance(getattr(spec, "extensions", None), dict):
                spec.extensions = {}
            spec.extensions.update(marks)


ProcessParser.add_tasks = _add_tasks
