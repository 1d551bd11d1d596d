"""The JsonLogic suites both sides run (server: tests/runtime/forms/test_logic.py; Chromium:
tests/e2e/test_logic_parity.py): the official suite and the 50 edge cases from ``../shared`` and the
project's own ``tests/runtime/forms/parity_cases.json``, with a strict comparison (``true`` is not ``1``).

``../shared`` is beside the checkout in CI; elsewhere it may be absent, and the shared suites are then skipped
with a reason — in CI (``CI`` set) that fails instead.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from runtime.forms.logic import RuleError, evaluate

ROOT = Path(__file__).resolve().parents[1]
SHARED_JSONLOGIC = ROOT.parent / "shared" / "data" / "jsonlogic"
PARITY_FILE = ROOT / "tests" / "runtime" / "forms" / "parity_cases.json"
IN_CI = bool(os.environ.get("CI"))
OFFICIAL_COUNT = 277  # test cases in the official tests.json (301 entries less 24 comment lines)
EDGE_COUNT = 50

# Values whose JsonLogic truthiness both sides must agree on, with the answer datalogic gives.
TRUTHINESS = [("", False), ("0", True), ("a", True), ("特急", True), ([], False), ([0], True), ({}, False),
              ({"a": 1}, True), (None, False), (0, False), (0.0, False), (-1, True), (0.5, True), (True, True),
              (False, False)]


def shared_missing_reason() -> str | None:
    """Why the shared suites cannot run, or None. Fails the test in CI, where ../shared is always present."""
    if (SHARED_JSONLOGIC / "official-tests.json").is_file() and (SHARED_JSONLOGIC / "edge-cases.json").is_file():
        return None
    reason = f"{SHARED_JSONLOGIC} is absent: the official JsonLogic suite and the edge cases live in ../shared"
    if IN_CI:
        pytest.fail(reason)
    return reason


def official_cases() -> list[dict[str, Any]]:
    """The official suite as cases: name (the suite's comment heading and index), rule, data, expected result."""
    raw = json.loads((SHARED_JSONLOGIC / "official-tests.json").read_text(encoding="utf-8"))
    cases, heading = [], ""
    for entry in raw:
        if isinstance(entry, str):
            heading = entry.lstrip("# ").strip()
            continue
        rule, data, expected = entry
        cases.append({"name": f"official {len(cases)} ({heading})", "rule": rule, "data": data, "result": expected})
    return cases


def edge_cases() -> list[dict[str, Any]]:
    """The shared edge cases (rule and data only), with the outcome parity_cases.json pins for each."""
    raw = json.loads((SHARED_JSONLOGIC / "edge-cases.json").read_text(encoding="utf-8"))
    pinned = parity_document()["edge_cases"]
    return [{"name": f"edge {i}", "rule": rule, "data": data, **pinned[i]} for i, (rule, data) in enumerate(raw)]


def parity_document() -> dict[str, Any]:
    return json.loads(PARITY_FILE.read_text(encoding="utf-8"))


def own_cases() -> list[dict[str, Any]]:
    return parity_document()["cases"]


def outcome(rule: Any, data: Any) -> dict[str, Any]:
    """What the server's evaluator gives: ``{"result": value}`` or ``{"error": engine error tag}``."""
    try:
        return {"result": evaluate(rule, data)}
    except RuleError as error:
        return {"error": error.error_type}


def expected(case: dict[str, Any]) -> dict[str, Any]:
    return {"error": case["error"]} if "error" in case else {"result": case["result"]}


def canonical(value: Any) -> Any:
    """A form that compares strictly: a boolean never equals a number, 3 equals 3.0 (JSON has one number type)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return (type(value).__name__, value)
    if isinstance(value, int | float):
        return ("number", float(value))
    if isinstance(value, list):
        return ("array", [canonical(v) for v in value])
    if isinstance(value, dict):
        return ("object", sorted((k, canonical(v)) for k, v in value.items()))
    raise TypeError(f"not a JSON value: {value!r}")


def disagreements(cases: list[dict[str, Any]], got: list[dict[str, Any]]) -> list[str]:
    """Each case whose outcome differs from ``got`` (same order), as a readable line."""
    if len(cases) != len(got):
        return [f"{len(cases)} cases but {len(got)} outcomes"]
    out = []
    for case, outcome_ in zip(cases, got, strict=True):
        want = expected(case)
        if canonical(want) != canonical(outcome_):
            rule = json.dumps(case["rule"], ensure_ascii=False)
            data = json.dumps(case["data"], ensure_ascii=False)
            out.append(f"{case['name']}: {rule} on {data}: expected {want}, got {outcome_}")
    return out
