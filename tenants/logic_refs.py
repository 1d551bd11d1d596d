"""Which data fields a JsonLogic rule reads — so the linter can name a rule that reads a missing field."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

# In these operators the second argument is evaluated against each array element, so its
# ``var``s name the element's keys, not the form's fields.
SCOPED_OPS = {"map", "filter", "reduce", "all", "some", "none"}


def logic_vars(rule: Any) -> Iterator[str]:
    """Yield the top-level field name of every ``var`` / ``missing`` reference in ``rule``.

    ``{"var": "applicant.name"}`` yields ``applicant``; ``{"var": ""}`` (the whole data) yields
    nothing.
    """
    if isinstance(rule, list):
        for r in rule:
            yield from logic_vars(r)
        return
    if not isinstance(rule, dict) or len(rule) != 1:
        return
    (op, args), = rule.items()
    if op == "var":
        name = args[0] if isinstance(args, list) and args else args
        if isinstance(name, str) and name:
            yield name.split(".")[0]
        elif isinstance(name, dict | list):
            yield from logic_vars(name)
        return
    if op in ("missing", "missing_some"):
        names = args[1] if op == "missing_some" and isinstance(args, list) and len(args) > 1 else args
        if isinstance(names, str):
            names = [names]
        if isinstance(names, list):
            for n in names:
                if isinstance(n, str) and n:
                    yield n.split(".")[0]
                else:
                    yield from logic_vars(n)
        return
    if op in SCOPED_OPS and isinstance(args, list):
        if args:
            yield from logic_vars(args[0])
        for extra in args[2:]:
            yield from logic_vars(extra)
        return
    yield from logic_vars(args)
