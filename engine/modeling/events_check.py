"""Deploy checks of events, as Camunda 7's BpmnParse makes them; each finding names the element.

- Signals: a `bpmn:signal` needs an id and a name, names are unique, a signal event definition needs
  `signalRef` (SignalEventParseInvalidProcessTest), two signal start events of one scope may not wait for the
  same signal ("Cannot have more than one signal event subscription"), and a name that is an expression
  (`${…}`) is refused: signals are broadcast by a fixed name here.
- Error and escalation start events only start event subprocesses (`triggeredByEvent="true"`). Event
  subprocesses run at the process level and inside embedded subprocesses, started by a message, signal,
  error, escalation or timer, interrupting or not (engine.runtime.event_subprocesses).
- Link events: every throw has exactly one catch of its name in the same scope (LinkEventTest); a catch
  after an event-based gateway is refused. Linked pairs are then joined by `link_flows` before parsing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

from lxml import etree

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_B = f"{{{BPMN_NS}}}"
SCOPES = frozenset({"process", "subProcess", "transaction", "adHocSubProcess"})

Report = Callable[[str | None, str], None]


def _local(el: Any) -> str:
    return str(etree.QName(el).localname)


def _children(scope: Any, name: str) -> Iterator[Any]:
    yield from scope.iterfind(f"{_B}{name}")


def check_events(root: Any, error: Report) -> None:
    _check_signals(root, error)
    for scope in root.iter(*(f"{_B}{s}" for s in SCOPES)):
        _check_event_subprocess_starts(scope, error)
        _check_signal_subscriptions(scope, error)
        _check_links(scope, error)


# ---- signals -------------------------------------------------------------------------------------
def _check_signals(root: Any, error: Report) -> None:
    names: Counter[str] = Counter()
    for signal in root.iterfind(f"{_B}signal"):
        sid, name = signal.get("id"), (signal.get("name") or "").strip()
        if not sid:
            error(None, f"la señal «{name or '?'}» no tiene id: los eventos la nombran por su id (signalRef)")
        if not name:
            error(sid, f"la señal «{sid}» no tiene nombre: una señal se difunde por su nombre")
            continue
        names[name] += 1
        if names[name] == 2:
            error(
                sid, f"el nombre de señal «{name}» está repetido: cada bpmn:signal necesita un nombre propio"
            )
        if "${" in name or "#{" in name:
            error(
                sid,
                f"el nombre de la señal «{name}» es una expresión; aquí las señales se difunden con un nombre "
                "fijo: escriba el nombre sin ${…}",
            )
    for definition in root.iter(f"{_B}signalEventDefinition"):
        if not definition.get("signalRef"):
            event = definition.getparent()
            error(event.get("id"), "el evento de señal no dice qué señal es (falta signalRef)")


def _signal_name(root: Any, event: Any) -> str | None:
    definition = event.find(f"{_B}signalEventDefinition")
    if definition is None or not definition.get("signalRef"):
        return None
    for signal in root.iterfind(f"{_B}signal"):
        if signal.get("id") == definition.get("signalRef"):
            return (signal.get("name") or "").strip() or None
    return None


def _check_signal_subscriptions(scope: Any, error: Report) -> None:
    root = scope.getroottree().getroot()
    starts = list(_children(scope, "startEvent")) if _local(scope) == "process" else []
    for sub in _children(scope, "subProcess"):
        if sub.get("triggeredByEvent") == "true":
            starts += [s for s in _children(sub, "startEvent") if s.get("isInterrupting") != "false"]
    seen: set[str] = set()
    for start in starts:
        name = _signal_name(root, start)
        if name is None:
            continue
        if name in seen:
            error(
                start.get("id"),
                f"dos eventos de inicio del mismo ámbito esperan la señal «{name}»; Camunda no admite más de "
                "una suscripción a una señal por ámbito",
            )
        seen.add(name)


# ---- event subprocesses --------------------------------------------------------------------------
def _check_event_subprocess_starts(scope: Any, error: Report) -> None:
    in_event_subprocess = scope.get("triggeredByEvent") == "true"
    for start in _children(scope, "startEvent"):
        kinds = [
            k
            for k in ("error", "escalation", "message", "signal")
            if start.find(f"{_B}{k}EventDefinition") is not None
        ]
        if not kinds:
            continue
        kind = kinds[0]
        if kind in ("error", "escalation") and not in_event_subprocess:
            what = "de error" if kind == "error" else "de escalamiento"
            error(
                start.get("id"),
                f"un evento de inicio {what} solo puede iniciar un subproceso de evento "
                '(triggeredByEvent="true")',
            )


# ---- link events ---------------------------------------------------------------------------------
def _link_name(event: Any) -> str | None:
    definition = event.find(f"{_B}linkEventDefinition")
    if definition is None:
        return None
    return str((definition.get("name") or event.get("name") or "").strip())


def _check_links(scope: Any, error: Report) -> None:
    catches: dict[str, list[Any]] = {}
    for catch in _children(scope, "intermediateCatchEvent"):
        name = _link_name(catch)
        if name is not None:
            catches.setdefault(name, []).append(catch)
    gateways = {g.get("id") for g in _children(scope, "eventBasedGateway")}
    for name, found in catches.items():
        if not name:
            error(found[0].get("id"), "el evento de enlace (link) no tiene nombre")
        for extra in found[1:]:
            error(
                extra.get("id"),
                f"hay más de un evento de enlace que recibe «{name}» en el mismo ámbito; cada enlace tiene un "
                "solo destino",
            )
        for catch in found:
            if any(
                f.get("targetRef") == catch.get("id") and f.get("sourceRef") in gateways
                for f in _children(scope, "sequenceFlow")
            ):
                error(
                    catch.get("id"),
                    "un evento de enlace no puede seguir a una compuerta basada en eventos (no espera nada)",
                )
    for throw in _children(scope, "intermediateThrowEvent"):
        name = _link_name(throw)
        if name is not None and name not in catches:
            error(
                throw.get("id"),
                f"el evento de enlace (link) lanza «{name}», pero ningún evento de enlace lo recibe en el mismo ámbito",
            )


def link_flows(root: Any) -> None:
    """Join each link throw to its catch with a sequence flow, so the path goes on there as in Camunda.
    Run after `check_events` accepted the file; the events stay (they show as passed on the diagram)."""
    for scope in root.iter(*(f"{_B}{s}" for s in SCOPES)):
        catches = {
            _link_name(c): c for c in _children(scope, "intermediateCatchEvent") if _link_name(c) is not None
        }
        for throw in list(_children(scope, "intermediateThrowEvent")):
            name = _link_name(throw)
            catch = catches.get(name) if name is not None else None
            if catch is None:
                continue
            throw.remove(throw.find(f"{_B}linkEventDefinition"))
            catch.remove(catch.find(f"{_B}linkEventDefinition"))
            catch.tag = f"{_B}intermediateThrowEvent"  # a plain event that passes through
            flow = etree.SubElement(scope, f"{_B}sequenceFlow")
            flow.set("id", f"Flow_link_{throw.get('id')}")
            flow.set("sourceRef", str(throw.get("id")))
            flow.set("targetRef", str(catch.get("id")))
