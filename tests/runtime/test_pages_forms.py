"""The generated form screens over HTTP: the demo city's 发文稿纸 (seeds/templates/gov_documents).

New-record page laid out from the form file (labels tied to inputs, the rule-hidden 紧急原因, the
serial placeholder), the server refusing 特急 without a reason at the field in Chinese (English
with ?lang=en) and keeping the input, a saved record shown read-only and listed, filtered, searched,
edited; another unit's forms are not found. The widget reading is tested on a form with every widget.
"""

from __future__ import annotations

import re

from starlette.datastructures import FormData
from webtools import Web, sign_in

from runtime.forms.compiled import compile_form
from runtime.pages_forms import field_states, layout, parse_submission, unit_tree
from tenants import demo
from tenants.models import Record, Unit
from tenants.scope import platform_scope, tenant_scope

LOGINS = demo.demo_logins(demo.plan_city(units=4, users=40, exchange_units=2))


async def _unit_of(login: str) -> str:
    from tenants.models import User

    with platform_scope():
        return (await User.get(login=login)).tenant_id  # type: ignore[attr-defined]


def _base(unit: str) -> str:
    return f"/units/{unit}/forms/outgoing_doc"


FILLED = {"doc_type": "通知", "classification": "非涉密", "title": "关于做好春节期间值班工作的通知",
          "main_recipients": "各县区人民政府、市直各单位", "body": "请各单位做好值班安排。"}


async def test_form_page_rules_errors_save_view_list_and_edit(web: Web) -> None:
    login = LOGINS[0][0]
    unit = await _unit_of(login)
    base = _base(unit)
    async with web.client() as client:
        csrf = await sign_in(client, login)
        home = await client.get("/")
        assert f'{base}/records"' in home.text and "发文稿纸" in home.text

        page = await client.get(base + "/new")
        assert page.status_code == 200, page.text[:500]
        html = page.text
        assert '<label id="f-title-label" for="f-title">标题' in html and 'id="f-title" name="title"' in html
        assert re.search(r'data-field="urgency_reason"[^>]*hidden', html)  # 紧急程度 defaults to 无
        assert "登记时自动编号" in html and 'name="csrf_token"' in html
        assert 'aria-describedby="f-direction-help f-direction-error"' in html
        assert 'id="form-rules"' in html and '"urgency_reason"' in html
        assert "<script>" not in html and "onclick" not in html

        refused = await client.post(base + "/new", data={**FILLED, "urgency": "特急", "csrf_token": csrf})
        assert refused.status_code == 422
        text = refused.text
        assert re.search(r'<p class="field-error" id="f-urgency_reason-error" data-error="urgency_reason">必填</p>', text)
        assert not re.search(r'data-field="urgency_reason"[^>]*hidden', text)  # shown again, because 特急
        assert 'value="关于做好春节期间值班工作的通知"' in text  # the input is kept
        with tenant_scope(unit):
            assert await Record.filter(form="outgoing_doc").count() == 0

        english = await client.post(base + "/new?lang=en", data={**FILLED, "urgency": "特急", "csrf_token": csrf})
        assert english.status_code == 422 and ">required</p>" in english.text and "Reason for urgency" in english.text

        saved = await client.post(base + "/new?lang=zh", data={**FILLED, "urgency": "特急", "urgency_reason": "上级要求当日办结",
                                                      "csrf_token": csrf})
        assert saved.status_code == 303, saved.text[:800]
        view = await client.get(saved.headers["location"])
        assert view.status_code == 200
        assert "上级要求当日办结" in view.text and "已保存" in view.text and "登记时自动编号" in view.text
        with tenant_scope(unit):
            record = await Record.get(form="outgoing_doc")
        assert record.data["main_recipients"] == ["各县区人民政府", "市直各单位"]

        listed = await client.get(base + "/records")
        assert listed.status_code == 200 and "关于做好春节期间值班工作的通知" in listed.text
        assert await _has(client, base, {"urgency": "特急"}) and not await _has(client, base, {"urgency": "加急"})
        assert await _has(client, base, {"q": "春节"}) and not await _has(client, base, {"q": "国庆"})
        partial = await client.get(base + "/records", params={"q": "春节"}, headers={"HX-Request": "true"})
        assert 'id="records"' in partial.text

        edit_url = f"{base}/records/{record.id}/edit"
        no_right = await client.get(edit_url)
        assert no_right.status_code == 403  # staff may read and create; updating needs the office manager


async def _has(client: object, base: str, params: dict[str, str]) -> bool:
    r = await client.get(base + "/records", params=params)  # type: ignore[attr-defined]
    assert r.status_code == 200
    return "关于做好春节期间值班工作的通知" in r.text


async def test_another_units_forms_are_not_found(web: Web) -> None:
    login = LOGINS[0][0]
    mine = await _unit_of(login)
    with platform_scope():
        other = await Unit.exclude(id=mine).order_by("id").first()
    assert other is not None
    async with web.client() as client:
        await sign_in(client, login)
        assert (await client.get(_base(other.id) + "/new")).status_code == 404
        assert (await client.get(_base(other.id) + "/records")).status_code == 404
        assert (await client.get(_base(mine) + "/no_such_form/../records")).status_code in (200, 404)
        assert (await client.get(f"/units/{mine}/forms/no_such_form/records")).status_code == 404


WIDGETS = {
    "format_version": 1, "id": "expense", "name": "报销单", "name_en": "Expense claim",
    "schema": {"type": "object", "required": ["amount"], "properties": {
        "amount": {"type": "number", "title": "金额"},
        "count": {"type": "integer", "title": "件数"},
        "kinds": {"type": "array", "items": {"type": "string", "enum": ["差旅", "会议", "培训"]}, "title": "类别"},
        "paid": {"type": "boolean", "title": "已付"},
        "at": {"type": "string", "format": "date-time", "title": "时间"},
        "total": {"type": "number", "title": "合计"},
        "cc": {"type": "array", "items": {"type": "string"}, "title": "抄送"},
        "lines": {"type": "array", "items": {"type": "object", "properties": {
            "what": {"type": "string"}, "cost": {"type": "number"}}}},
    }},
    "ui": {"sections": [{"id": "main", "title": "主要", "title_en": "Main", "columns": 2, "fields": [
        {"field": "amount", "widget": "money", "label": "金额", "label_en": "Amount"},
        {"field": "count", "widget": "number", "label": "件数"},
        {"field": "kinds", "widget": "checkbox", "label": "类别"},
        {"field": "paid", "widget": "checkbox", "label": "已付"},
        {"field": "at", "widget": "datetime", "label": "时间"},
        {"field": "total", "widget": "computed", "label": "合计"},
        {"field": "cc", "widget": "user", "multiple": True, "label": "抄送"},
        {"field": "lines", "widget": "rows", "label": "明细", "span": 2, "items": [
            {"field": "what", "widget": "text", "label": "事项"}, {"field": "cost", "widget": "money", "label": "金额"}]},
    ]}]},
    "rules": {"value": {"total": {"*": [{"var": "amount"}, {"var": "count"}]}},
              "visible": {"paid": {">": [{"var": "amount"}, 0]}}},
}


def test_every_widget_is_read_from_the_posted_form_and_shown_with_its_state() -> None:
    cf = compile_form(WIDGETS, 1)
    posted = FormData([("amount", "1004.5"), ("count", "3"), ("kinds", "差旅"), ("kinds", "培训"), ("paid", "true"),
                       ("at", "2026-03-02T09:30"), ("total", "999"), ("cc", "zhang_san，li_si"),
                       ("lines.0.what", "车票"), ("lines.0.cost", "120.5"), ("lines.3.what", ""), ("lines.2.what", "住宿")])
    data = parse_submission(cf, posted)
    assert data == {"amount": 1004.5, "count": 3, "kinds": ["差旅", "培训"], "paid": True, "at": "2026-03-02T09:30:00+08:00",
                    "cc": ["zhang_san", "li_si"], "lines": [{"what": "车票", "cost": 120.5}, {"what": "住宿"}]}
    clean, problems = cf.apply(data)
    assert problems == [] and clean["total"] == 3013.5  # the computed value is the server's, never the posted 999

    states, top = field_states(cf, data, [{"field": "lines/1/cost", "zh": "必填", "en": "required"}], "zh")
    assert top == [] and states["lines"]["errors"] == ["明细：必填"]
    assert states["amount"]["upper"] == "壹仟零肆元伍角" and states["total"]["value"] == 3013.5
    assert states["total"]["readonly"] and states["paid"]["visible"] and states["at"]["value"] == "2026-03-02T09:30"
    hidden, _ = field_states(cf, {"amount": 0}, [], "zh")
    assert not hidden["paid"]["visible"] and hidden["amount"]["required"]

    sections = layout(cf, "en")
    assert sections[0]["title"] == "Main" and sections[0]["columns"] == 2
    fields = {f["id"]: f for f in sections[0]["fields"]}
    assert fields["amount"]["label"] == "Amount" and fields["count"]["label"] == "件数"  # no English label: Chinese
    assert [o["value"] for o in fields["kinds"]["options"]] == ["差旅", "会议", "培训"]
    assert [c["id"] for c in fields["lines"]["cols"]] == ["what", "cost"] and fields["lines"]["span"] == 2


async def test_the_unit_tree_and_the_disclosure_list_on_the_form_page(web: Web) -> None:
    login = LOGINS[0][0]
    unit = await _unit_of(login)
    base = _base(unit)
    with platform_scope():
        units = await Unit.all().values("id", "name", "parent_id")
    district = next(u for u in units if u["parent_id"])  # a 县区 government under the city's
    async with web.client() as client:
        csrf = await sign_in(client, login)
        html = (await client.get(base + "/new")).text
        tree = html[html.index('id="f-main_recipients"'):html.index('id="f-main_recipients-error"')]
        assert 'role="group" aria-labelledby="f-main_recipients-label"' in tree
        for u in units:  # every unit of the city, each a labelled checkbox submitting its id
            assert (f'<label class="unit-choice" for="f-main_recipients-u-{u["id"]}" data-unit-name="{u["name"]}">'
                    f'<input id="f-main_recipients-u-{u["id"]}" name="main_recipients"') in tree
        parent = next(u for u in units if u["id"] == district["parent_id"])
        group = tree[tree.index(f"<summary>{parent['name']}</summary>"):]
        assert group.index(f'value="{district["id"]}"') < group.index("</details>")  # nested under its parent
        assert 'x-on:input="filter"' in tree and "data-unit-filter hidden" in tree  # the filter needs scripts
        assert '<option value="依申请公开">依申请公开</option>' in html
        english = (await client.get(base + "/new?lang=en")).text
        assert '<option value="依申请公开">Disclosure on request</option>' in english

        bad = {**FILLED, "csrf_token": csrf, "main_recipients": district["id"], "disclosure": "内部公开"}
        refused = await client.post(base + "/new?lang=zh", data=bad)
        assert refused.status_code == 422
        assert re.search(r'id="f-disclosure-error" data-error="disclosure">“内部公开” 不是“公开属性”的可选项', refused.text)
        checked = f'id="f-main_recipients-u-{district["id"]}" name="main_recipients"\n    type="checkbox" value="{district["id"]}" checked'
        assert checked in refused.text  # the choice is kept
        posted = {**FILLED, "csrf_token": csrf, "main_recipients": [district["id"], parent["id"]], "disclosure": "依申请公开"}
        saved = await client.post(base + "/new", data=posted)
        assert saved.status_code == 303, saved.text[:800]
        view = (await client.get(saved.headers["location"])).text
        assert f"{district['name']}、{parent['name']}" in view and "依申请公开" in view
    with tenant_scope(unit):
        record = await Record.get(form="outgoing_doc")
    assert record.data["main_recipients"] == [district["id"], parent["id"]] and record.data["disclosure"] == "依申请公开"


def test_unit_tree_groups_city_districts_and_towns() -> None:
    units = [{"value": "town", "label": "镇", "parent": "county", "level": "乡镇", "category": "乡镇"},
             {"value": "dept", "label": "局", "parent": "county", "level": "县区", "category": "部门"},
             {"value": "county", "label": "县政府", "parent": "city", "level": "县区", "category": "政府"},
             {"value": "city", "label": "市政府", "parent": None, "level": "市", "category": "政府"},
             {"value": "lost", "label": "孤", "parent": "gone", "level": "乡镇", "category": "乡镇"}]
    tree = unit_tree(units)
    assert [n["value"] for n in tree] == ["city", "lost"]  # a unit whose parent is unknown is kept, as a root
    county = tree[0]["children"][0]
    assert county["value"] == "county" and [c["value"] for c in county["children"]] == ["dept", "town"]
    assert tree[0]["values"] == ["city", "county", "dept", "town"]
