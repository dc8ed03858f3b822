"""DMN hit policies, required decisions and literal expressions evaluated as Camunda 7's DMN engine does
(engine-dmn's HitPolicyTest and DrdTest expectations), on decision tables written as Camunda Modeler does."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from lxml import etree

from engine.modeling.dmn import read_decisions
from engine.modeling.translate import translate_tree
from engine.runtime.decisions import DecisionError, evaluate_decision, map_result

NS = "https://www.omg.org/spec/DMN/20191111/MODEL/"


def table(policy: str, rules: list[tuple[str, str]], aggregation: str = "", values: str = "") -> str:
    agg = f' aggregation="{aggregation}"' if aggregation else ""
    output_values = f"<outputValues><text>{values}</text></outputValues>" if values else ""
    body = "".join(
        f'<rule id="r{i}"><inputEntry id="i{i}"><text>{cell}</text></inputEntry>'
        f'<outputEntry id="o{i}"><text>{out}</text></outputEntry></rule>'
        for i, (cell, out) in enumerate(rules, start=1)
    )
    return (
        f'<decision id="d" name="D"><decisionTable id="t" hitPolicy="{policy}"{agg}>'
        '<input id="in"><inputExpression id="e" typeRef="integer"><text>x</text></inputExpression></input>'
        f'<output id="out" name="y">{output_values}</output>{body}</decisionTable></decision>'
    )


def models(decisions: str) -> dict[str, Any]:
    root = etree.fromstring(
        f'<definitions xmlns="{NS}" id="defs" name="n" namespace="n">{decisions}</definitions>'
    )
    assert translate_tree(root, "t.dmn") == []
    found, problems = read_decisions(root, "t.dmn")
    assert problems == [], problems
    return found


def python(expression: str, context: Mapping[str, Any]) -> Any:
    return eval(expression, {}, dict(context))  # the tests' own trusted cells


def evaluate(decisions: str, decision: str = "d", **variables: Any) -> list[dict[str, Any]]:
    return evaluate_decision(models(decisions), decision, variables, python)


RULES = [(">= 1", '"a"'), (">= 2", '"b"'), (">= 3", '"c"')]


@pytest.mark.parametrize(
    ("policy", "x", "expected"),
    [
        ("FIRST", 3, [{"y": "a"}]),
        ("RULE ORDER", 2, [{"y": "a"}, {"y": "b"}]),
        ("COLLECT", 3, [{"y": "a"}, {"y": "b"}, {"y": "c"}]),
        ("UNIQUE", 1, [{"y": "a"}]),
        ("UNIQUE", 0, []),
    ],
)
def test_hit_policies_give_camunda_results(policy: str, x: int, expected: list[dict[str, Any]]) -> None:
    assert evaluate(table(policy, RULES), x=x) == expected


def test_unique_with_two_matches_is_an_error_as_in_camunda() -> None:
    with pytest.raises(DecisionError, match="DMN-03001"):
        evaluate(table("UNIQUE", RULES), x=2)


def test_any_accepts_equal_results_and_refuses_different_ones() -> None:
    same = table("ANY", [(">= 1", '"a"'), (">= 2", '"a"')])
    assert evaluate(same, x=2) == [{"y": "a"}]
    with pytest.raises(DecisionError, match="DMN-03002"):
        evaluate(table("ANY", RULES), x=2)


@pytest.mark.parametrize(("aggregation", "expected"), [("SUM", 6), ("MIN", 1), ("MAX", 3), ("COUNT", 3)])
def test_collect_aggregations(aggregation: str, expected: int) -> None:
    numbers = [(">= 1", "1"), (">= 2", "2"), (">= 3", "3")]
    assert evaluate(table("COLLECT", numbers, aggregation), x=3) == [{"y": expected}]


def test_collect_sum_of_nothing_is_no_result_and_count_is_zero() -> None:
    numbers = [(">= 1", "1")]
    assert evaluate(table("COLLECT", numbers, "SUM"), x=0) == []
    assert evaluate(table("COLLECT", numbers, "COUNT"), x=0) == [{"y": 0}]


def test_priority_takes_the_match_with_the_first_output_value() -> None:
    decision = table("PRIORITY", RULES, values='"c","b","a"')
    assert evaluate(decision, x=3) == [{"y": "c"}]
    assert evaluate(decision, x=2) == [{"y": "b"}]


def test_required_decisions_are_evaluated_first_and_feed_the_next() -> None:
    season = (
        '<decision id="season" name="Season"><decisionTable id="ts">'
        '<input id="ti"><inputExpression id="te"><text>temperature</text></inputExpression></input>'
        '<output id="so" name="season"/>'
        '<rule id="s1"><inputEntry id="s1i"><text>&gt; 20</text></inputEntry><outputEntry id="s1o"><text>"Summer"</text></outputEntry></rule>'
        '<rule id="s2"><inputEntry id="s2i"><text>&lt;= 20</text></inputEntry><outputEntry id="s2o"><text>"Winter"</text></outputEntry></rule>'
        "</decisionTable></decision>"
    )
    dish = (
        '<decision id="dish" name="Dish"><informationRequirement id="ir"><requiredDecision href="#season"/>'
        '</informationRequirement><literalExpression id="le"><text>if season = "Summer" then "salad" else "stew"'
        '</text></literalExpression><variable id="v" name="dish"/></decision>'
    )
    assert evaluate(season + dish, "dish", temperature=30) == [{"dish": "salad"}]
    assert evaluate(season + dish, "dish", temperature=5) == [{"dish": "stew"}]


def test_a_cycle_of_required_decisions_is_refused() -> None:
    loop = (
        '<decision id="a" name="A"><informationRequirement id="ia"><requiredDecision href="#b"/></informationRequirement>'
        '<literalExpression id="la"><text>1</text></literalExpression><variable id="va" name="a"/></decision>'
        '<decision id="b" name="B"><informationRequirement id="ib"><requiredDecision href="#a"/></informationRequirement>'
        '<literalExpression id="lb"><text>2</text></literalExpression><variable id="vb" name="b"/></decision>'
    )
    root = etree.fromstring(
        f'<definitions xmlns="{NS}" id="defs" name="n" namespace="n">{loop}</definitions>'
    )
    _, problems = read_decisions(root, "t.dmn")
    assert any("ciclo" in p.message for p in problems)


def test_result_mappers_refuse_what_camunda_refuses() -> None:
    two = [{"y": 1}, {"y": 2}]
    assert map_result(two, "collectEntries", "d") == [1, 2]
    with pytest.raises(DecisionError, match="ENGINE-22001"):
        map_result(two, "singleEntry", "d")
    with pytest.raises(DecisionError, match="ENGINE-22002"):
        map_result([{"y": 1, "z": 2}], "collectEntries", "d")
