"""Compare two effective configurations (``Resolved.as_json()``) item by item, field by field.

A unit administrator or the city's auditor reads the result, so a change names the item
(``流程 outgoing_doc › 节点 countersign（会签）``) and the JSON pointer inside it
(``/time_limit/class``), never a line of a file or a position in a list.

How the documents are cut into items:

- ``unit``: one item (单位信息); ``templates`` is left out, ``unit.extends`` already says it.
- ``org``: departments and posts by ``id``, leaders by ``user``; everything else (``head`` …)
  belongs to the item 组织机构.
- ``policy``: roles by ``id``; assignments by (role, post or user) — an assignment is added or
  removed, never changed; everything else belongs to 权限设置.
- ``calendar``: time-limit classes by ``id``, overrides by ``date``; office hours, cut-off and
  warning belong to 日历设置.
- ``forms``: per form, each key of ``schema.properties`` is a field and each ``ui.sections``
  entry a section (by ``id``); the rest (name, required, rules, list_columns …) belongs to the
  form itself. ``flows``: per flow, nodes by ``id``, edges by (``from``, ``to``), the rest to the
  flow itself. A form or flow that appears or disappears is one change with the whole document.

Inside an item, lists of objects are matched by identity too, with the identity as the pointer
segment: role permissions by ``object`` (``/permissions/record:outgoing_doc/actions``), section
fields and row items by ``field`` (``/fields/urgency_reason/label``). So reordering such
lists — or nodes, posts, sections … — is not a change. Every other list is one value, reported
whole (old list → new list), because a list of ids reads best as a whole: where order means
something (``b_holders`` is the order of precedence, ``list_columns`` and ``enum`` the order
shown) a reordering is a change; where it does not (``roles``, ``actions``, ``required``,
``members``, ``in_charge_of``) it is not. A missing area counts as empty, so a calendar that
appears gives one "added" change per item.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import groupby
from types import MappingProxyType
from typing import Any

from tenants.errors import pointer_join

AREAS = ("unit", "org", "policy", "calendar", "lists", "forms", "flows")
OPS = ("added", "removed", "changed")
AREA_NAMES = MappingProxyType({
    "unit": ("单位", "Unit"), "org": ("组织机构", "Organisation"), "policy": ("角色权限", "Policy"),
    "calendar": ("日历与时限", "Calendar"), "lists": ("选项列表", "Option lists"), "forms": ("表单", "Forms"),
    "flows": ("流程", "Flows"),
})
MAX_VALUE = 120  # characters of JSON shown per value
SET_LISTS = frozenset({"roles", "actions", "required", "members", "in_charge_of"})
NESTED_IDS = (("permissions", "object"), ("fields", "field"), ("items", "field"))
_MISSING: Any = object()


@dataclass(frozen=True)
class Change:
    """One difference: which item, where inside it (JSON pointer, "" = the whole item), how."""

    area: str
    item: str
    path: str
    op: str  # "added" | "removed" | "changed"
    old: Any = None
    new: Any = None
    item_en: str = ""

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON for the API."""
        return {"area": self.area, "item": self.item, "item_en": self.item_en, "path": self.path,
                "op": self.op, "old": self.old, "new": self.new}


Ident = Callable[[Any, str], str | None]


def _by(key: str) -> Ident:
    return lambda item, lang: str(item[key]) if isinstance(item, dict) and key in item else None


_BY_ID = _by("id")


def _edge(item: Any, lang: str) -> str | None:
    ok = isinstance(item, dict) and "from" in item and "to" in item
    return f"{item['from']} → {item['to']}" if ok else None


def _assignment(item: Any, lang: str) -> str | None:
    who = next((k for k in ("post", "user", "members") if isinstance(item, dict) and k in item), None)
    if who is None:
        return None
    if who == "members":
        return f"{item.get('role')} → {'every member' if lang == 'en' else '全体人员'}"
    word = {"post": ("岗位", "post"), "user": ("用户", "user")}[who][lang == "en"]
    return f"{item.get('role')} → {word} {item[who]}"


@dataclass(frozen=True)
class _Coll:
    """A collection cut out of a document into items: where it sits, what its items are called."""

    at: tuple[str, ...]
    zh: str
    en: str
    ident: Ident = _BY_ID
    name: str = "name"  # key of an item's display name; with "_en" for English


SINGLE_AREAS = MappingProxyType({
    "unit": (("单位信息", "unit settings"), ()),
    "org": (("组织机构", "organisation"), (
        _Coll(("departments",), "部门", "department"), _Coll(("posts",), "岗位", "post"),
        _Coll(("leaders",), "领导", "leader", _by("user"), "title"))),
    "policy": (("权限设置", "policy settings"), (
        _Coll(("roles",), "角色", "role"),
        _Coll(("assignments",), "角色分配", "assignment", _assignment, ""))),
    "calendar": (("日历设置", "calendar settings"), (
        _Coll(("time_limit_classes",), "时限类别", "time-limit class"),
        _Coll(("overrides",), "日历调整", "calendar override", _by("date")))),
    "lists": (("选项列表", "option lists"), (_Coll(("lists",), "选项列表", "option list"),)),
})
CONTAINERS = MappingProxyType({
    "forms": ("表单", "form", (_Coll(("schema", "properties"), "字段", "field", name="title"),
                               _Coll(("ui", "sections"), "分区", "section", name="title"))),
    "flows": ("流程", "flow", (_Coll(("nodes",), "节点", "node"),
                               _Coll(("edges",), "连线", "edge", _edge))),
})
KIND_WORDS = tuple(sorted(
    {(c.zh, c.en) for _, colls in SINGLE_AREAS.values() for c in colls}
    | {(zh, en) for zh, en, colls in CONTAINERS.values()}
    | {(c.zh, c.en) for _, _, colls in CONTAINERS.values() for c in colls},
    key=lambda w: -len(w[0]),
))


def diff_documents(old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every difference between two versions, so a person can review a publication or a rollback."""
    changes: list[Change] = []
    for area in AREAS:
        a, b = _area(old, area), _area(new, area)
        if area in CONTAINERS:
            changes += _diff_container(area, a, b)
        else:
            rest_label, colls = SINGLE_AREAS[area]
            changes += _diff_doc(area, None, rest_label, a, b, colls)
    return sorted(changes, key=_order)


def render_text(changes: list[Change], *, lang: str = "zh") -> str:
    """The changes as text grouped by area and item, for a review page or an audit record."""
    if lang not in ("zh", "en"):
        raise ValueError(f"lang must be 'zh' or 'en', not {lang!r}")
    en = lang == "en"
    if not changes:
        return "The two versions are identical." if en else "两个版本的配置相同。"
    lines: list[str] = []
    for area, in_area in groupby(sorted(changes, key=_order), key=lambda c: c.area):
        if lines:
            lines.append("")
        zh_name, en_name = AREA_NAMES[area]
        lines.append(f"[{en_name}]" if en else f"【{zh_name}】")
        for _, in_item in groupby(in_area, key=lambda c: c.item):
            group = list(in_item)
            lines.append(group[0].item_en if en else group[0].item)
            lines += [f"  {_line(c, en)}" for c in group]
    return "\n".join(lines)


def summary(changes: list[Change]) -> dict[str, dict[str, int]]:
    """How many items were added, removed, changed per area; every area and op always present."""
    out = {area: dict.fromkeys(OPS, 0) for area in AREAS}
    for c in changes:
        out[c.area][c.op] += 1
    return out


def _order(c: Change) -> tuple[int, str, str]:
    return AREAS.index(c.area), c.item, c.path


def _area(doc: Any, area: str) -> dict[str, Any]:
    value = doc.get(area) if isinstance(doc, dict) else None
    return value if isinstance(value, dict) else {}


def _diff_container(area: str, old: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    zh, en, colls = CONTAINERS[area]
    out: list[Change] = []
    for item_id in sorted(old.keys() | new.keys(), key=str):
        label = (f"{zh} {item_id}", f"{en} {item_id}")
        a, b = old.get(item_id, _MISSING), new.get(item_id, _MISSING)
        if a is _MISSING or b is _MISSING:
            out += _item_changes(area, label, a, b)
        else:
            out += _diff_doc(area, label, label, a, b, colls)
    return out


def _diff_doc(area: str, parent: tuple[str, str] | None, rest_label: tuple[str, str],
              old: Any, new: Any, colls: tuple[_Coll, ...]) -> list[Change]:
    out = _item_changes(area, rest_label, _strip(old, colls), _strip(new, colls))
    for coll in colls:
        a, b = _index(_take(old, coll.at), coll), _index(_take(new, coll.at), coll)
        for key in sorted(a.keys() | b.keys()):
            item = b.get(key, a.get(key))
            label = (_label(parent, coll, key, item, "zh"), _label(parent, coll, key, item, "en"))
            out += _item_changes(area, label, a.get(key, _MISSING), b.get(key, _MISSING))
    return out


def _item_changes(area: str, label: tuple[str, str], old: Any, new: Any) -> list[Change]:
    if new is _MISSING:
        found = [] if old is _MISSING else [("", "removed", old, None)]
    elif old is _MISSING:
        found = [("", "added", None, new)]
    else:
        found = list(_diff_value(old, new, "", ""))
    return [Change(area, label[0], path, op, copy.deepcopy(o), copy.deepcopy(n), label[1])
            for path, op, o, n in found]


def _diff_value(old: Any, new: Any, path: str, key: str) -> Iterator[tuple[str, str, Any, Any]]:
    """(path, op, old, new) for each difference below ``path``; ``key`` names the value's key."""
    if _dump(old) == _dump(new):
        return
    if isinstance(old, dict) and isinstance(new, dict):
        for k in sorted(old.keys() | new.keys(), key=str):
            sub = path + pointer_join(k)
            if k not in old:
                yield sub, "added", None, new[k]
            elif k not in new:
                yield sub, "removed", old[k], None
            else:
                yield from _diff_value(old[k], new[k], sub, k)
        return
    ident = dict(NESTED_IDS).get(key)
    if ident and _keyed(old, ident) and _keyed(new, ident):
        a, b = {str(i[ident]): i for i in old}, {str(i[ident]): i for i in new}
        yield from _diff_value(a, b, path, "")
        return
    if key in SET_LISTS and isinstance(old, list) and isinstance(new, list):
        if sorted(map(_dump, old)) == sorted(map(_dump, new)):
            return
    yield path, "changed", old, new


def _keyed(items: Any, ident: str) -> bool:
    """A list of objects whose ``ident`` values are present and unique."""
    if not isinstance(items, list) or not all(isinstance(i, dict) and ident in i for i in items):
        return False
    return len({str(i[ident]) for i in items}) == len(items)


def _index(items: Any, coll: _Coll) -> dict[str, Any]:
    if isinstance(items, dict):
        return {str(k): v for k, v in items.items()}
    out: dict[str, Any] = {}
    for item in items if isinstance(items, list) else []:
        key = coll.ident(item, "zh") or _dump(item)
        unique, n = key, 1
        while unique in out:  # a duplicate id: keep both, numbered
            n, unique = n + 1, f"{key} #{n + 1}"
        out[unique] = item
    return out


def _label(parent: tuple[str, str] | None, coll: _Coll, key: str, item: Any, lang: str) -> str:
    en = lang == "en"
    shown = key
    base = coll.ident(item, "zh")
    if en and base is not None and key.startswith(base):
        shown = f"{coll.ident(item, 'en')}{key[len(base):]}"
    name = item.get(coll.name + ("_en" if en else "")) if isinstance(item, dict) else None
    text = f"{coll.en if en else coll.zh} {shown}"
    if coll.name and isinstance(name, str) and name and name != shown:
        text += f" ({name})" if en else f"（{name}）"
    return text if parent is None else f"{parent[en]} › {text}"


def _take(doc: Any, at: tuple[str, ...]) -> Any:
    for part in at:
        doc = doc.get(part) if isinstance(doc, dict) else None
    return doc


def _strip(doc: Any, colls: tuple[_Coll, ...]) -> Any:
    """``doc`` without its collections (they are compared as items of their own)."""
    for coll in colls:
        doc = _without(doc, coll.at)
    return doc


def _without(doc: Any, at: tuple[str, ...]) -> Any:
    if not isinstance(doc, dict) or at[0] not in doc:
        return doc
    out = dict(doc)
    if len(at) == 1:
        del out[at[0]]
        return out
    inner = _without(out[at[0]], at[1:])
    if inner is not out[at[0]] and not inner:
        del out[at[0]]  # only held the collection
    else:
        out[at[0]] = inner
    return out


def _dump(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= MAX_VALUE else text[: MAX_VALUE - 1] + "…"


def _line(c: Change, en: bool) -> str:
    mark = {"added": "+", "removed": "-", "changed": "~"}[c.op]
    at = f"{c.path}: " if c.path else ""
    if c.op == "changed":
        return f"{mark} {at}{_show(c.old)} → {_show(c.new)}"
    value = c.new if c.op == "added" else c.old
    if not c.path:
        at = f"{_whole(c, en)} "
    return f"{mark} {at}{_show(value)}"


def _whole(c: Change, en: bool) -> str:
    """"新增字段" / "removed node": what a whole item added or removed is called."""
    last = (c.item_en if en else c.item).rsplit(" › ", 1)[-1]
    kind = next((w[en] for w in KIND_WORDS if last.startswith(f"{w[en]} ")), "")
    if en:
        return f"{'added' if c.op == 'added' else 'removed'} {kind}".rstrip()
    return f"{'新增' if c.op == 'added' else '删除'}{kind}"
