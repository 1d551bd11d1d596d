"""The version diff, on documents built from the real seed templates."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tenants.diff import AREAS, Change, diff_documents, render_text, summary

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "seeds" / "templates" / "gov_base"
DOCS = ROOT / "seeds" / "templates" / "gov_documents"


def _load(path: Path) -> Any:
    return YAML(typ="safe").load(path.read_text(encoding="utf-8"))


def _build() -> dict[str, Any]:
    """An effective configuration shaped like ``Resolved.as_json()``, through JSON as stored."""
    doc = {
        "unit": _load(DOCS / "unit.yaml"),
        "org": _load(BASE / "org.yaml"),
        "policy": _load(BASE / "policy.yaml"),
        "calendar": _load(BASE / "calendar.yaml"),
        "forms": {p.stem: _load(p) for p in sorted((DOCS / "forms").glob("*.yaml"))},
        "flows": {p.stem: _load(p) for p in sorted((DOCS / "flows").glob("*.yaml"))},
        "templates": ["gov_base", "gov_documents"],
    }
    clerk = _by_id(doc["org"]["posts"], "doc_clerk")
    clerk.update(a_holder="zhang3", b_holders=["li4", "wang5"])
    return json.loads(json.dumps(doc, ensure_ascii=False))


@pytest.fixture(scope="module")
def base() -> dict[str, Any]:
    return _build()


@pytest.fixture
def new(base: dict[str, Any]) -> dict[str, Any]:
    return copy.deepcopy(base)


def _by_id(items: list[dict[str, Any]], item_id: str, key: str = "id") -> dict[str, Any]:
    return next(i for i in items if i[key] == item_id)


def _node(doc: dict[str, Any], node_id: str) -> dict[str, Any]:
    return _by_id(doc["flows"]["outgoing_doc"]["nodes"], node_id)


def _lines(changes: list[Change], lang: str = "zh") -> list[str]:
    return render_text(changes, lang=lang).splitlines()


def test_the_seeds_hold_what_the_tests_rely_on(base: dict[str, Any]) -> None:
    assert _node(base, "countersign")["name"] == "会签"
    assert _node(base, "dept_review")["time_limit"] == {"class": "general"}
    assert "urgency_reason" in base["forms"]["outgoing_doc"]["schema"]["properties"]


def test_identical_documents_have_no_changes(base: dict[str, Any], new: dict[str, Any]) -> None:
    changes = diff_documents(base, new)
    assert changes == []
    assert render_text(changes) == "两个版本的配置相同。"
    assert render_text(changes, lang="en") == "The two versions are identical."
    assert summary(changes) == {a: {"added": 0, "removed": 0, "changed": 0} for a in AREAS}


def test_reordering_matched_items_is_no_change(base: dict[str, Any], new: dict[str, Any]) -> None:
    new["org"]["posts"].reverse()
    new["org"]["departments"].reverse()
    new["policy"]["roles"].reverse()
    new["policy"]["assignments"].reverse()
    _by_id(new["policy"]["roles"], "doc_clerk")["permissions"].reverse()
    _by_id(new["policy"]["roles"], "staff")["permissions"][0]["actions"].reverse()
    new["calendar"]["time_limit_classes"].reverse()
    flow = new["flows"]["outgoing_doc"]
    flow["nodes"].reverse()
    flow["edges"].reverse()
    form = new["forms"]["outgoing_doc"]
    form["ui"]["sections"].reverse()
    form["ui"]["sections"][0]["fields"].reverse()
    form["schema"]["required"].reverse()
    form["schema"]["properties"] = dict(reversed(form["schema"]["properties"].items()))
    assert diff_documents(base, new) == []


def test_renamed_node(base: dict[str, Any], new: dict[str, Any]) -> None:
    _node(new, "countersign")["name"] = "联合会签"
    changes = diff_documents(base, new)
    assert changes == [Change(
        area="flows", item="流程 outgoing_doc › 节点 countersign（联合会签）", path="/name",
        op="changed", old="会签", new="联合会签",
        item_en="flow outgoing_doc › node countersign (Countersign)",
    )]
    assert _lines(changes) == [
        "【流程】",
        "流程 outgoing_doc › 节点 countersign（联合会签）",
        '  ~ /name: "会签" → "联合会签"',
    ]
    assert _lines(changes, "en") == [
        "[Flows]",
        "flow outgoing_doc › node countersign (Countersign)",
        '  ~ /name: "会签" → "联合会签"',
    ]


def test_changed_time_limit_and_new_escalation(base: dict[str, Any], new: dict[str, Any]) -> None:
    node = _node(new, "dept_review")
    node["time_limit"]["class"] = "countersign"
    node["escalation"] = {"overdue": {"notify_handler": True}}
    label = "流程 outgoing_doc › 节点 dept_review（部门审核）"
    label_en = "flow outgoing_doc › node dept_review (Department review)"
    assert diff_documents(base, new) == [
        Change("flows", label, "/escalation", "added", None,
               {"overdue": {"notify_handler": True}}, label_en),
        Change("flows", label, "/time_limit/class", "changed", "general", "countersign", label_en),
    ]
    text = render_text(diff_documents(base, new))
    assert '  ~ /time_limit/class: "general" → "countersign"' in text.splitlines()
    assert '  + /escalation: {"overdue": {"notify_handler": true}}' in text.splitlines()


def test_added_node_and_rerouted_edges(base: dict[str, Any], new: dict[str, Any]) -> None:
    flow = new["flows"]["outgoing_doc"]
    legal = {"id": "legal_review", "type": "approve", "name": "合法性审查",
             "name_en": "Legality review", "handlers": [{"kind": "post", "ref": "reviewer"}]}
    flow["nodes"].insert(3, legal)
    flow["edges"].remove({"from": "countersign", "to": "sign_off"})
    flow["edges"] += [{"from": "countersign", "to": "legal_review"},
                      {"from": "legal_review", "to": "sign_off"}]
    changes = diff_documents(base, new)
    prefix, prefix_en = "流程 outgoing_doc › ", "flow outgoing_doc › "
    assert changes == [
        Change("flows", f"{prefix}节点 legal_review（合法性审查）", "", "added", None, legal,
               f"{prefix_en}node legal_review (Legality review)"),
        Change("flows", f"{prefix}连线 countersign → legal_review", "", "added", None,
               {"from": "countersign", "to": "legal_review"},
               f"{prefix_en}edge countersign → legal_review"),
        Change("flows", f"{prefix}连线 countersign → sign_off", "", "removed",
               {"from": "countersign", "to": "sign_off"}, None,
               f"{prefix_en}edge countersign → sign_off"),
        Change("flows", f"{prefix}连线 legal_review → sign_off", "", "added", None,
               {"from": "legal_review", "to": "sign_off"},
               f"{prefix_en}edge legal_review → sign_off"),
    ]
    zh, en = _lines(changes), _lines(changes, "en")
    assert "流程 outgoing_doc › 连线 countersign → sign_off" in zh
    assert '  - 删除连线 {"from": "countersign", "to": "sign_off"}' in zh
    assert '  + 新增连线 {"from": "countersign", "to": "legal_review"}' in zh
    assert '  + added edge {"from": "legal_review", "to": "sign_off"}' in en
    assert any(line.startswith('  + 新增节点 {"id": "legal_review"') for line in zh)


def test_removed_form_field(base: dict[str, Any], new: dict[str, Any]) -> None:
    form = new["forms"]["outgoing_doc"]
    field = form["schema"]["properties"].pop("urgency_reason")
    header = form["ui"]["sections"][0]
    ui_field = _by_id(header["fields"], "urgency_reason", key="field")
    header["fields"].remove(ui_field)
    visible = form["rules"]["visible"].pop("urgency_reason")
    required = form["rules"]["required"].pop("urgency_reason")
    changes = diff_documents(base, new)
    assert changes == [
        Change("forms", "表单 outgoing_doc", "/rules/required/urgency_reason", "removed",
               required, None, "form outgoing_doc"),
        Change("forms", "表单 outgoing_doc", "/rules/visible/urgency_reason", "removed",
               visible, None, "form outgoing_doc"),
        Change("forms", "表单 outgoing_doc › 分区 header（版头）", "/fields/urgency_reason",
               "removed", ui_field, None, "form outgoing_doc › section header (Header)"),
        Change("forms", "表单 outgoing_doc › 字段 urgency_reason（紧急原因）", "", "removed",
               field, None, "form outgoing_doc › field urgency_reason"),
    ]
    zh, en = _lines(changes), _lines(changes, "en")
    assert "表单 outgoing_doc › 字段 urgency_reason（紧急原因）" in zh
    assert '  - 删除字段 {"title": "紧急原因", "type": "string", "maxLength": 500}' in zh
    assert "form outgoing_doc › field urgency_reason" in en
    assert '  - removed field {"title": "紧急原因", "type": "string", "maxLength": 500}' in en
    assert '  - /rules/visible/urgency_reason: {"==": [{"var": "urgency"}, "特急"]}' in zh


def test_added_field_and_changed_field_property(base: dict[str, Any], new: dict[str, Any]) -> None:
    props = new["forms"]["outgoing_doc"]["schema"]["properties"]
    props["title"]["maxLength"] = 120
    props["keywords"] = {"title": "主题词", "type": "string"}
    changes = diff_documents(base, new)
    assert changes == [
        Change("forms", "表单 outgoing_doc › 字段 keywords（主题词）", "", "added", None,
               {"title": "主题词", "type": "string"}, "form outgoing_doc › field keywords"),
        Change("forms", "表单 outgoing_doc › 字段 title（标题）", "/maxLength", "changed", 200, 120,
               "form outgoing_doc › field title"),
    ]
    assert '  + 新增字段 {"title": "主题词", "type": "string"}' in _lines(changes)
    assert "  ~ /maxLength: 200 → 120" in _lines(changes, "en")


def test_b_holders_are_an_ordered_value(base: dict[str, Any], new: dict[str, Any]) -> None:
    _by_id(new["org"]["posts"], "doc_clerk")["b_holders"] = ["wang5", "li4"]
    changes = diff_documents(base, new)
    assert changes == [Change("org", "岗位 doc_clerk（收发文员）", "/b_holders", "changed",
                              ["li4", "wang5"], ["wang5", "li4"],
                              "post doc_clerk (Document clerk)")]
    assert _lines(changes) == [
        "【组织机构】",
        "岗位 doc_clerk（收发文员）",
        '  ~ /b_holders: ["li4", "wang5"] → ["wang5", "li4"]',
    ]
    assert _lines(changes, "en")[:2] == ["[Organisation]", "post doc_clerk (Document clerk)"]


def test_ordered_scalar_list_is_a_value(base: dict[str, Any], new: dict[str, Any]) -> None:
    form = new["forms"]["outgoing_doc"]
    form["list_columns"] = list(reversed(form["list_columns"]))
    [change] = diff_documents(base, new)
    assert change.item == "表单 outgoing_doc"
    assert (change.path, change.op) == ("/list_columns", "changed")
    assert change.old == base["forms"]["outgoing_doc"]["list_columns"]
    assert change.new == form["list_columns"]


def test_role_permissions_matched_by_object(base: dict[str, Any], new: dict[str, Any]) -> None:
    role = _by_id(new["policy"]["roles"], "doc_clerk")
    role["permissions"].insert(0, {"object": "audit", "actions": ["read"]})
    _by_id(role["permissions"], "record:outgoing_doc", key="object")["actions"].append("approve")
    new["policy"]["assignments"].append({"role": "staff", "user": "wang5"})
    changes = diff_documents(base, new)
    label, label_en = "角色 doc_clerk（收发文员）", "role doc_clerk (Document clerk)"
    assert changes == [
        Change("policy", label, "/permissions/audit", "added", None,
               {"object": "audit", "actions": ["read"]}, label_en),
        Change("policy", label, "/permissions/record:outgoing_doc/actions", "changed",
               ["read", "update"], ["read", "update", "approve"], label_en),
        Change("policy", "角色分配 staff → 用户 wang5", "", "added", None,
               {"role": "staff", "user": "wang5"}, "assignment staff → user wang5"),
    ]
    zh, en = _lines(changes), _lines(changes, "en")
    assert zh[:2] == ["【角色权限】", label]
    assert '  + /permissions/audit: {"object": "audit", "actions": ["read"]}' in zh
    assert ('  ~ /permissions/record:outgoing_doc/actions: '
            '["read", "update"] → ["read", "update", "approve"]') in en
    assert '  + 新增角色分配 {"role": "staff", "user": "wang5"}' in zh
    assert '  + added assignment {"role": "staff", "user": "wang5"}' in en


def test_missing_calendar_gives_added_changes(base: dict[str, Any]) -> None:
    old = copy.deepcopy(base)
    del old["calendar"]
    changes = diff_documents(old, base)
    assert {c.area for c in changes} == {"calendar"}
    assert {c.op for c in changes} == {"added"}
    assert Change("calendar", "日历设置", "/cutoff", "added", None, "17:30",
                  "calendar settings") in changes
    general = _by_id(base["calendar"]["time_limit_classes"], "general")
    assert Change("calendar", "时限类别 general（一般件）", "", "added", None, general,
                  "time-limit class general (Ordinary item)") in changes
    assert summary(changes)["calendar"] == {"added": 8, "removed": 0, "changed": 0}
    assert '  + /cutoff: "17:30"' in _lines(changes)
    assert "time-limit class general (Ordinary item)" in _lines(changes, "en")
    assert [c.op for c in diff_documents(base, old)] == ["removed"] * 8


def test_removed_form_is_one_change_and_long_values_are_shortened(
        base: dict[str, Any], new: dict[str, Any]) -> None:
    del new["forms"]["incoming_doc"]
    changes = diff_documents(base, new)
    assert changes == [Change("forms", "表单 incoming_doc", "", "removed",
                              base["forms"]["incoming_doc"], None, "form incoming_doc")]
    line = _lines(changes)[2]
    assert line.startswith('  - 删除表单 {"format_version": 1, "id": "incoming_doc"')
    assert line.endswith("…") and len(line) == len("  - 删除表单 ") + 120


def test_order_summary_and_json(base: dict[str, Any], new: dict[str, Any]) -> None:
    _node(new, "countersign")["name"] = "联合会签"
    new["unit"]["name"] = "公文处理（试行）"
    new["calendar"]["cutoff"] = "17:00"
    del _by_id(new["org"]["posts"], "archivist")["department"]
    changes = diff_documents(base, new)
    assert [c.area for c in changes] == ["unit", "org", "calendar", "flows"]
    assert summary(changes) == {
        "unit": {"added": 0, "removed": 0, "changed": 1},
        "org": {"added": 0, "removed": 1, "changed": 0},
        "policy": {"added": 0, "removed": 0, "changed": 0},
        "calendar": {"added": 0, "removed": 0, "changed": 1},
        "lists": {"added": 0, "removed": 0, "changed": 0},
        "forms": {"added": 0, "removed": 0, "changed": 0},
        "flows": {"added": 0, "removed": 0, "changed": 1},
    }
    assert json.loads(json.dumps([c.as_dict() for c in changes]))[0] == {
        "area": "unit", "item": "单位信息", "item_en": "unit settings", "path": "/name",
        "op": "changed", "old": "公文处理", "new": "公文处理（试行）"}
    text = render_text(changes)
    headings = [line for line in text.splitlines() if line.startswith("【")]
    assert headings == ["【单位】", "【组织机构】", "【日历与时限】", "【流程】"]
    assert '  - /department: "office"' in text.splitlines()
    assert render_text(list(reversed(changes))) == text
    with pytest.raises(ValueError):
        render_text(changes, lang="fr")


def test_option_lists_and_member_assignments_are_diffed_by_identity() -> None:
    base = {"lists": {"lists": [{"id": "disclosure", "name": "公开属性", "options": [{"value": "主动公开"}]}]},
            "policy": {"assignments": [{"post": "doc_clerk", "role": "doc_clerk"}]}}
    new = {"lists": {"lists": [{"id": "disclosure", "name": "公开属性", "options": [{"value": "主动公开"}, {"value": "不予公开"}]},
                               {"id": "doc_kind", "name": "文种", "options": []}]},
           "policy": {"assignments": [{"post": "doc_clerk", "role": "doc_clerk"}, {"members": True, "role": "staff"}]}}
    changes = diff_documents(base, new)
    assert summary(changes)["lists"] == {"added": 1, "removed": 0, "changed": 1}
    text = render_text(changes, lang="zh")
    assert "文种" in text and "staff → 全体人员" in text
