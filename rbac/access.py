"""From bundles to Casbin lines: a unit's access facts, the shared role subjects, one domain's lines.

Everything here is pure. ``access_of`` extracts what the permission layer needs from a unit's
resolved bundle (stored in ``Unit.access`` at every publish); ``RoleCatalog`` holds the roles that
are written once for all units (the seed templates' roles and the platform roles); and
``domain_lines`` turns one unit's access facts, filed appointments, acting B holders and API
tokens into its ``p`` and ``g`` lines. The line shapes are documented in ``schemas/rbac_model.conf``.

Why templates are shared: 375 units with per-unit copies of every role make 300k lines and a
338 ms ``enforce()``; a role written once with domain ``*`` and per-unit ``g`` lines make 12k lines
and ~100 µs (research/deps.md §1). A role the unit changed costs only its own lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tenants.access import Perms, perms_of
from tenants.access import access_of as access_of  # re-exported: rbac's callers ask here
from tenants.errors import BanwenError
from tenants.lint import TemplateLibrary
from tenants.paths import SCHEMAS_DIR, SEEDS_DIR
from tenants.resolve import resolve
from tenants.schema_check import checker_for

MODEL_PATH = SCHEMAS_DIR / "rbac_model.conf"
PLATFORM_POLICY = SEEDS_DIR / "platform" / "policy.yaml"
PLATFORM_DOMAIN = "platform"  # where platform-level objects (the unit list, platform grants) are checked
ALL_DOMAINS = "*"
# Objects that exist once for the whole platform, not per unit: platform roles hold them only in
# the platform domain, so a grant never reads as a right inside some unit.
PLATFORM_OBJECTS = frozenset({"unit", "platform_grant"})
# The subject that stands for "every person of the unit": asked on behalf of a user in their own unit
# (Authority.check with member=True), never for a token or for someone of another unit.
MEMBERS = "unit:members"
LOGIN = re.compile(r"^[a-z][a-z0-9_.]{0,63}$")  # common.schema.json#/$defs/user_ref

Line = tuple[str, ...]


class PlatformPolicyInvalid(BanwenError):
    def __init__(self, path: Path, problems: list[str]) -> None:
        listed = "；".join(problems)
        super().__init__(f"平台角色文件 {path} 有误：{listed}", f"The platform role file {path} is invalid: {listed}")


@dataclass(frozen=True)
class PlatformRole:
    """A role that spans units (seeds/platform/policy.yaml), granted with ``banwen platform grant``."""

    id: str
    name: str
    name_en: str
    permissions: Perms


# ---------------------------------------------------------------- subjects

def template_subject(role_id: str) -> str:
    return f"role:{role_id}"


def unit_subject(domain: str, role_id: str) -> str:
    return f"{domain}/{role_id}"


def platform_subject(role_id: str) -> str:
    return f"platform:{role_id}"


def post_subject(post_id: str) -> str:
    return f"post:{post_id}"


def token_subject(token_id: int | str) -> str:
    return f"token:{token_id}"


def role_id_of(subject: str) -> str | None:
    """The role id behind a role subject (``role:staff``, ``role:staff@tpl``, ``u1/staff``,
    ``platform:city_auditor``); None for users, posts and tokens."""
    for prefix in ("role:", "platform:"):
        if subject.startswith(prefix):
            return subject[len(prefix):].split("@", 1)[0]
    if "/" in subject:
        return subject.split("/", 1)[1]
    return None


def is_login(value: Any) -> bool:
    """A plain login: the only subjects without ``:`` or ``/``, so they can never pose as a role."""
    return isinstance(value, str) and LOGIN.match(value) is not None


# ---------------------------------------------------------------- a unit's access facts

# ---------------------------------------------------------------- shared roles

def load_platform_roles(path: Path = PLATFORM_POLICY) -> dict[str, PlatformRole]:
    """The platform roles, checked against ``policy.schema.json``; the file holds roles only."""
    try:
        doc = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise PlatformPolicyInvalid(path, [str(exc)]) from None
    problems = [f"{p.pointer or '/'} {p.zh}" for p in checker_for("policy.schema.json").problems(doc)]
    if isinstance(doc, dict) and doc.get("assignments"):
        problems.append("/assignments 平台角色由 banwen platform grant 授予，文件中不能有分配")
    if problems:
        raise PlatformPolicyInvalid(path, problems)
    return {r["id"]: PlatformRole(r["id"], r["name"], r.get("name_en", r["id"]), perms_of(r))
            for r in doc.get("roles") or []}


@cache
def _seed_platform_roles() -> dict[str, PlatformRole]:
    return load_platform_roles()


PLATFORM_ROLE_IDS: frozenset[str] = frozenset(_seed_platform_roles())


def platform_roles() -> dict[str, PlatformRole]:
    """The seed platform roles by id (read once)."""
    return dict(_seed_platform_roles())


@dataclass(frozen=True)
class RoleCatalog:
    """Role subjects written once for every unit: template roles (by permission set) and platform roles.

    ``templates[role_id][perms]`` is the subject of that variant of the role. When two templates
    define one id differently, the first template in id order keeps ``role:<id>`` and each other
    variant becomes ``role:<id>@<template>``: deterministic, and still written once.
    """

    templates: dict[str, dict[Perms, str]] = field(default_factory=dict)
    platform: dict[str, PlatformRole] = field(default_factory=dict)

    @classmethod
    def build(cls, template_roles: Iterable[tuple[str, str, Perms]],
              platform: Mapping[str, PlatformRole] | None = None) -> RoleCatalog:
        """From (template id, role id, permissions) triples, in any order."""
        templates: dict[str, dict[Perms, str]] = {}
        for tid, rid, perms in sorted(template_roles, key=lambda t: (t[0], t[1])):
            variants = templates.setdefault(rid, {})
            if perms not in variants:
                variants[perms] = template_subject(rid) if not variants else f"{template_subject(rid)}@{tid}"
        return cls(templates, dict(platform if platform is not None else platform_roles()))

    @classmethod
    def from_seeds(cls, library: TemplateLibrary | None = None) -> RoleCatalog:
        """Every seed template's resolved roles (templates extend each other) and the platform roles."""
        library = library or TemplateLibrary()
        triples = []
        for tid in library.ids():
            tpl = library(tid)
            if tpl is None:
                continue
            resolved, _ = resolve(tpl, library)
            for r in resolved.policy.get("roles") or []:
                if isinstance(r, dict) and isinstance(r.get("id"), str):
                    triples.append((tid, r["id"], perms_of(r)))
        return cls.build(triples)

    def shared_subject(self, role_id: str, perms: Perms) -> str | None:
        """The template subject a unit role may use: same id and same permission set, else None."""
        return self.templates.get(role_id, {}).get(perms)

    def p_lines(self) -> list[Line]:
        """The shared roles' lines: templates in every domain; platform roles as PLATFORM_OBJECTS says."""
        out: list[Line] = []
        for variants in self.templates.values():
            for perms, subject in variants.items():
                out += [(subject, ALL_DOMAINS, o, a) for o, a in sorted(perms)]
        for role in self.platform.values():
            for o, a in sorted(role.permissions):
                dom = PLATFORM_DOMAIN if o.split(":", 1)[0] in PLATFORM_OBJECTS else ALL_DOMAINS
                out.append((platform_subject(role.id), dom, o, a))
        return out

    def grant_lines(self, grants: Iterable[tuple[str, str]]) -> list[Line]:
        """``g, login, platform:<role>, *`` per grant; grants of unknown roles or odd logins give nothing."""
        return list(dict.fromkeys((login, platform_subject(role), ALL_DOMAINS) for login, role in grants
                                  if role in self.platform and is_login(login)))


# ---------------------------------------------------------------- one domain

@dataclass(frozen=True)
class DomainInput:
    """Everything that decides who may do what in one unit.

    ``access`` is ``access_of(resolved)``; ``filed`` the appointees of filed appointments by post
    (备案: the only holders of a ``filing`` post); ``tokens`` the live API tokens as (id, role);
    ``acting`` the B holders acting for A by post (linked like A); ``expires_at`` the earliest
    expiry among those tokens, after which the unit's lines must be rebuilt without it.
    """

    access: Mapping[str, Any]
    filed: Mapping[str, list[str]] = field(default_factory=dict)
    tokens: list[tuple[int, str]] = field(default_factory=list)
    acting: Mapping[str, list[str]] = field(default_factory=dict)
    expires_at: datetime | None = None


def domain_lines(domain: str, inp: DomainInput, catalog: RoleCatalog) -> tuple[list[Line], list[Line]]:
    """One unit's (p lines, g lines); every line's domain is ``domain``, no line repeats."""
    access = inp.access or {}
    subjects: dict[str, str] = {}
    p: list[Line] = []
    for rid, pairs in (access.get("roles") or {}).items():
        perms = frozenset((o, a) for o, a in pairs)
        shared = catalog.shared_subject(rid, perms)
        if shared is not None:
            subjects[rid] = shared
        else:
            subjects[rid] = unit_subject(domain, rid)
            p += [(subjects[rid], domain, o, a) for o, a in sorted(perms)]
    g: dict[Line, None] = {}
    for a in access.get("assignments") or []:
        role = subjects.get(a.get("role"))
        if role is None:
            continue
        if is_login(a.get("user")):
            g[(a["user"], role, domain)] = None
        elif isinstance(a.get("post"), str):
            g[(post_subject(a["post"]), role, domain)] = None
        elif a.get("members") is True:
            g[(MEMBERS, role, domain)] = None
    for pid, post in (access.get("posts") or {}).items():
        for rid in post.get("roles") or []:
            if rid in subjects:
                g[(post_subject(pid), subjects[rid], domain)] = None
        if post.get("filing"):
            holders = list(inp.filed.get(pid) or [])
        else:
            holders = [post["a"]] if post.get("a") else []
        holders += inp.acting.get(pid) or []
        for login in holders:
            if is_login(login):
                g[(login, post_subject(pid), domain)] = None
    for token_id, rid in inp.tokens:
        if rid in subjects:
            g[(token_subject(token_id), subjects[rid], domain)] = None
    return p, list(g)
