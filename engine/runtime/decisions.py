"""Evaluating DMN decisions (models from engine/modeling/dmn.py) as Camunda 7's DMN engine does.

- Required decisions are evaluated first; their results become variables of the ones that need them
  (one result: its entries; several, or a COLLECT / RULE ORDER table: a list per output name).
- A rule's result leaves out its empty output cells. UNIQUE with two matches, ANY with differing
  results, and an aggregation over non-numbers are errors (an incident), as in Camunda.
- `camunda:mapDecisionResult` and `camunda:resultVariable` map the result like Camunda's result mappers.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

Model = Mapping[str, Any]
Evaluate = Callable[[str, Mapping[str, Any]], Any]
# The same pattern SpiffWorkflow uses for '?' outside quotes: the cell's input value.
_INPUT = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")
INPUT_NAME = "dmninputexpr"
MAPPERS = ("singleEntry", "singleResult", "collectEntries", "resultList")


class DecisionError(Exception):
    """The decision cannot give a result (Camunda: a DMN hit policy or mapping exception)."""


def evaluate_decision(
    models: Mapping[str, Model], decision_id: str, variables: Mapping[str, Any], evaluate: Evaluate
) -> list[dict[str, Any]]:
    """The decision's result list (one dict per matched rule), its required decisions evaluated first."""
    order: list[str] = []
    _order(models, decision_id, order, set())
    context = dict(variables)
    result: list[dict[str, Any]] = []
    for did in order:
        model = models[did]
        result = _evaluate_one(model, context, evaluate)
        if did != decision_id:
            _add_to_context(model, result, context)
    return result


def map_result(result: list[dict[str, Any]], mapper: str | None, decision_id: str) -> Any:
    """Camunda's result mappers; `resultList` is the default."""
    if mapper in (None, "", "resultList"):
        return result
    if mapper == "singleResult":
        if len(result) > 1:
            raise DecisionError(
                f"La decisión '{decision_id}' dio {len(result)} resultados y mapDecisionResult=singleResult "
                "admite uno (Camunda: ENGINE-22001)."
            )
        return result[0] if result else None
    if mapper == "singleEntry":
        if len(result) > 1 or (result and len(result[0]) > 1):
            raise DecisionError(
                f"La decisión '{decision_id}' no dio un único valor y mapDecisionResult=singleEntry admite "
                "uno (Camunda: ENGINE-22001)."
            )
        return next(iter(result[0].values()), None) if result else None
    if mapper == "collectEntries":
        names = {name for entry in result for name in entry}
        if len(names) > 1:
            raise DecisionError(
                f"La decisión '{decision_id}' dio varias salidas ({', '.join(sorted(names))}) y "
                "mapDecisionResult=collectEntries admite una (Camunda: ENGINE-22002)."
            )
        return [value for entry in result for value in entry.values()]
    raise DecisionError(f"mapDecisionResult «{mapper}» no existe; use uno de {', '.join(MAPPERS)}.")


def merged_outputs(result: list[dict[str, Any]]) -> dict[str, Any]:
    """Without a resultVariable: one result's entries, or a list per output name (phva's default)."""
    if len(result) == 1:
        return dict(result[0])
    merged: dict[str, Any] = {}
    for entry in result:
        for name, value in entry.items():
            merged.setdefault(name, []).append(value)
    return merged


def _order(models: Mapping[str, Model], did: str, order: list[str], visiting: set[str]) -> None:
    if did in order or did in visiting:
        return
    if did not in models:
        raise DecisionError(f"La decisión requerida '{did}' no está desplegada.")
    visiting.add(did)
    for ref in models[did]["required"]:
        _order(models, ref, order, visiting)
    order.append(did)


def _add_to_context(model: Model, result: list[dict[str, Any]], context: dict[str, Any]) -> None:
    if not result:
        return
    if len(result) == 1 and model.get("hit_policy") not in ("COLLECT", "RULE ORDER"):
        context.update(result[0])
        return
    for name in {name for entry in result for name in entry}:
        context[name] = [entry[name] for entry in result if name in entry]


def _evaluate_one(model: Model, context: Mapping[str, Any], evaluate: Evaluate) -> list[dict[str, Any]]:
    if model["kind"] == "literal":
        return [{model["variable"]: evaluate(model["expression"], context)}]
    inputs = [evaluate(column["expression"], context) for column in model["inputs"]]
    matched = [rule for rule in model["rules"] if _matches(rule, model["inputs"], inputs, context, evaluate)]
    policy, outputs = model["hit_policy"], model["outputs"]
    results = [(rule, _outputs(rule, outputs, context, evaluate)) for rule in matched]
    if policy == "UNIQUE" and len(results) > 1:
        ids = ", ".join(str(rule["id"]) for rule, _ in results)
        raise DecisionError(
            f"La decisión '{model['id']}' tiene política UNIQUE y coinciden {len(results)} reglas ({ids}) "
            "(Camunda: DMN-03001)."
        )
    if policy == "ANY" and any(r != results[0][1] for _, r in results[1:]):
        raise DecisionError(
            f"La decisión '{model['id']}' tiene política ANY y las reglas que coinciden dan resultados "
            "distintos (Camunda: DMN-03002)."
        )
    if policy in ("FIRST", "ANY", "UNIQUE"):
        return [results[0][1]] if results else []
    if policy in ("PRIORITY", "OUTPUT ORDER"):
        ranked = sorted(results, key=lambda item: _rank(item[1], outputs, context, evaluate))
        return [ranked[0][1]] if policy == "PRIORITY" and ranked else [r for _, r in ranked]
    if policy == "COLLECT" and model.get("aggregation"):
        return _aggregate(model, [r for _, r in results])
    return [r for _, r in results]


def _matches(
    rule: Model, columns: list[Model], inputs: list[Any], context: Mapping[str, Any], evaluate: Evaluate
) -> bool:
    for entry, column, value in zip(rule["inputs"], columns, inputs, strict=False):
        if not entry:
            continue  # '-' or an empty cell: any value
        local = {**context, column["variable"]: value, INPUT_NAME: value}
        marked = _INPUT.sub(INPUT_NAME, entry)
        matched = evaluate(marked, local) if INPUT_NAME in marked else value == evaluate(entry, local)
        if not matched:
            return False
    return True


def _outputs(
    rule: Model, columns: list[Model], context: Mapping[str, Any], evaluate: Evaluate
) -> dict[str, Any]:
    return {
        column["name"]: evaluate(text, context)
        for text, column in zip(rule["outputs"], columns, strict=False)
        if text is not None  # an empty cell is left out of the result, as in Camunda
    }


def _rank(
    result: Mapping[str, Any], columns: list[Model], context: Mapping[str, Any], evaluate: Evaluate
) -> tuple[int, ...]:
    ranks = []
    for column in columns:
        values = [evaluate(text, context) for text in column["values"]]
        value = result.get(column["name"])
        ranks.append(values.index(value) if value in values else len(values))
    return tuple(ranks)


def _aggregate(model: Model, results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    if any(len(r) > 1 for r in results):
        raise DecisionError(
            f"La decisión '{model['id']}' agrega con COLLECT {model['aggregation']} y una regla dio varias "
            "salidas: la agregación se aplica a una sola (Camunda: DMN-03004)."
        )
    values = [next(iter(r.values())) for r in results if r]
    name: str = next((next(iter(r)) for r in results if r), model["outputs"][0]["name"])
    aggregation = model["aggregation"]
    if aggregation == "COUNT":
        return [{name: len(values)}]
    if not values:
        return []
    numbers: list[float] = []
    for value in values:
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise DecisionError(_not_numbers(model, aggregation, values))
        try:
            numbers.append(value if isinstance(value, int | float) else float(value))
        except ValueError as error:
            raise DecisionError(_not_numbers(model, aggregation, values)) from error
    total = sum(numbers) if aggregation == "SUM" else min(numbers) if aggregation == "MIN" else max(numbers)
    return [{name: total}]


def _not_numbers(model: Model, aggregation: str, values: list[Any]) -> str:
    return (
        f"La decisión '{model['id']}' agrega con COLLECT {aggregation} valores que no son números: "
        f"{values!r} (Camunda: DMN-03004)."
    )
