"""The browser's JsonLogic (static/js/logic.js, the WASM build of datalogic) gives results identical to the
server's (runtime/forms/logic.py, datalogic-py), case by case: the official suite, the 50 shared edge cases,
the project's parity cases and truthiness — in Debian's Chromium, on a page the real app serves, so our
Content-Security-Policy applies to loading the module and compiling the WebAssembly.

Every case runs in one ``page.evaluate`` call. Errors must match too: same engine error tag on both sides.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest
from logic_cases import (
    EDGE_COUNT,
    OFFICIAL_COUNT,
    TRUTHINESS,
    canonical,
    disagreements,
    edge_cases,
    official_cases,
    outcome,
    own_cases,
    shared_missing_reason,
)

from runtime.forms.logic import truthy

if TYPE_CHECKING:
    from conftest import LiveServer  # tests/e2e/conftest.py

pytestmark = pytest.mark.e2e

RUN_ALL = """async ({cases, values}) => {
    const logic = await import("/static/js/logic.js");
    const outcomes = cases.map(([rule, data]) => {
        try {
            return {result: logic.evaluate(rule, data)};
        } catch (error) {
            if (!(error instanceof logic.RuleError)) return {unexpected: String(error)};
            return {error: error.errorType};
        }
    });
    return {outcomes, truthy: values.map((v) => logic.truthy(v))};
}"""


def test_browser_and_server_agree_on_every_case(live_server: LiveServer, browser: Any) -> None:
    skipped = shared_missing_reason()
    suites = {"own": own_cases()}
    if not skipped:
        suites["official"] = official_cases()
        suites["edge"] = edge_cases()
        assert (len(suites["official"]), len(suites["edge"])) == (OFFICIAL_COUNT, EDGE_COUNT)
    cases = [case for suite in suites.values() for case in suite]
    values = [value for value, _ in TRUTHINESS]

    context = browser.new_context(locale="zh-CN")
    try:
        page = context.new_page()
        console_errors: list[str] = []
        page.on("console", lambda message: console_errors.append(message.text) if message.type == "error" else None)
        wasm_types: list[str] = []
        page.on("response", lambda r: wasm_types.append(r.headers.get("content-type", "")) if r.url.endswith(".wasm") else None)
        failed: list[str] = []
        page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
        login = page.goto(live_server.url + "/login")
        assert login is not None and "'wasm-unsafe-eval'" in login.headers["content-security-policy"]
        browser_run = page.evaluate(RUN_ALL, {"cases": [[c["rule"], c["data"]] for c in cases], "values": values})
    finally:
        context.close()

    failed = [f for f in failed if not f.endswith("/favicon.ico")]
    assert failed == [], f"requests failed: {failed}"
    console_errors = [e for e in console_errors if not e.startswith("Failed to load resource")]  # listed in failed
    assert console_errors == [], f"the page logged errors (a CSP refusal?): {console_errors}"
    assert wasm_types == ["application/wasm"], f"the .wasm was fetched {len(wasm_types)} times, types {wasm_types}"
    got = browser_run["outcomes"]
    assert len(got) == len(cases)
    assert not [o for o in got if "unexpected" in o], [o for o in got if "unexpected" in o]

    # The browser against the recorded/official answers, and against the server evaluated right now.
    assert disagreements(cases, got) == [], "\n".join(disagreements(cases, got))
    server = [outcome(c["rule"], c["data"]) for c in cases]
    differ = [f"{c['name']}: server {s}, browser {b}" for c, s, b in zip(cases, server, got, strict=True)
              if canonical(s) != canonical(b)]
    assert differ == [], "\n".join(differ)

    assert browser_run["truthy"] == [truthy(v) for v in values] == [want for _, want in TRUTHINESS]
    if skipped:
        pytest.skip(f"own parity cases agree ({len(cases)}); {skipped}")

