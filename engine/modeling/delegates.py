"""What Camunda runs in Java or groovy/JavaScript, mapped to registered handlers or refused at deploy.

- A script task in a language other than Python runs the handler registered under its id, or under
  the name its `phva:handler` property gives; it is then a service task calling that handler. Without
  one it is refused, naming the element and the three ways out (scriptFormat="python", a handler of
  that name, the property). A listener script likewise needs a handler named `<id>:<event>` (or the
  property `phva:handler:<event>`); a script parameter of camunda:inputOutput must be Python.
- camunda:class and camunda:delegateExpression (service tasks, listeners) name a handler: a warning
  says which one runs in place of the Java code, and a name with no registered handler is refused.
- Camunda's exclusive and inclusive gateways take a flow without a condition as if it were `true`
  (ExclusiveGatewayActivityBehavior: the first non-default flow whose condition is missing or true,
  in the order of the file); here such flows get the condition `True`.
- Listeners: `take` on sequence flows and `start` on the process run (engine.modeling.flow_listeners);
  what this engine cannot run as Camunda does is refused naming the element: the process's `end`
  listener, a flow listener out of an event-based gateway, and task events other than create,
  assignment and complete (update, delete, timeout).
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from lxml import etree

from engine.modeling.io_mapping import (
    NS,
    PYTHON_FORMATS,
    handler_name,
    listener_elements,
    script_handler_name,
)
from engine.modeling.report import Problem

BPMN_NS = NS["bpmn"]
CAMUNDA_NS = NS["camunda"]
_B = f"{{{BPMN_NS}}}"
_C = f"{{{CAMUNDA_NS}}}"
TASK_EVENTS = frozenset({"create", "assignment", "complete"})
# Why a Camunda task event has no counterpart here: claim, assign and reassignment change the task's row,
# not the running instance, so nothing would run the listener at the moment Camunda runs it.
_UNSUPPORTED_EVENTS = {
    "update": ": aquí cambiar una tarea no ejecuta el modelo",
    "delete": ": aquí cancelar una tarea no ejecuta listeners",
    "timeout": ": use un evento de temporizador de borde",
}
RESERVED_IDS = frozenset({"Start", "End", "Root"})  # SpiffWorkflow's own task specs; a clash crashed start
EXECUTION_EVENTS = frozenset({"start", "end"})
FLOW_EVENTS = frozenset({"take"})  # run on an event of its own (engine.modeling.flow_listeners)
PROCESS_EVENTS = frozenset({"start"})  # put on the process's start events (engine.modeling.flow_listeners)
HOW_TO_REGISTER = "regístrelo con PHVA_SERVICE_HANDLERS (un módulo con register(registry))"


def _is_python(script_format: str | None) -> bool:
    return (script_format or "").strip().lower() in PYTHON_FORMATS | {""}


def _label(el: Any) -> str:
    name = (el.get("name") or "").strip()
    kind = etree.QName(el).localname
    return f"bpmn:{kind} «{name}»" if name else f"bpmn:{kind} «{el.get('id')}»"


def prepare(root: Any, file: str, handlers: Collection[str] | None) -> list[Problem]:
    """Rewrite in place what has a Camunda meaning SpiffWorkflow lacks (see the module docstring)."""
    problems: list[Problem] = []
    for task in list(root.iter(f"{_B}scriptTask")):
        if _is_python(task.get("scriptFormat")):
            continue
        name = script_handler_name(task)
        if handlers is not None and name in handlers:
            _as_service_task(task, name)
            problems.append(
                Problem(
                    file,
                    task.get("id"),
                    f"el script {task.get('scriptFormat')} de {_label(task)} no se ejecuta: en su lugar corre "
                    f"el manejador registrado «{name}»",
                    "warning",
                )
            )
    for kind in ("exclusiveGateway", "inclusiveGateway"):
        for gateway in root.iter(f"{_B}{kind}"):
            _true_when_unconditioned(gateway)
    return problems


def _as_service_task(task: Any, name: str) -> None:
    for child in task.findall(f"{_B}script"):
        task.remove(child)
    for attr in ("scriptFormat", f"{_C}resultVariable", f"{_C}resource"):
        task.attrib.pop(attr, None)
    task.tag = f"{_B}serviceTask"
    task.set(f"{_C}expression", name)


def _true_when_unconditioned(gateway: Any) -> None:
    container, gid = gateway.getparent(), gateway.get("id")
    for flow in container.findall(f"{_B}sequenceFlow"):
        if flow.get("sourceRef") != gid or flow.get("id") == gateway.get("default"):
            continue
        if flow.find(f"{_B}conditionExpression") is None:
            condition = etree.SubElement(flow, f"{_B}conditionExpression")
            condition.text = "True"  # already Python: translate_tree has run


def check(root: Any, file: str, handlers: Collection[str] | None) -> list[Problem]:
    """Refusals (and warnings) for scripts, Java delegates and listeners, all at once; `handlers` None
    (a bare analysis, no engine) leaves the names of Java delegates unchecked."""
    return list(_check(root, file, handlers))


def _check(root: Any, file: str, handlers: Collection[str] | None) -> Iterator[Problem]:
    for task in root.iter(f"{_B}scriptTask"):
        script_format = task.get("scriptFormat")
        if not _is_python(script_format):
            name = script_handler_name(task)
            yield Problem(
                file,
                task.get("id"),
                f"{_label(task)} está escrito en {script_format}, que este motor no ejecuta (solo Python): "
                f'reescríbalo con scriptFormat="python", registre un manejador con el nombre «{name}» '
                f'({HOW_TO_REGISTER}) o indique otro con la propiedad camunda:property name="phva:handler"',
            )
    for el in root.iter():
        if not isinstance(el.tag, str) or etree.QName(el).namespace != BPMN_NS:
            continue
        kind = etree.QName(el).localname
        if el.get("id") in RESERVED_IDS and kind not in ("definitions", "process", "collaboration"):
            yield Problem(
                file,
                el.get("id"),
                f"el id «{el.get('id')}» de {_label(el)} lo usa el motor internamente (SpiffWorkflow): "
                "cámbielo en Camunda Modeler (p. ej. StartEvent_1 o EndEvent_1)",
            )
        if kind in ("serviceTask", "sendTask", "businessRuleTask") and (
            el.get(f"{_C}class") or el.get(f"{_C}delegateExpression")
        ):
            yield from _delegate(
                el, file, handlers, el.get(f"{_C}class") or el.get(f"{_C}delegateExpression")
            )
        for scope, listener in listener_elements(el):
            yield from _listener(el, kind, scope, listener, file, handlers)
        if el.find(f"{_B}multiInstanceLoopCharacteristics") is not None and el.xpath(
            "./bpmn:extensionElements/camunda:inputOutput/camunda:outputParameter", namespaces=NS
        ):
            yield Problem(
                file,
                el.get("id"),
                f"{_label(el)} es multiinstancia y tiene parámetros de salida (camunda:outputParameter), que "
                "Camunda no admite en ella: cada instancia los escribiría sobre las demás",
            )
        for script in el.xpath("./bpmn:extensionElements/camunda:inputOutput//camunda:script", namespaces=NS):
            if not _is_python(script.get("scriptFormat")) or script.get("resource"):
                yield Problem(
                    file,
                    el.get("id"),
                    f"un parámetro de camunda:inputOutput de {_label(el)} es un script "
                    f"{script.get('scriptFormat') or 'externo'}: escríbalo como expresión ${{…}} o como "
                    'script de una sola expresión con scriptFormat="python"',
                )


def _leaves_event_gateway(flow: Any) -> bool:
    source = flow.getparent().find(f"{_B}eventBasedGateway[@id='{flow.get('sourceRef')}']")
    return source is not None


def _delegate(el: Any, file: str, handlers: Collection[str] | None, value: str) -> Iterator[Problem]:
    name = handler_name(value)
    if handlers is None:
        return
    if name in handlers:
        yield Problem(
            file,
            el.get("id"),
            f"{_label(el)} llama a código Java ({value}): aquí corre en su lugar el manejador registrado «{name}»",
            "warning",
        )
    else:
        yield Problem(
            file,
            el.get("id"),
            f"{_label(el)} llama a código Java ({value}), que este motor no ejecuta: registre un manejador "
            f"Python con el nombre «{name}» ({HOW_TO_REGISTER})",
        )


def _listener(
    el: Any, kind: str, scope: str, listener: Any, file: str, handlers: Collection[str] | None
) -> Iterator[Problem]:
    default = "create" if scope == "task" else "take" if kind == "sequenceFlow" else "start"
    event = listener.get("event") or default  # Camunda's defaults: a flow's listener is `take`
    where = f"el {'taskListener' if scope == 'task' else 'executionListener'} «{event}» de {_label(el)}"
    if kind == "sequenceFlow" and _leaves_event_gateway(el):
        yield Problem(
            file,
            el.get("id"),
            f"{where}: un flujo que sale de una compuerta basada en eventos no puede tener listeners "
            "(su destino debe ser el evento que espera); póngalo como listener «start» de ese evento",
        )
        return
    if kind == "process" and event == "end":
        yield Problem(
            file,
            el.get("id"),
            f"{where}: aquí no corre como en Camunda (que también lo ejecuta al cancelar o terminar la "
            "instancia y una sola vez aunque varios caminos lleguen a su fin); póngalo como listener «start» "
            "de los eventos de fin o haga su trabajo en una tarea de servicio antes del fin",
        )
        return
    supported = (
        TASK_EVENTS
        if scope == "task"
        else FLOW_EVENTS
        if kind == "sequenceFlow"
        else PROCESS_EVENTS
        if kind == "process"
        else EXECUTION_EVENTS
    )
    if event not in supported:
        why = _UNSUPPORTED_EVENTS.get(event, "")
        yield Problem(
            file,
            el.get("id"),
            f"{where}: el evento «{event}» no está soportado{why} (se admiten {', '.join(sorted(supported))}); "
            "quítelo o haga su trabajo en un listener create/complete o en una tarea de servicio",
        )
        return
    if event == "assignment" and el.get(f"{_C}assignee"):
        yield Problem(
            file,
            el.get("id"),
            f"{where}: aquí el listener «assignment» corre cuando la tarea se reclama, se asigna o se reasigna, "
            "no cuando camunda:assignee la asigna al crearla; haga ese trabajo en un listener «create»",
        )
        return
    script = listener.find(f"{_C}script")
    if listener.get("class") or listener.get("delegateExpression"):
        yield from _delegate(el, file, handlers, listener.get("class") or listener.get("delegateExpression"))
        if listener.find(f"{_C}field") is not None:
            yield Problem(file, el.get("id"), f"{where}: los camunda:field no llegan al manejador", "warning")
    elif script is not None and (not _is_python(script.get("scriptFormat")) or script.get("resource")):
        name = script_handler_name(el, event)
        if handlers is None or name not in handlers:
            yield Problem(
                file,
                el.get("id"),
                f"{where} está escrito en {script.get('scriptFormat') or 'un script externo'}, que este motor "
                f'no ejecuta: reescríbalo con scriptFormat="python", registre un manejador «{name}» '
                f'({HOW_TO_REGISTER}) o indique otro con camunda:property name="phva:handler:{event}"',
            )
        else:
            yield Problem(
                file,
                el.get("id"),
                f"{where} está escrito en {script.get('scriptFormat')}: corre en su lugar el manejador «{name}»",
                "warning",
            )
    elif script is None and not listener.get("expression"):
        yield Problem(file, el.get("id"), f"{where} no dice qué ejecutar (expression, class o script)")
