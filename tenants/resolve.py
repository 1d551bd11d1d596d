"""Resolve a unit's effective configuration: seed templates first, the unit's own items over them.

An item of the unit replaces the template's item with the same key (a form or flow by id; a
post, department or role by id; a leader by user; a calendar override by date). Each resolved
item remembers where it came from, so a cross-reference error names the file that holds it.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tenants.bundle import ParsedBundle
from tenants.errors import BundleError, pointer_join, pointer_parts
from tenants.kinds import FOLDER_KINDS, KINDS, SINGLE_KINDS, kind_of

TemplateLookup = Callable[[str], ParsedBundle | None]


@dataclass(frozen=True)
class Origin:
    bundle: ParsedBundle
    path: str
    pointer: str = ""


@dataclass
class Resolved:
    """The effective configuration of one unit or template, as plain data."""

    unit: dict[str, Any]
    singles: dict[str, dict[str, Any]] = field(default_factory=dict)  # org, policy, calendar
    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)  # form/flow -> id -> doc
    origins: dict[str, Origin] = field(default_factory=dict)  # "kind:pointer" -> origin
    templates: list[str] = field(default_factory=list)
    broken: set[str] = field(default_factory=set)  # "form:x", "org:" … files that failed to parse

    def is_broken(self, key: str) -> bool:
        return key in self.broken

    @property
    def forms(self) -> dict[str, dict[str, Any]]:
        return self.items.get("form", {})

    @property
    def flows(self) -> dict[str, dict[str, Any]]:
        return self.items.get("flow", {})

    @property
    def org(self) -> dict[str, Any]:
        return self.singles.get("org", {})

    @property
    def policy(self) -> dict[str, Any]:
        return self.singles.get("policy", {})

    @property
    def calendar(self) -> dict[str, Any]:
        return self.singles.get("calendar", {})

    def error(self, key: str, pointer: str, code: str, zh: str, en: str) -> BundleError:
        """An error about the resolved item ``key`` (e.g. ``flow:outgoing_doc``) at ``pointer``."""
        origin, rest = self._locate(key, pointer)
        if origin is None:
            return BundleError(key, pointer, code, zh, en)
        full = origin.pointer + rest
        return origin.bundle.error(origin.path, full, code, zh, en)

    def _locate(self, key: str, pointer: str) -> tuple[Origin | None, str]:
        parts = pointer_parts(pointer)
        for n in range(len(parts), -1, -1):
            prefix = pointer_join(*parts[:n]) if n else ""
            origin = self.origins.get(f"{key}{prefix}")
            if origin is not None:
                rest = pointer_join(*parts[n:]) if n < len(parts) else ""
                return origin, rest
        return None, pointer

    def as_json(self) -> dict[str, Any]:
        """The effective configuration as one JSON document (stored with each version)."""
        return {
            "unit": self.unit,
            **{k: v for k, v in self.singles.items()},
            "forms": self.forms,
            "flows": self.flows,
            "templates": self.templates,
        }


def resolve(bundle: ParsedBundle, lookup: TemplateLookup) -> tuple[Resolved, list[BundleError]]:
    """Merge the templates named in ``extends`` under the bundle's own items."""
    errors: list[BundleError] = []
    unit = bundle.unit if isinstance(bundle.unit, dict) else {}
    layers: list[ParsedBundle] = []
    unit_path = bundle.singles.get("unit", "unit.yaml")

    def visit(owner: ParsedBundle, chain: tuple[str, ...]) -> None:
        owner_unit = owner.unit if isinstance(owner.unit, dict) else {}
        owner_path = owner.singles.get("unit", "unit.yaml")
        for i, tid in enumerate(owner_unit.get("extends") or []):
            if tid in chain:
                errors.append(owner.error(owner_path, pointer_join("extends", i), "template_cycle",
                                          f"模板继承形成循环：{' → '.join((*chain, tid))}。",
                                          f"Templates extend each other in a cycle: {' → '.join((*chain, tid))}."))
                continue
            tpl = lookup(tid)
            if tpl is None:
                errors.append(owner.error(owner_path, pointer_join("extends", i), "unknown_template",
                                          f"找不到种子模板 “{tid}”。", f"No seed template '{tid}'."))
                continue
            if not tpl.is_template:
                errors.append(owner.error(owner_path, pointer_join("extends", i), "not_a_template",
                                          f"“{tid}” 不是模板（unit.yaml 的 kind 应为 template）。",
                                          f"'{tid}' is not a template (its unit.yaml kind must be template)."))
                continue
            visit(tpl, (*chain, tid))
            if all(layer is not tpl for layer in layers):
                layers.append(tpl)

    visit(bundle, (bundle.id or unit_path,))
    layers.append(bundle)

    res = Resolved(unit=copy.deepcopy(unit), templates=[t.id or "" for t in layers[:-1]])
    for layer in layers:
        for path in layer.source.files:
            if path in layer.parsed:
                continue
            classified = kind_of(path)
            if classified:
                kind, item = classified
                res.broken.add(f"{kind.name}:{item or ''}")
    for layer in layers:
        for kind in SINGLE_KINDS:
            if not kind.inherited:
                continue
            path = layer.singles.get(kind.name)
            if path is None or path not in layer.parsed:
                continue
            _merge_single(res, kind.name, layer, path)
        for kind in FOLDER_KINDS:
            for item_id, path in layer.items.get(kind.name, {}).items():
                if path not in layer.parsed or not isinstance(layer.data(path), dict):
                    continue
                res.items.setdefault(kind.name, {})[item_id] = copy.deepcopy(layer.data(path))
                res.origins[f"{kind.name}:{item_id}"] = Origin(layer, path)
    return res, errors


def _merge_single(res: Resolved, kind_name: str, layer: ParsedBundle, path: str) -> None:
    data = layer.data(path)
    if not isinstance(data, dict):
        return
    merge_keys = KINDS[kind_name].merge_keys
    target = res.singles.setdefault(kind_name, {})
    if not res.origins.get(f"{kind_name}:"):
        res.origins[f"{kind_name}:"] = Origin(layer, path)
    for key, value in data.items():
        if key in merge_keys and isinstance(value, list):
            ident = merge_keys[key]
            current = target.setdefault(key, [])
            for src_index, item in enumerate(value):
                origin = Origin(layer, path, pointer_join(key, src_index))
                idx = _find(current, item, ident)
                if idx is None:
                    current.append(copy.deepcopy(item))
                    idx = len(current) - 1
                else:
                    replaced = current[idx]
                    current[idx] = copy.deepcopy(item)
                    if kind_name == "org" and key == "posts" and _needs_filing(replaced):
                        # the city's rule, not the unit's choice: a unit may reshape the post, never
                        # drop its filing, so its holders still come only from filed appointments
                        current[idx]["filing"] = True
                res.origins[f"{kind_name}:{pointer_join(key, idx)}"] = origin
        else:
            target[key] = copy.deepcopy(value)
            res.origins[f"{kind_name}:{pointer_join(key)}"] = Origin(layer, path, pointer_join(key))


def _needs_filing(post: Any) -> bool:
    return isinstance(post, dict) and post.get("filing") is True


def _find(items: list[Any], item: Any, ident: str | None) -> int | None:
    for i, existing in enumerate(items):
        if ident is None:
            if existing == item:
                return i
        elif isinstance(existing, dict) and isinstance(item, dict) and existing.get(ident) == item.get(ident):
            return i
    return None
