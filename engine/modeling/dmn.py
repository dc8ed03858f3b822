"""DMN decisions read into JSON-native models the runtime evaluates (engine/runtime/decisions.py).

Read after translate_tree, so every cell already holds Python text ('?' stands for the input value).
What Camunda 7 runs is read as it runs it: several decisions per file linked by `requiredDecision`
(a decision requirements graph), decision tables with the hit policies UNIQUE, FIRST, ANY, RULE ORDER,
COLLECT and COLLECT SUM/MIN/MAX/COUNT, literal-expression decisions, empty output cells (left out of the
rule's result, as Camunda does), DMN 1.1, 1.2 and 1.3 namespaces. PRIORITY and OUTPUT ORDER (Camunda 7
refuses them, DMN-02004) run as the DMN standard says, by the order of the output's `outputValues`.

A model: {"id", "name", "version_tag", "required": [ids], "kind": "table" | "literal", ...}
- table: "hit_policy", "aggregation", "inputs": [{"expression", "variable"}],
  "outputs": [{"name", "values": [python]}], "rules": [{"id", "inputs": [python | ""], "outputs": [python | None]}]
- literal: "variable", "expression".
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator, Mapping
from typing import Any

from lxml import etree

from engine.modeling.expressions import ExpressionError, feel_expression_to_python
from engine.modeling.report import Problem

CAMUNDA_DMN_NS = "http://camunda.org/schema/1.0/dmn"
HIT_POLICIES = frozenset({"UNIQUE", "FIRST", "PRIORITY", "ANY", "COLLECT", "RULE ORDER", "OUTPUT ORDER"})
AGGREGATIONS = frozenset({"SUM", "MIN", "MAX", "COUNT"})
DEFAULT_INPUT_VARIABLE = "cellInput"

Model = dict[str, Any]


def read_decisions(root: Any, file: str) -> tuple[dict[str, Model], list[Problem]]:
    """Every decision of a DMN document by id, and what makes a decision unusable (errors)."""
    ns = etree.QName(root).namespace
    models: dict[str, Model] = {}
    problems: list[Problem] = []
    for decision in root.findall(f"{{{ns}}}decision"):
        did = decision.get("id")
        if not did:
            continue  # refused by check_dmn_ids
        model, found = _decision(decision, ns, file)
        problems.extend(found)
        models[did] = model
    for did, model in models.items():
        for ref in model["required"]:
            if ref not in models:
                problems.append(
                    Problem(
                        file, did, f"la decisión requerida «{ref}» no está en el archivo (requiredDecision)"
                    )
                )
    problems.extend(_cycles(models, file))
    return models, problems


def closure(models: Mapping[str, Model], decision_id: str) -> dict[str, Model]:
    """The decision and every decision it requires, transitively: what evaluating it needs."""
    found: dict[str, Model] = {}
    pending = [decision_id]
    while pending:
        did = pending.pop()
        if did in found or did not in models:
            continue
        found[did] = models[did]
        pending.extend(models[did]["required"])
    return found


def models_hash(models: Mapping[str, Model]) -> str:
    return hashlib.sha256(json.dumps(models, sort_keys=True).encode()).hexdigest()


def _decision(decision: Any, ns: str, file: str) -> tuple[Model, list[Problem]]:
    did = decision.get("id")
    problems: list[Problem] = []
    model: Model = {
        "id": did,
        "name": decision.get("name"),
        "version_tag": decision.get(f"{{{CAMUNDA_DMN_NS}}}versionTag"),
        "required": [
            (ref.get("href") or "").lstrip("#")
            for ref in decision.iterfind(f"{{{ns}}}informationRequirement/{{{ns}}}requiredDecision")
        ],
    }
    table = decision.find(f"{{{ns}}}decisionTable")
    literal = decision.find(f"{{{ns}}}literalExpression")
    if table is not None:
        model.update(_table(table, ns, file, did, problems))
    elif literal is not None:
        model.update(_literal(decision, literal, ns, file, did, problems))
    else:
        problems.append(
            Problem(
                file,
                did,
                "la decisión no es una tabla de decisión ni una expresión literal (Camunda: DMN-02007)",
            )
        )
        model["kind"] = "none"
    return model, problems


def _table(table: Any, ns: str, file: str, did: str, problems: list[Problem]) -> Model:
    policy = " ".join((table.get("hitPolicy") or "UNIQUE").upper().replace("_", " ").split())
    aggregation = (table.get("aggregation") or "").upper() or None
    outputs = table.findall(f"{{{ns}}}output")
    if policy not in HIT_POLICIES:
        problems.append(Problem(file, did, f"política de aciertos «{table.get('hitPolicy')}» desconocida"))
    if aggregation is not None and (aggregation not in AGGREGATIONS or policy != "COLLECT"):
        problems.append(
            Problem(
                file,
                did,
                f"la agregación «{aggregation}» solo existe con la política COLLECT y es SUM, MIN, MAX o COUNT",
            )
        )
    names = [column.get("name") or "" for column in outputs]
    if len(outputs) > 1 and not all(names):
        problems.append(
            Problem(file, did, "con varias salidas cada una necesita nombre (Camunda: DMN-02008)")
        )
    elif len(set(names)) != len(names):
        problems.append(Problem(file, did, "dos salidas tienen el mismo nombre (Camunda: DMN-02009)"))
    model: Model = {
        "kind": "table",
        "hit_policy": policy,
        "aggregation": aggregation,
        "inputs": [
            {
                "expression": (column.findtext(f"{{{ns}}}inputExpression/{{{ns}}}text") or "").strip()
                or "None",
                "variable": column.get(f"{{{CAMUNDA_DMN_NS}}}inputVariable") or DEFAULT_INPUT_VARIABLE,
            }
            for column in table.findall(f"{{{ns}}}input")
        ],
        "outputs": [
            {
                "name": column.get("name") or column.get("label") or column.get("id") or "",
                "values": list(_output_values(column, ns, file, did, problems)),
            }
            for column in outputs
        ],
        "rules": [],
    }
    if policy in ("PRIORITY", "OUTPUT ORDER") and not any(o["values"] for o in model["outputs"]):
        problems.append(
            Problem(
                file, did, f"la política {policy} ordena por los valores de salida (outputValues); no hay"
            )
        )
    for rule in table.findall(f"{{{ns}}}rule"):
        model["rules"].append(
            {
                "id": rule.get("id"),
                "inputs": [
                    (e.findtext(f"{{{ns}}}text") or "").strip() for e in rule.findall(f"{{{ns}}}inputEntry")
                ],
                "outputs": [
                    (e.findtext(f"{{{ns}}}text") or "").strip() or None
                    for e in rule.findall(f"{{{ns}}}outputEntry")
                ],
            }
        )
    return model


def _output_values(column: Any, ns: str, file: str, did: str, problems: list[Problem]) -> Iterator[str]:
    text = column.findtext(f"{{{ns}}}outputValues/{{{ns}}}text")
    for item in _split_list(text or ""):
        try:
            yield feel_expression_to_python(item)
        except ExpressionError as error:
            problems.append(Problem(file, did, f"valor de salida «{item}» no válido: {error}"))


def _split_list(text: str) -> list[str]:
    # A FEEL list of literals, `"alta","media"`: commas outside quotes separate the items.
    items, current, quoted = [], "", False
    for char in text:
        if char == '"':
            quoted = not quoted
        if char == "," and not quoted:
            items.append(current)
            current = ""
        else:
            current += char
    items.append(current)
    return [item.strip() for item in items if item.strip()]


def _literal(decision: Any, literal: Any, ns: str, file: str, did: str, problems: list[Problem]) -> Model:
    variable = decision.find(f"{{{ns}}}variable")
    text = (literal.findtext(f"{{{ns}}}text") or "").strip()
    language = (literal.get("expressionLanguage") or "feel").lower()
    expression = "None"
    if "feel" not in language:
        problems.append(
            Problem(file, did, f"el lenguaje «{language}» de la expresión literal no está soportado")
        )
    elif not text:
        problems.append(Problem(file, did, "la expresión literal está vacía"))
    else:
        try:
            expression = feel_expression_to_python(text)
        except ExpressionError as error:
            problems.append(Problem(file, did, f"expresión literal «{text}» no válida: {error}"))
    name = variable.get("name") if variable is not None else None
    if not name:
        problems.append(
            Problem(file, did, "la expresión literal necesita una variable con nombre (DMN variable)")
        )
    return {"kind": "literal", "variable": name or did, "expression": expression}


def _cycles(models: Mapping[str, Model], file: str) -> Iterator[Problem]:
    state: dict[str, int] = {}

    def visit(did: str) -> bool:
        if state.get(did) == 1:
            return True
        if state.get(did) == 2 or did not in models:
            return False
        state[did] = 1
        looped = any(visit(ref) for ref in models[did]["required"])
        state[did] = 2
        return looped

    for did in models:
        if state.get(did) is None and visit(did):
            yield Problem(file, did, "las decisiones requeridas forman un ciclo (requiredDecision)")
