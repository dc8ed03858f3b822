"""Deploy-time check of what call activities and business rule tasks are bound to (Camunda 7's bindings).

Camunda resolves `calledElement` and `camunda:decisionRef` when the activity runs, by key:
`latest` (the default) takes the newest version, `deployment` the one deployed with the caller,
`version` the numbered one (`calledElementVersion` / `decisionRefVersion`), `versionTag` the one tagged.
So a key that is not deployed yet is a warning (the activity becomes an incident if it runs before it is),
except with `deployment`, which can only ever find what the same deployment carries: an error.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

from engine.modeling.report import Problem

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
CAMUNDA_NS = "http://camunda.org/schema/1.0/bpmn"
BINDINGS = ("latest", "deployment", "version", "versionTag")
MAPPERS = ("singleEntry", "singleResult", "collectEntries", "resultList")


def _c(name: str) -> str:
    return f"{{{CAMUNDA_NS}}}{name}"


def check_bindings(
    root: Any,
    file: str,
    *,
    local_processes: Collection[str],
    known_processes: Collection[str],
    local_decisions: Collection[str],
    known_decisions: Collection[str],
) -> list[Problem]:
    problems: list[Problem] = []
    for el in root.iter(f"{{{BPMN_NS}}}callActivity"):
        key = el.get("calledElement")
        if key and "${" not in key and "#{" not in key:
            problems.extend(
                _check(el, file, key, "calledElement", "el proceso llamado", local_processes, known_processes)
            )
    for el in root.iter(f"{{{BPMN_NS}}}businessRuleTask"):
        key = el.get(_c("decisionRef"))
        if not key:
            continue
        if "${" in key or "#{" in key:
            problems.append(
                Problem(
                    file,
                    el.get("id"),
                    f"camunda:decisionRef «{key}» es una expresión; solo se admite la clave fija de una decisión",
                )
            )
            continue
        problems.extend(_check(el, file, key, "decisionRef", "la decisión", local_decisions, known_decisions))
        mapper = el.get(_c("mapDecisionResult"))
        if mapper is not None and mapper not in MAPPERS:
            problems.append(
                Problem(
                    file,
                    el.get("id"),
                    f"camunda:mapDecisionResult «{mapper}» no existe (Camunda: «No decision result mapper found "
                    f"for name '{mapper}'»); use {', '.join(MAPPERS)}",
                )
            )
    return problems


def _check(
    el: Any,
    file: str,
    key: str,
    attribute: str,
    what: str,
    local: Collection[str],
    known: Collection[str],
) -> Iterator[Problem]:
    element_id = el.get("id")
    binding = el.get(_c(f"{attribute}Binding")) or "latest"
    if binding == "versionTag" and attribute == "calledElement":
        yield Problem(
            file,
            element_id,
            "camunda:calledElementBinding=versionTag no está soportado (las versiones de procesos no guardan "
            "su etiqueta aquí); use latest, deployment o version",
        )
        return
    if binding not in BINDINGS:
        yield Problem(
            file,
            element_id,
            f"camunda:{attribute}Binding «{binding}» no existe; use latest, deployment, version o versionTag",
        )
        return
    if binding == "version":
        version = (el.get(_c(f"{attribute}Version")) or "").strip()
        if not version.isdigit() or int(version) < 1:
            yield Problem(
                file,
                element_id,
                f"con camunda:{attribute}Binding=version, camunda:{attribute}Version debe ser un número de "
                f"versión (1, 2, …), no «{version}»",
            )
            return
    if binding == "versionTag" and not (el.get(_c(f"{attribute}VersionTag")) or "").strip():
        yield Problem(
            file, element_id, f"con camunda:{attribute}Binding=versionTag falta camunda:{attribute}VersionTag"
        )
        return
    if key in local:
        return
    if binding == "deployment":
        yield Problem(
            file,
            element_id,
            f"{what} «{key}» no está en este despliegue y camunda:{attribute}Binding=deployment solo usa el "
            "del mismo despliegue: despliéguelos juntos o use latest",
        )
    elif key not in known:
        yield Problem(
            file,
            element_id,
            f"{what} «{key}» aún no se ha desplegado: hágalo antes de que una instancia llegue aquí, "
            "o la actividad quedará en incidente",
            "warning",
        )
