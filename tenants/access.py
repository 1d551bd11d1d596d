"""What the permission layer needs from a resolved bundle: roles, assignments, posts and holders.

Pure and small. ``tenants.store`` keeps it in ``Unit.access`` at every publish, so loading the
permissions of 375 units reads one small JSON each instead of every unit's whole configuration;
``rbac`` builds the Casbin lines from it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Perms = frozenset[tuple[str, str]]


def perms_of(role: Mapping[str, Any]) -> Perms:
    """A policy.yaml role's permissions as a set of (object, action): order and grouping don't matter."""
    out = set()
    for p in role.get("permissions") or []:
        if isinstance(p, dict) and isinstance(p.get("object"), str):
            out.update((p["object"], a) for a in p.get("actions") or [] if isinstance(a, str))
    return frozenset(out)


def access_of(resolved: Mapping[str, Any]) -> dict[str, Any]:
    """What the permission layer needs from a resolved bundle (``Resolved.as_json()``), JSON-safe.

    ``{"roles": {id: [[obj, act], …]}, "assignments": [{"user"|"post": x, "role": r} | {"members": true, "role": r}],
    "posts": {id: {"roles": [...], "a": login|None, "b": [logins], "filing": bool}}}``; lists are
    sorted so the same bundle always gives the same document.
    """
    policy = resolved.get("policy") or {}
    org = resolved.get("org") or {}
    roles = {}
    for r in policy.get("roles") or []:
        if isinstance(r, dict) and isinstance(r.get("id"), str):
            roles[r["id"]] = [list(p) for p in sorted(perms_of(r))]
    assignments = []
    for a in policy.get("assignments") or []:
        if not isinstance(a, dict) or not isinstance(a.get("role"), str):
            continue
        if a.get("members") is True:
            assignments.append({"members": True, "role": a["role"]})
            continue
        for key in ("user", "post"):
            if isinstance(a.get(key), str):
                assignments.append({key: a[key], "role": a["role"]})
                break
    posts = {}
    for p in org.get("posts") or []:
        if isinstance(p, dict) and isinstance(p.get("id"), str):
            posts[p["id"]] = {"roles": [r for r in p.get("roles") or [] if isinstance(r, str)],
                              "a": p.get("a_holder") if isinstance(p.get("a_holder"), str) else None,
                              "b": [b for b in p.get("b_holders") or [] if isinstance(b, str)],
                              "filing": bool(p.get("filing"))}
    return {"roles": roles, "assignments": assignments, "posts": posts}
