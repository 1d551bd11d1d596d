"""JsonLogic on the server: the authoritative evaluation of form and flow rules.

The browser runs the same Rust engine compiled to WebAssembly (``runtime/screens/static/js/logic.js``,
``@goplasmatic/datalogic``) for instant feedback; this module decides. DESIGN.md §5 says why this pair:
the only evaluators measured to agree on the official suite and on every edge case that splits the others
(``tests/e2e/test_logic_parity.py`` keeps proving it, case by case).

Semantics worth knowing (datalogic follows the newer JsonLogic community rules and raises instead of
coercing where json-logic-js guesses): ``{"/": [1, 0]}``, ``{"==": [0, ""]}`` and ``{"+": ["a", 1]}`` are
errors, not ``Infinity``/``true``/``NaN``; ``missing`` does not count ``null`` or ``""`` as missing, so a
"required" rule must test emptiness itself. Every failure becomes a :class:`RuleError` naming the rule.

Rules are compiled once and kept (keyed by their JSON text) because a form's few dozen rules are evaluated on
every write and every list render; the compiled rule evaluates ~25× faster than parsing each call
(research/deps.md §2). The engine is immutable and thread-safe, so one per process is shared like a
compiled regular expression, not configuration.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import datalogic_py

from tenants.errors import BanwenError

__all__ = ["CompiledRule", "RuleError", "compile_rule", "evaluate", "truthy"]

RULE_CACHE_SIZE = 4096  # distinct rules kept compiled: every published form version's rules, many times over
_SHOWN_RULE_CHARS = 200  # how much of a long rule an error message quotes

# Default configuration: JsonLogic's standard operators plus datalogic's extras, the same set the WASM build has.
_ENGINE = datalogic_py.Engine()


class RuleError(BanwenError):
    """A JsonLogic rule that cannot be compiled, or failed on the data it was given.

    ``rule`` is the rule's JSON text; ``error_type`` the engine's stable tag (``InvalidOperator``, ``Thrown``,
    ``InvalidArguments``, ``ParseError``…); ``operator`` the innermost failing operator, when known.
    """

    status = 422

    def __init__(self, rule: str, error_type: str, operator: str | None, detail: str) -> None:
        shown = rule if len(rule) <= _SHOWN_RULE_CHARS else rule[:_SHOWN_RULE_CHARS] + "…"
        at = f"（运算符 {operator}）" if operator else ""
        at_en = f" (operator {operator})" if operator else ""
        super().__init__(f"规则 {shown} 无法求值{at}：{detail}", f"Rule {shown} cannot be evaluated{at_en}: {detail}")
        self.rule = rule
        self.error_type = error_type
        self.operator = operator


def _rule_error(text: str, error: Exception) -> RuleError:
    if isinstance(error, datalogic_py.DataLogicError):
        return RuleError(text, getattr(error, "error_type", type(error).__name__), getattr(error, "operator", None), str(error))
    return RuleError(text, type(error).__name__, None, str(error))


@dataclass(frozen=True, eq=False)
class CompiledRule:
    """One rule compiled once; :meth:`evaluate` may be called from any thread."""

    text: str
    _compiled: datalogic_py.Rule

    def evaluate(self, data: Any = None) -> Any:
        """The rule's value for ``data`` (any JSON value; ``None`` is an empty context)."""
        try:
            # The binding reads a ``str`` as JSON text; a string *value* must be encoded to mean itself.
            return self._compiled.evaluate(json.dumps(data, ensure_ascii=False) if isinstance(data, str) else data)
        except (datalogic_py.DataLogicError, TypeError, ValueError, OverflowError) as error:
            raise _rule_error(self.text, error) from error


def compile_rule(rule: Any) -> CompiledRule:
    """Compile ``rule`` (a dict, list or scalar as parsed from JSON/YAML), or take it from the cache."""
    try:
        text = json.dumps(rule, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise RuleError(repr(rule)[:_SHOWN_RULE_CHARS], "NotJson", None, str(error)) from error
    return _compile_text(text)


@lru_cache(maxsize=RULE_CACHE_SIZE)
def _compile_text(text: str) -> CompiledRule:
    # Always JSON text: the binding would otherwise parse a bare string rule such as "apple" as JSON and fail.
    try:
        return CompiledRule(text, _ENGINE.compile(text))
    except datalogic_py.DataLogicError as error:
        raise _rule_error(text, error) from error


def evaluate(rule: Any, data: Any = None) -> Any:
    """Evaluate the JsonLogic ``rule`` against ``data``; raises :class:`RuleError` naming the rule on failure."""
    return compile_rule(rule).evaluate(data)


def truthy(value: Any) -> bool:
    """JsonLogic truthiness (not Python's): ``"0"`` is true; ``[]``, ``""`` and — unlike json-logic-js — ``{}`` are false.

    What ``if``, ``and``, ``!`` and ``!!`` use, so a ``visible``/``required`` rule's result means the same
    here and in the browser.
    """
    try:
        return bool(_ENGINE.truthy(json.dumps(value, ensure_ascii=False, allow_nan=False)))
    except (datalogic_py.DataLogicError, TypeError, ValueError) as error:
        raise _rule_error(repr(value)[:_SHOWN_RULE_CHARS], error) from error
