"""Cross-reference checks over a resolved bundle: everything a meta-schema cannot see.

A flow's fields exist in its form, handler posts and roles exist, every node is reachable and
reaches an end, no name is defined twice. Each check is a small generator registered in
``CHECKS`` (STYLE §2.5); ``check_references`` runs them all.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tenants.errors import BundleError, pointer_join
from tenants.flowcheck import check_flow
from tenants.logic_refs import logic_vars
from tenants.paths import SEEDS_DIR
from tenants.resolve import Resolved
from tenants.schema_check import schema_is_valid

SYSTEM_COLUMNS = {"title", "serial_no", "status", "created_at", "updated_at", "drafter"}
PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?::[0-9])?\}")
NUMBERING_BUILTINS = {"office_code", "year", "seq"}
PICKER_WIDGETS = {"user"}
CHOICE_WIDGETS = {"select", "radio", "checkbox"}
PLATFORM_POLICY = SEEDS_DIR / "platform" / "policy.yaml"


@cache
def platform_role_ids(path: Path = PLATFORM_POLICY) -> frozenset[str]:
    """Ids of the platform's roles (city_auditor, city_filer …) from ``seeds/platform/policy.yaml``.

    These roles span units: a unit's flow may hand a task to one (the filing officer reviews every
    unit's appointments) without defining it, and a unit may not define a role of the same id, which
    would let its own people pass for the city's. No file means no platform roles.
    """
    if not path.is_file():
        return frozenset()
    data = YAML(typ="safe").load(path.read_text(encoding="utf-8")) or {}
    return frozenset(_ids(data.get("roles")) if isinstance(data, dict) else [])


@dataclass
class Context:
    """What a check may consult besides the bundle: users that exist (None = not known here).

    ``platform_roles`` None means the platform's own policy file (``platform_role_ids``).
    """

    known_users: set[str] | None = None
    known_units: set[str] | None = None
    platform_roles: frozenset[str] | None = None
    notes: list[BundleError] = field(default_factory=list)

    def platform(self) -> frozenset[str]:
        return self.platform_roles if self.platform_roles is not None else platform_role_ids()


Check = Callable[[Resolved, Context], Iterator[BundleError]]
CHECKS: list[Check] = []


def check(fn: Check) -> Check:
    CHECKS.append(fn)
    return fn


def check_references(res: Resolved, ctx: Context | None = None) -> list[BundleError]:
    ctx = ctx or Context()
    out: list[BundleError] = []
    for fn in CHECKS:
        out.extend(fn(res, ctx))
    return out


def _ids(items: Any, key: str = "id") -> list[str]:
    if not isinstance(items, list):
        return []
    return [it.get(key) for it in items if isinstance(it, dict) and isinstance(it.get(key), str)]


def _duplicates(res: Resolved, key: str, items: Any, ident: str, what_zh: str, what_en: str,
                base: tuple[str | int, ...] = ()) -> Iterator[BundleError]:
    seen: dict[str, int] = {}
    for i, item in enumerate(items if isinstance(items, list) else []):
        if not isinstance(item, dict):
            continue
        value = item.get(ident)
        if not isinstance(value, str):
            continue
        if value in seen:
            yield res.error(key, pointer_join(*base, i, ident), "duplicate_name",
                            f"{what_zh} “{value}” 重复定义（第 {seen[value] + 1} 项已有）。",
                            f"{what_en} '{value}' is defined twice (already item {seen[value] + 1}).")
        else:
            seen[value] = i


# --- org -----------------------------------------------------------------------------------

@check
def org_structure(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    org = res.org
    k = "org:"
    depts = org.get("departments") or []
    posts = org.get("posts") or []
    yield from _duplicates(res, k, depts, "id", "部门", "Department", ("departments",))
    yield from _duplicates(res, k, depts, "name", "部门名称", "Department name", ("departments",))
    yield from _duplicates(res, k, posts, "id", "岗位", "Post", ("posts",))
    dept_ids = set(_ids(depts))
    post_ids = set(_ids(posts))
    role_ids = set(_ids(res.policy.get("roles")))
    for i, d in enumerate(depts):
        if not isinstance(d, dict):
            continue
        if d.get("parent") and d["parent"] not in dept_ids:
            yield res.error(k, pointer_join("departments", i, "parent"), "unknown_department",
                            f"上级部门 “{d['parent']}” 不存在。", f"Parent department '{d['parent']}' does not exist.")
        if d.get("head_post") and d["head_post"] not in post_ids:
            yield res.error(k, pointer_join("departments", i, "head_post"), "unknown_post",
                            f"负责人岗位 “{d['head_post']}” 不存在。", f"Head post '{d['head_post']}' does not exist.")
        for j, u in enumerate(d.get("members") or []):
            yield from _user(res, ctx, k, pointer_join("departments", i, "members", j), u)
    # department cycles
    parents = {d["id"]: d.get("parent") for d in depts if isinstance(d, dict) and isinstance(d.get("id"), str)}
    for i, d in enumerate(depts):
        if not isinstance(d, dict) or not isinstance(d.get("id"), str):
            continue
        seen, cur = set(), d["id"]
        while parents.get(cur):
            if cur in seen:
                yield res.error(k, pointer_join("departments", i, "parent"), "department_cycle",
                                f"部门 “{d['id']}” 的上级关系形成了循环。",
                                f"The parents of department '{d['id']}' form a cycle.")
                break
            seen.add(cur)
            cur = parents[cur]
    for i, p in enumerate(posts):
        if not isinstance(p, dict):
            continue
        if p.get("department") and p["department"] not in dept_ids:
            yield res.error(k, pointer_join("posts", i, "department"), "unknown_department",
                            f"岗位所属部门 “{p['department']}” 不存在。",
                            f"The post's department '{p['department']}' does not exist.")
        for j, r in enumerate(p.get("roles") or []):
            if r not in role_ids and not res.is_broken("policy:"):
                yield res.error(k, pointer_join("posts", i, "roles", j), "unknown_role",
                                f"角色 “{r}” 未在 policy.yaml 中定义。", f"Role '{r}' is not defined in policy.yaml.")
        if p.get("a_holder"):
            yield from _user(res, ctx, k, pointer_join("posts", i, "a_holder"), p["a_holder"])
            if p["a_holder"] in (p.get("b_holders") or []):
                yield res.error(k, pointer_join("posts", i, "b_holders"), "a_is_b",
                                f"A 角 “{p['a_holder']}” 不能同时是本岗位的 B 角。",
                                f"The A holder '{p['a_holder']}' cannot also be a B holder of the same post.")
        for j, u in enumerate(p.get("b_holders") or []):
            yield from _user(res, ctx, k, pointer_join("posts", i, "b_holders", j), u)
    for i, leader in enumerate(org.get("leaders") or []):
        if not isinstance(leader, dict):
            continue
        if leader.get("user"):
            yield from _user(res, ctx, k, pointer_join("leaders", i, "user"), leader["user"])
        for j, dep in enumerate(leader.get("in_charge_of") or []):
            if dep not in dept_ids:
                yield res.error(k, pointer_join("leaders", i, "in_charge_of", j), "unknown_department",
                                f"分管部门 “{dep}” 不存在。", f"Department '{dep}' does not exist.")
    if org.get("head"):
        yield from _user(res, ctx, k, "/head", org["head"])


@check
def filing_posts(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    """A post that needs filing (备案) gets its holders from filed appointments, never from org.yaml."""
    for i, p in enumerate(res.org.get("posts") or []):
        if not isinstance(p, dict) or p.get("filing") is not True:
            continue
        for key in ("a_holder", "b_holders"):
            if p.get(key):
                name = p.get("name", p.get("id"))
                yield res.error("org:", pointer_join("posts", i, key), "filing_post_holder",
                                f"岗位 “{name}” 的人选来自已备案的任命：任命须经备案，不能在 org.yaml 中直接指定 {key}。",
                                f"The holders of post '{name}' come from filed appointments: an appointment must be "
                                f"filed, it cannot be named in org.yaml ({key}).")


def _user(res: Resolved, ctx: Context, key: str, pointer: str, login: Any) -> Iterator[BundleError]:
    if ctx.known_users is not None and isinstance(login, str) and login not in ctx.known_users:
        yield res.error(key, pointer, "unknown_user",
                        f"用户 “{login}” 不是本单位的用户。", f"User '{login}' is not a user of this unit.")


# --- policy --------------------------------------------------------------------------------

@check
def policy_refs(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    pol = res.policy
    k = "policy:"
    roles = pol.get("roles") or []
    yield from _duplicates(res, k, roles, "id", "角色", "Role", ("roles",))
    role_ids = set(_ids(roles))
    reserved = ctx.platform()
    for i, r in enumerate(roles if isinstance(roles, list) else []):
        if isinstance(r, dict) and r.get("id") in reserved:
            yield res.error(k, pointer_join("roles", i, "id"), "reserved_role",
                            f"角色标识 “{r['id']}” 是平台角色，单位不能重新定义。",
                            f"Role id '{r['id']}' belongs to a platform role; a unit cannot define it.")
    post_ids = set(_ids(res.org.get("posts")))
    for i, a in enumerate(pol.get("assignments") or []):
        if not isinstance(a, dict):
            continue
        if a.get("role") and a["role"] not in role_ids:
            yield res.error(k, pointer_join("assignments", i, "role"), "unknown_role",
                            f"角色 “{a['role']}” 未定义。", f"Role '{a['role']}' is not defined.")
        if a.get("post") and a["post"] not in post_ids and not res.is_broken("org:"):
            yield res.error(k, pointer_join("assignments", i, "post"), "unknown_post",
                            f"岗位 “{a['post']}” 不存在（org.yaml）。", f"Post '{a['post']}' does not exist (org.yaml).")
        if a.get("user"):
            yield from _user(res, ctx, k, pointer_join("assignments", i, "user"), a["user"])


# --- calendar ------------------------------------------------------------------------------

@check
def calendar_refs(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    cal = res.calendar
    k = "calendar:"
    yield from _duplicates(res, k, cal.get("time_limit_classes"), "id", "时限类别", "Time-limit class",
                           ("time_limit_classes",))
    yield from _duplicates(res, k, cal.get("overrides"), "date", "日历调整日期", "Override date", ("overrides",))
    hours = cal.get("office_hours")
    if isinstance(hours, dict) and isinstance(hours.get("start"), str) and isinstance(hours.get("end"), str):
        if hours["start"] >= hours["end"]:
            yield res.error(k, "/office_hours", "bad_office_hours",
                            f"上班时刻 {hours['start']} 应早于下班时刻 {hours['end']}。",
                            f"Start {hours['start']} must be before end {hours['end']}.")


# --- lists ---------------------------------------------------------------------------------

def list_ids(res: Resolved) -> set[str]:
    """Ids of the unit's option lists (lists.yaml, merged with its templates')."""
    return set(_ids(res.singles.get("lists", {}).get("lists")))


@check
def list_refs(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    """A list is defined once, and a value appears once in it (a stored value must map to one label)."""
    lists = res.singles.get("lists", {}).get("lists")
    yield from _duplicates(res, "lists:", lists, "id", "选项列表", "Option list", ("lists",))
    for i, item in enumerate(lists if isinstance(lists, list) else []):
        if not isinstance(item, dict):
            continue
        seen: set[Any] = set()
        for j, o in enumerate(item.get("options") or []):
            if isinstance(o, dict) and "value" in o:
                if o["value"] in seen:
                    yield res.error("lists:", pointer_join("lists", i, "options", j, "value"), "duplicate_name",
                                    f"选项列表 “{item.get('id')}” 中的值 “{o['value']}” 重复。",
                                    f"Value '{o['value']}' appears twice in option list '{item.get('id')}'.")
                seen.add(o["value"])


# --- forms ---------------------------------------------------------------------------------

def _form_fields(form: dict[str, Any]) -> dict[str, dict[str, Any]]:
    props = (form.get("schema") or {}).get("properties")
    return props if isinstance(props, dict) else {}


def _ui_fields(form: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, sec in enumerate(((form.get("ui") or {}).get("sections")) or []):
        if not isinstance(sec, dict):
            continue
        for j, f in enumerate(sec.get("fields") or []):
            if isinstance(f, dict):
                yield pointer_join("ui", "sections", i, "fields", j), f


def widget_of(form: dict[str, Any], field_id: str) -> str | None:
    for _, f in _ui_fields(form):
        if f.get("field") == field_id:
            return f.get("widget")
    return None


WIDGET_TYPES: dict[str, set[str]] = {
    "text": {"string"}, "textarea": {"string"}, "number": {"number", "integer"},
    "money": {"number", "integer"}, "date": {"string"}, "datetime": {"string"},
    "select": {"string", "integer", "number"}, "radio": {"string", "integer", "number", "boolean"},
    "checkbox": {"array", "boolean"}, "rows": {"array"}, "attachments": {"array"},
    "serial": {"string"},
}


@check
def form_refs(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    for form_id, form in res.forms.items():
        k = f"form:{form_id}"
        fields = _form_fields(form)
        schema = form.get("schema")
        if isinstance(schema, dict):
            reason = schema_is_valid(schema)
            if reason:
                yield res.error(k, "/schema", "bad_schema",
                                f"数据结构不是有效的 JSON Schema：{reason}",
                                f"The data schema is not a valid JSON Schema: {reason}")
            for i, r in enumerate(schema.get("required") or []):
                if r not in fields:
                    yield res.error(k, pointer_join("schema", "required", i), "unknown_field",
                                    f"必填字段 “{r}” 不在 properties 中。", f"Required field '{r}' is not in properties.")
        yield from _duplicates(res, k, ((form.get("ui") or {}).get("sections")), "id", "分区", "Section",
                               ("ui", "sections"))
        placed: dict[str, str] = {}
        for ptr, f in _ui_fields(form):
            fid = f.get("field")
            if fid not in fields:
                yield res.error(k, ptr + "/field", "unknown_field",
                                f"控件引用的字段 “{fid}” 不在数据结构（schema.properties）中。",
                                f"The widget's field '{fid}' is not in the data schema (schema.properties).")
                continue
            if fid in placed:
                yield res.error(k, ptr + "/field", "duplicate_name",
                                f"字段 “{fid}” 在界面中出现了两次（{placed[fid]}）。",
                                f"Field '{fid}' appears twice on the screen ({placed[fid]}).")
            placed[fid] = ptr
            yield from _widget_fits(res, k, ptr, f, fields[fid], form)
        rules = form.get("rules") or {}
        for kind in ("visible", "required", "readonly", "value"):
            for fid, rule in (rules.get(kind) or {}).items():
                if fid not in fields:
                    yield res.error(k, pointer_join("rules", kind, fid), "unknown_field",
                                    f"规则针对的字段 “{fid}” 不存在。", f"The rule's field '{fid}' does not exist.")
                yield from _logic_fields(res, k, pointer_join("rules", kind, fid), rule, fields)
        for i, v in enumerate(rules.get("validate") or []):
            if not isinstance(v, dict):
                continue
            if v.get("field") and v["field"] not in fields:
                yield res.error(k, pointer_join("rules", "validate", i, "field"), "unknown_field",
                                f"提示字段 “{v['field']}” 不存在。", f"Field '{v['field']}' does not exist.")
            yield from _logic_fields(res, k, pointer_join("rules", "validate", i, "rule"), v.get("rule"), fields)
        for i, col in enumerate(form.get("list_columns") or []):
            if col not in fields and col not in SYSTEM_COLUMNS:
                yield res.error(k, pointer_join("list_columns", i), "unknown_field",
                                f"列表列 “{col}” 既不是字段也不是系统列。",
                                f"List column '{col}' is neither a field nor a system column.")
        tpl = form.get("title_template")
        if isinstance(tpl, str):
            for name in PLACEHOLDER.findall(tpl):
                if name not in fields:
                    yield res.error(k, "/title_template", "unknown_field",
                                    f"标题模板引用的字段 “{name}” 不存在。",
                                    f"The title template names a field '{name}' that does not exist.")
        num = form.get("numbering")
        if isinstance(num, dict):
            if num.get("field") and num["field"] not in fields:
                yield res.error(k, "/numbering/field", "unknown_field",
                                f"编号字段 “{num['field']}” 不存在。", f"Numbering field '{num['field']}' does not exist.")
            for name in PLACEHOLDER.findall(num.get("pattern") or ""):
                if name not in NUMBERING_BUILTINS and name not in fields:
                    yield res.error(k, "/numbering/pattern", "unknown_field",
                                    f"编号格式引用的 “{name}” 既不是字段也不是 office_code、year、seq。",
                                    f"The pattern names '{name}', which is neither a field nor office_code, year or seq.")
            if num.get("assign_at"):
                users = [f for f in res.flows.values() if f.get("form") == form_id]
                if users and not any(num["assign_at"] in _node_ids(f) for f in users):
                    yield res.error(k, "/numbering/assign_at", "unknown_node",
                                    f"编号节点 “{num['assign_at']}” 不在使用本表单的任何流程中。",
                                    f"Node '{num['assign_at']}' is in no flow that uses this form.")


def _types_of(prop: dict[str, Any]) -> set[str]:
    t = prop.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def _widget_fits(res: Resolved, k: str, ptr: str, f: dict[str, Any], prop: dict[str, Any],
                 form: dict[str, Any]) -> Iterator[BundleError]:
    widget = f.get("widget")
    types = _types_of(prop) - {"null"}
    allowed = WIDGET_TYPES.get(widget or "")
    fid = f.get("field")
    if allowed and types and not types & allowed:
        yield res.error(k, ptr + "/widget", "widget_type",
                        f"控件 {widget} 不适合类型为 {'/'.join(sorted(types))} 的字段 “{fid}”。",
                        f"Widget {widget} does not fit field '{fid}' of type {'/'.join(sorted(types))}.")
    source = f.get("options_from")
    if isinstance(source, str) and source not in list_ids(res) and not res.is_broken("lists:"):
        yield res.error(k, ptr + "/options_from", "unknown_list",
                        f"控件 “{fid}” 的选项列表 “{source}” 不存在（lists.yaml）。",
                        f"The option list '{source}' of widget '{fid}' does not exist (lists.yaml).")
    for j, sub in enumerate(f.get("items") or []):
        if isinstance(sub, dict) and isinstance(sub.get("options_from"), str) and sub["options_from"] not in list_ids(res) \
                and not res.is_broken("lists:"):
            yield res.error(k, f"{ptr}/items/{j}/options_from", "unknown_list",
                            f"列 “{sub.get('field')}” 的选项列表 “{sub['options_from']}” 不存在（lists.yaml）。",
                            f"The option list '{sub['options_from']}' of column '{sub.get('field')}' does not exist (lists.yaml).")
    if widget in CHOICE_WIDGETS and not (isinstance(source, str) and source in list_ids(res)):
        has_enum = "enum" in prop or "enum" in (prop.get("items") or {})
        if not has_enum and types != {"boolean"}:
            yield res.error(k, ptr + "/widget", "missing_options",
                            f"选择控件 “{fid}” 没有选项：请在数据结构中写 enum，或设置 options_from。",
                            f"Choice widget '{fid}' has no options: give the schema an enum, or set options_from.")
    if widget == "computed" and fid not in ((form.get("rules") or {}).get("value") or {}):
        yield res.error(k, ptr + "/widget", "computed_without_rule",
                        f"计算字段 “{fid}” 没有计算规则（rules.value）。",
                        f"Computed field '{fid}' has no rule in rules.value.")
    if widget == "serial" and (form.get("numbering") or {}).get("field") != fid:
        yield res.error(k, ptr + "/widget", "serial_without_numbering",
                        f"编号控件 “{fid}” 需要 numbering.field 指向它。",
                        f"Serial widget '{fid}' needs numbering.field to name it.")


def _logic_fields(res: Resolved, k: str, ptr: str, rule: Any, fields: dict[str, Any]) -> Iterator[BundleError]:
    for name in sorted(set(logic_vars(rule))):
        if name not in fields:
            yield res.error(k, ptr, "unknown_field",
                            f"规则读取的字段 “{name}” 不在表单中。", f"The rule reads a field '{name}' that is not in the form.")


# --- flows ---------------------------------------------------------------------------------

def _node_ids(flow: dict[str, Any]) -> set[str]:
    return set(_ids(flow.get("nodes")))


@check
def flow_refs(res: Resolved, ctx: Context) -> Iterator[BundleError]:
    for flow_id, flow in res.flows.items():
        found = list(_one_flow(res, ctx, flow_id, flow))
        yield from found
        if not found:  # soundness means little while a node is unknown or cut off
            yield from _soundness(res, flow_id, flow)


def _soundness(res: Resolved, flow_id: str, flow: dict[str, Any]) -> Iterator[BundleError]:
    """Deadlocks, endless loops and pile-ups found by playing the flow's token game (``tenants.flowcheck``)."""
    for f in check_flow(flow):
        yield res.error(f"flow:{flow_id}", pointer_join("nodes", f.node), f.code, f.zh, f.en)


def _one_flow(res: Resolved, ctx: Context, flow_id: str, flow: dict[str, Any]) -> Iterator[BundleError]:
    k = f"flow:{flow_id}"
    form = res.forms.get(flow.get("form") or "")
    if flow.get("form") and form is None and not res.is_broken(f"form:{flow['form']}"):
        yield res.error(k, "/form", "unknown_form",
                        f"表单 “{flow['form']}” 不存在（forms/）。", f"Form '{flow['form']}' does not exist (forms/).")
    fields = _form_fields(form) if form else None
    nodes = [n for n in (flow.get("nodes") or []) if isinstance(n, dict)]
    yield from _duplicates(res, k, flow.get("nodes"), "id", "节点", "Node", ("nodes",))
    yield from _duplicates(res, k, flow.get("nodes"), "name", "节点名称", "Node name", ("nodes",))
    by_id = {n["id"]: n for n in nodes if isinstance(n.get("id"), str)}
    index = {n["id"]: i for i, n in enumerate(flow.get("nodes") or []) if isinstance(n, dict) and isinstance(n.get("id"), str)}
    starts = [n["id"] for n in nodes if n.get("type") == "start"]
    ends = [n["id"] for n in nodes if n.get("type") == "end"]
    if len(starts) != 1:
        yield res.error(k, "/nodes", "start_count",
                        f"流程必须恰好有一个开始节点，现在有 {len(starts)} 个。",
                        f"A flow needs exactly one start node; it has {len(starts)}.")
    if not ends:
        yield res.error(k, "/nodes", "no_end", "流程没有结束节点。", "The flow has no end node.")

    out: dict[str, list[tuple[int, dict[str, Any]]]] = {nid: [] for nid in by_id}
    inc: dict[str, list[str]] = {nid: [] for nid in by_id}
    seen_edges: set[tuple[str, str]] = set()
    for i, e in enumerate(flow.get("edges") or []):
        if not isinstance(e, dict):
            continue
        src, dst = e.get("from"), e.get("to")
        ok = True
        for end_name, nid in (("from", src), ("to", dst)):
            if isinstance(nid, str) and nid not in by_id:
                ok = False
                yield res.error(k, pointer_join("edges", i, end_name), "unknown_node",
                                f"连线引用的节点 “{nid}” 不存在。", f"The edge names a node '{nid}' that does not exist.")
        if not ok or not isinstance(src, str) or not isinstance(dst, str):
            continue
        if (src, dst) in seen_edges:
            yield res.error(k, pointer_join("edges", i), "duplicate_edge",
                            f"从 “{src}” 到 “{dst}” 的连线重复。", f"The edge from '{src}' to '{dst}' is duplicated.")
        seen_edges.add((src, dst))
        if src == dst:
            yield res.error(k, pointer_join("edges", i), "self_loop",
                            f"节点 “{src}” 连向自己。", f"Node '{src}' is connected to itself.")
        out[src].append((i, e))
        inc[dst].append(src)
        if by_id[dst].get("type") == "start":
            yield res.error(k, pointer_join("edges", i, "to"), "edge_into_start",
                            "不能有连线进入开始节点（退回用节点的 return_targets 表示）。",
                            "No edge may enter the start node (returns are a node's return_targets).")
        if by_id[src].get("type") == "end":
            yield res.error(k, pointer_join("edges", i, "from"), "edge_from_end",
                            "结束节点不能有出线。", "An end node cannot have outgoing edges.")
        if by_id[src].get("type") != "branch" and ("when" in e or "default" in e):
            yield res.error(k, pointer_join("edges", i), "condition_outside_branch",
                            f"只有条件分支节点的出线可以带条件，“{src}” 不是条件分支。",
                            f"Only a branch node's edges carry conditions; '{src}' is not a branch.")
        if fields is not None and "when" in e:
            yield from _logic_fields(res, k, pointer_join("edges", i, "when"), e["when"], fields)

    for nid, node in by_id.items():
        ptr = pointer_join("nodes", index[nid])
        t = node.get("type")
        outs = out[nid]
        name = node.get("name", nid)
        if t == "branch":
            if len(outs) < 2:
                yield res.error(k, ptr, "branch_outgoing",
                                f"条件分支 “{name}” 至少需要两条出线。", f"Branch '{name}' needs at least two outgoing edges.")
            defaults = [i for i, e in outs if e.get("default")]
            if len(defaults) != 1:
                yield res.error(k, ptr, "branch_default",
                                f"条件分支 “{name}” 必须恰好有一条默认出线（default: true），现在有 {len(defaults)} 条。",
                                f"Branch '{name}' needs exactly one default edge (default: true); it has {len(defaults)}.")
            for i, e in outs:
                if not e.get("default") and "when" not in e:
                    yield res.error(k, pointer_join("edges", i), "branch_condition",
                                    f"条件分支 “{name}” 的出线缺少条件 when。",
                                    f"An edge of branch '{name}' has no condition (when).")
        elif t == "parallel" and node.get("gateway") == "split":
            if len(outs) < 2:
                yield res.error(k, ptr, "split_outgoing",
                                f"并行分支 “{name}” 至少需要两条出线。", f"Parallel split '{name}' needs at least two outgoing edges.")
        elif t == "end":
            pass
        elif len(outs) != 1:
            yield res.error(k, ptr, "outgoing_count",
                            f"节点 “{name}” 应当恰好有一条出线，现在有 {len(outs)} 条。",
                            f"Node '{name}' needs exactly one outgoing edge; it has {len(outs)}.")
        if t == "parallel" and node.get("gateway") == "join" and len(inc[nid]) < 2:
            yield res.error(k, ptr, "join_incoming",
                            f"并行汇聚 “{name}” 至少需要两条进线。", f"Parallel join '{name}' needs at least two incoming edges.")
        if "mode" in node and t != "approve":
            yield res.error(k, ptr + "/mode", "mode_outside_approve",
                            "只有审批节点（approve）有审批方式。", "Only approve nodes have an approval mode.")
        if node.get("ratio") is not None and node.get("mode") != "ratio":
            yield res.error(k, ptr + "/ratio", "ratio_without_mode",
                            "设置了通过比例，但审批方式不是 ratio。", "A ratio is set but the mode is not ratio.")
        if "gateway" in node and t != "parallel":
            yield res.error(k, ptr + "/gateway", "gateway_outside_parallel",
                            "只有并行节点有 gateway。", "Only parallel nodes have a gateway.")
        yield from _node_options(res, k, ptr, node, len(inc[nid]))
        for j, h in enumerate(node.get("handlers") or []):
            yield from _handler(res, ctx, k, f"{ptr}/handlers/{j}", h, form)
        for step in ("warning", "due", "overdue"):
            for j, h in enumerate(((node.get("escalation") or {}).get(step) or {}).get("notify") or []):
                yield from _handler(res, ctx, k, f"{ptr}/escalation/{step}/notify/{j}", h, form)
        if fields is not None:
            for fid in (node.get("fields") or {}):
                if fid not in fields:
                    yield res.error(k, f"{ptr}/fields/{pointer_join(fid)[1:]}", "unknown_field",
                                    f"字段权限引用的字段 “{fid}” 不在表单 “{flow.get('form')}” 中。",
                                    f"Field permission names '{fid}', which is not in form '{flow.get('form')}'.")
            for fid, rule in (node.get("set") or {}).items():
                if fid not in fields:
                    yield res.error(k, f"{ptr}/set/{fid}", "unknown_field",
                                    f"要设置的字段 “{fid}” 不存在。", f"Field '{fid}' to set does not exist.")
                yield from _logic_fields(res, k, f"{ptr}/set/{fid}", rule, fields)
        tl = node.get("time_limit")
        if isinstance(tl, dict) and tl.get("class"):
            yield from _time_class(res, k, f"{ptr}/time_limit/class", tl["class"])
        if t == "subflow" and node.get("flow") and node["flow"] not in res.flows \
                and not res.is_broken(f"flow:{node['flow']}"):
            yield res.error(k, ptr + "/flow", "unknown_flow",
                            f"子流程 “{node['flow']}” 不存在。", f"Subflow '{node['flow']}' does not exist.")

    tl = flow.get("time_limit")
    if isinstance(tl, dict) and tl.get("class"):
        yield from _time_class(res, k, "/time_limit/class", tl["class"])
    for j, h in enumerate(flow.get("starters") or []):
        yield from _handler(res, ctx, k, f"/starters/{j}", h, form)

    if len(starts) == 1:
        forward = {nid: [e["to"] for _, e in outs] for nid, outs in out.items()}
        reach = _reachable(starts[0], forward)
        for nid in by_id:
            if nid not in reach:
                yield res.error(k, pointer_join("nodes", index[nid]), "unreachable_node",
                                f"节点 “{by_id[nid].get('name', nid)}”（{nid}）从开始节点无法到达。",
                                f"Node '{by_id[nid].get('name', nid)}' ({nid}) cannot be reached from the start node.")
        backward: dict[str, list[str]] = {nid: [] for nid in by_id}
        for src, dsts in forward.items():
            for d in dsts:
                backward[d].append(src)
        finishing: set[str] = set()
        for e_id in ends:
            finishing |= _reachable(e_id, backward)
        for nid in by_id:
            if nid in reach and nid not in finishing:
                yield res.error(k, pointer_join("nodes", index[nid]), "no_path_to_end",
                                f"从节点 “{by_id[nid].get('name', nid)}”（{nid}）出发无法到达任何结束节点。",
                                f"No path leads from node '{by_id[nid].get('name', nid)}' ({nid}) to an end node.")
        for nid, node in by_id.items():
            ancestors = _reachable(nid, backward) - {nid}
            for j, target in enumerate(node.get("return_targets") or []):
                if target == "previous":
                    continue
                if target not in by_id:
                    yield res.error(k, f"{pointer_join('nodes', index[nid])}/return_targets/{j}", "unknown_node",
                                    f"退回节点 “{target}” 不存在。", f"Return target '{target}' does not exist.")
                elif target not in ancestors:
                    yield res.error(k, f"{pointer_join('nodes', index[nid])}/return_targets/{j}", "return_not_earlier",
                                    f"退回节点 “{target}” 不在 “{node.get('name', nid)}” 之前。",
                                    f"Return target '{target}' is not earlier than '{node.get('name', nid)}'.")


def _node_options(res: Resolved, k: str, ptr: str, node: dict[str, Any], incoming: int) -> Iterator[BundleError]:
    """``quorum``, ``rest`` and ``effect`` belong to one kind of node each."""
    t = node.get("type")
    name = node.get("name", node.get("id"))
    quorum = node.get("quorum")
    if quorum is not None and not (t == "parallel" and node.get("gateway") == "join"):
        yield res.error(k, ptr + "/quorum", "quorum_outside_join",
                        f"只有并行汇聚节点（parallel，gateway: join）有汇聚条数 quorum，“{name}” 不是。",
                        f"Only a parallel join (parallel, gateway: join) has a quorum; '{name}' is not one.")
    elif isinstance(quorum, int) and not isinstance(quorum, bool) and quorum > incoming:
        yield res.error(k, ptr + "/quorum", "quorum_too_large",
                        f"并行汇聚 “{name}” 的汇聚条数 {quorum} 超过了它的进线数 {incoming}，永远不会继续。",
                        f"The quorum {quorum} of parallel join '{name}' exceeds its {incoming} incoming edge(s): it would never go on.")
    if node.get("rest") is not None and node.get("mode") not in ("any_sign", "ratio"):
        yield res.error(k, ptr + "/rest", "rest_without_mode",
                        "设置了其余办理人 rest，但审批方式不是或签（any_sign）或比例会签（ratio）。",
                        "rest (the remaining signers) is set, but the mode is neither any_sign nor ratio.")
    if node.get("effect") is not None and t != "service":
        yield res.error(k, ptr + "/effect", "effect_outside_service",
                        f"只有自动处理节点（service）有 effect，“{name}” 不是。",
                        f"Only service nodes have an effect; '{name}' is not one.")


def _reachable(start: str, graph: dict[str, list[str]]) -> set[str]:
    seen = {start}
    stack = [start]
    while stack:
        for nxt in graph.get(stack.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def _time_class(res: Resolved, k: str, ptr: str, cls: str) -> Iterator[BundleError]:
    if not res.is_broken("calendar:") and cls not in set(_ids(res.calendar.get("time_limit_classes"))):
        yield res.error(k, ptr, "unknown_time_class",
                        f"时限类别 “{cls}” 未在 calendar.yaml 中定义。",
                        f"Time-limit class '{cls}' is not defined in calendar.yaml.")


def _handler(res: Resolved, ctx: Context, k: str, ptr: str, h: Any, form: dict[str, Any] | None) -> Iterator[BundleError]:
    if not isinstance(h, dict):
        return
    kind, ref = h.get("kind"), h.get("ref")
    if not isinstance(ref, str):
        return
    if kind == "post" and not res.is_broken("org:") and ref not in set(_ids(res.org.get("posts"))):
        yield res.error(k, ptr + "/ref", "unknown_post",
                        f"办理岗位 “{ref}” 不存在（org.yaml 中没有这个岗位）。",
                        f"Handler post '{ref}' does not exist (no such post in org.yaml).")
    elif kind == "role" and not res.is_broken("policy:") and ref not in set(_ids(res.policy.get("roles"))) \
            and ref not in ctx.platform():
        yield res.error(k, ptr + "/ref", "unknown_role",
                        f"办理角色 “{ref}” 未在 policy.yaml 中定义，也不是平台角色。",
                        f"Handler role '{ref}' is defined neither in policy.yaml nor as a platform role.")
    elif kind == "user":
        yield from _user(res, ctx, k, ptr + "/ref", ref)
    elif kind == "field" and form is not None:
        if ref not in _form_fields(form):
            yield res.error(k, ptr + "/ref", "unknown_field",
                            f"办理人字段 “{ref}” 不在表单中。", f"Handler field '{ref}' is not in the form.")
        elif widget_of(form, ref) not in PICKER_WIDGETS:
            yield res.error(k, ptr + "/ref", "handler_field_widget",
                            f"办理人字段 “{ref}” 必须是人员控件（user）。", f"Handler field '{ref}' must use the user widget.")
