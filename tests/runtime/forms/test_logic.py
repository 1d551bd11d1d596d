"""The server's JsonLogic evaluator (runtime/forms/logic.py) against the official suite, the shared edge
cases and the project's own parity cases; truthiness; errors that name the rule; the compile cache.

The browser must give the identical outcome for every one of these cases: tests/e2e/test_logic_parity.py.
"""

from __future__ import annotations

from collections import Counter

import pytest
from logic_cases import (
    EDGE_COUNT,
    OFFICIAL_COUNT,
    TRUTHINESS,
    disagreements,
    edge_cases,
    official_cases,
    outcome,
    own_cases,
    parity_document,
    shared_missing_reason,
)

from runtime.forms.logic import RuleError, compile_rule, evaluate, truthy
from tenants.errors import BanwenError


def _require_shared() -> None:
    reason = shared_missing_reason()
    if reason:
        pytest.skip(reason)


def test_official_suite_passes() -> None:
    _require_shared()
    cases = official_cases()
    assert len(cases) == OFFICIAL_COUNT
    failures = disagreements(cases, [outcome(c["rule"], c["data"]) for c in cases])
    assert failures == [], "\n".join(failures)


def test_edge_cases_give_the_pinned_outcomes() -> None:
    _require_shared()
    cases = edge_cases()
    assert len(cases) == EDGE_COUNT == len(parity_document()["edge_cases"])
    failures = disagreements(cases, [outcome(c["rule"], c["data"]) for c in cases])
    assert failures == [], "\n".join(failures)


def test_own_parity_cases_give_the_recorded_outcomes() -> None:
    cases = own_cases()
    assert len(cases) >= 40
    assert len({c["name"] for c in cases}) == len(cases), "case names must be unique"
    failures = disagreements(cases, [outcome(c["rule"], c["data"]) for c in cases])
    assert failures == [], "\n".join(failures)


def test_own_parity_cases_cover_what_splits_evaluators() -> None:
    """The kinds of case the issue asks for are all there, errors included (they must match too)."""
    cases = own_cases()
    operators = Counter(op for c in cases for op in _operators(c["rule"]))
    for op in ("==", "===", "!=", "!==", "!!", "!", "var", "missing", "missing_some", "+", "-", "*", "/", "%", "<",
               "<=", ">", "in", "substr", "cat", "min", "max", "merge", "map", "filter", "reduce", "all", "some",
               "none", "if", "and", "or"):
        assert operators[op], f"no parity case uses {op}"
    assert sum("error" in c for c in cases) >= 5
    assert any(isinstance(c["result"], str) and any("\u4e00" <= ch <= "\u9fff" for ch in c["result"])
               for c in cases if "result" in c), "no case yields a Chinese string"


def _operators(rule: object) -> list[str]:
    if isinstance(rule, dict):
        return [op for key, value in rule.items() for op in [key, *_operators(value)]]
    if isinstance(rule, list):
        return [op for item in rule for op in _operators(item)]
    return []


@pytest.mark.parametrize(("value", "expected"), TRUTHINESS, ids=[repr(v) for v, _ in TRUTHINESS])
def test_truthy_is_jsonlogic_truthiness(value: object, expected: bool) -> None:
    assert truthy(value) is expected
    assert evaluate({"!!": [{"var": "v"}]}, {"v": value}) is expected, "truthy() and the !! operator disagree"


def test_a_form_rule_decides_visibility() -> None:
    visible = {"==": [{"var": "urgency"}, "特急"]}
    assert evaluate(visible, {"urgency": "特急"}) is True
    assert evaluate(visible, {"urgency": "平件"}) is False
    assert evaluate(visible, {}) is False


def test_strings_are_values_not_json_text() -> None:
    """The binding reads a str as JSON text; ours means the string itself, as the browser does."""
    assert evaluate("apple") == "apple"
    assert evaluate("[1, 2]") == "[1, 2]"
    assert evaluate({"var": ""}, "余府发") == "余府发"
    assert evaluate({"cat": [{"var": ""}, "号"]}, "12") == "12号"


def test_unknown_operator_is_a_rule_error_naming_the_rule() -> None:
    rule = {"if": [{"紧急吗": [{"var": "urgency"}]}, 1, 2]}
    with pytest.raises(RuleError) as raised:
        evaluate(rule, {"urgency": "特急"})
    error = raised.value
    assert isinstance(error, BanwenError)
    assert error.status == 422
    assert error.error_type == "InvalidOperator"
    assert error.operator == "紧急吗"
    assert error.rule == '{"if":[{"紧急吗":[{"var":"urgency"}]},1,2]}'
    assert error.zh.startswith("规则 {\"if\"") and "无法求值" in error.zh and "紧急吗" in error.zh
    assert error.en.startswith("Rule {\"if\"") and "cannot be evaluated" in error.en
    assert "Traceback" not in error.message()


def test_failure_on_data_is_a_rule_error() -> None:
    with pytest.raises(RuleError) as raised:
        evaluate({"/": [{"var": "total"}, {"var": "count"}]}, {"total": 10, "count": 0})
    assert raised.value.error_type == "Thrown"
    assert raised.value.operator == "/"
    assert evaluate({"/": [{"var": "total"}, {"var": "count"}]}, {"total": 10, "count": 4}) == 2.5


def test_a_long_rule_is_shortened_in_the_message() -> None:
    rule = {"bad_op": ["字" * 500]}
    with pytest.raises(RuleError) as raised:
        evaluate(rule)
    assert len(raised.value.zh) < 400 and "…" in raised.value.zh
    assert raised.value.rule.endswith('"]}'), "the error keeps the whole rule for logs"


@pytest.mark.parametrize("rule", [{"var": float("nan")}, {"+": [1, object()]}, {"==": [{1, 2}, 1]}])
def test_a_rule_that_is_not_json_is_a_rule_error(rule: object) -> None:
    with pytest.raises(RuleError) as raised:
        evaluate(rule)
    assert raised.value.error_type == "NotJson"


def test_data_that_is_not_json_is_a_rule_error() -> None:
    with pytest.raises(RuleError):
        evaluate({"var": "x"}, {"x": object()})


def test_rules_compile_once() -> None:
    first = compile_rule({">": [{"var": "amount"}, 10000]})
    again = compile_rule({">": [{"var": "amount"}, 10000]})
    other = compile_rule({">": [{"var": "amount"}, 20000]})
    assert first is again
    assert other is not first
    assert first.evaluate({"amount": 10000.5}) is True
    assert other.evaluate({"amount": 10000.5}) is False


def test_money_sums_keep_float_semantics() -> None:
    """Amounts are JSON numbers (binary floats) on both sides: rules comparing sums must round themselves."""
    total = evaluate({"+": [0.1, 0.2]})
    assert total == 0.30000000000000004
    assert total != 0.3
    assert evaluate({"==": [{"+": [{"var": "a"}, {"var": "b"}]}, 0.3]}, {"a": 0.1, "b": 0.2}) is False
