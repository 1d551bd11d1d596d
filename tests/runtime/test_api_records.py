"""The records JSON API and its OpenAPI document, on the demo city of ``banwen init --demo``."""

from __future__ import annotations

import re

from openapi_spec_validator import validate
from webtools import Web, sign_in

from tenants.models import Appointment, Record, Unit
from tenants.scope import platform_scope, tenant_scope

DOC = {"doc_type": "通知", "title": "关于开展安全检查的通知", "main_recipients": ["各科室"], "body": "正文。"}


async def _admin() -> tuple[str, str]:
    with platform_scope():
        unit = await Unit.all().order_by("id").first()
        admin = await Appointment.get(tenant_id=unit.id, post="sys_admin", state="filed")
    return unit.id, admin.appointee


async def test_create_refuses_field_errors_and_writes_nothing(web: Web) -> None:
    unit, admin = await _admin()
    base = f"/api/units/{unit}/forms/outgoing_doc"
    async with web.client() as c:
        csrf = {"x-csrf-token": await sign_in(c, admin)}
        r = await c.post(base + "/records", json={"data": {**DOC, "urgency": "特急", "title": 3, "extra": 1}}, headers=csrf)
        assert r.status_code == 422, r.text
        fields = {e["field"] for e in r.json()["errors"]}
        assert fields == {"urgency_reason", "title", "extra"} and r.json()["error"]["zh"].startswith("表单有 3 处错误")
        with tenant_scope(unit):
            assert await Record.all().count() == 0
        r = await c.post(base + "/records", json={"data": {**DOC, "urgency": "无", "urgency_reason": "x"}}, headers=csrf)
        assert r.status_code == 201, r.text
        rec = r.json()
        assert "urgency_reason" not in rec["data"] and rec["version"] == 1
        r = await c.put(f"{base}/records/{rec['id']}", json={"data": {**DOC, "title": "新标题"}, "expected_version": 1},
                        headers=csrf)
        assert r.status_code == 200 and r.json()["title"] == "新标题", r.text
        r = await c.put(f"{base}/records/{rec['id']}", json={"data": DOC, "expected_version": 1}, headers=csrf)
        assert r.status_code == 409
        listed = (await c.get(base + "/records", params={"q": "新标题"})).json()
        assert [row["title"] for row in listed["rows"]] == ["新标题"]


async def test_upload_download_and_limits(web: Web) -> None:
    unit, admin = await _admin()
    base = f"/api/units/{unit}/forms/outgoing_doc/attachments"
    async with web.client() as c:
        csrf = {"x-csrf-token": await sign_in(c, admin)}
        r = await c.post(base, files={"file": ("发文.pdf", b"%PDF-1.7 hello", "application/pdf")}, headers=csrf)
        assert r.status_code == 201, r.text
        att = r.json()
        r = await c.get(f"{base}/{att['id']}")
        assert r.status_code == 200 and r.content == b"%PDF-1.7 hello"
        assert "attachment" in r.headers["content-disposition"]
        r = await c.post(base, files={"file": ("x.exe", b"MZ\x90\x00", "application/pdf")}, headers=csrf)
        assert r.status_code == 422 and "x.exe" in r.json()["error"]["zh"]
        big = b"%PDF-" + b"0" * (web.app.state.settings.max_upload_bytes + 1)
        r = await c.post(base, files={"file": ("big.pdf", big, "application/pdf")}, headers=csrf)
        assert r.status_code == 413


async def test_openapi_document_is_valid_and_lists_every_api_route(web: Web) -> None:
    _unit, admin = await _admin()
    async with web.client() as c:
        await sign_in(c, admin)
        doc = (await c.get("/api/openapi.json")).json()
    validate(doc)
    api_paths = {re.sub(r"{(\w+):\w+}", r"{\1}", r.path) for r in web.app.routes if getattr(r, "path", "").startswith("/api/")}
    assert api_paths <= set(doc["paths"])
    op = doc["paths"]["/api/units/{unit}/forms/{form}/records"]["post"]
    assert op["x-banwen-need"] == "record:{form}:create@path"
    assert doc["components"]["schemas"]["form.outgoing_doc"]["properties"]["urgency"]["enum"] == ["无", "加急", "特急"]


EXPENSE = """format_version: 1
id: expense
name: 差旅费报销单
name_en: Travel expense claim
schema:
  type: object
  required: [purpose, transport, lodging]
  properties:
    purpose: {type: string, title: 事由, minLength: 2}
    transport: {type: number, title: 交通费, minimum: 0}
    lodging: {type: number, title: 住宿费, minimum: 0}
    total: {type: number, title: 合计}
ui:
  sections:
    - id: main
      title: 报销
      fields:
        - {field: purpose, widget: text, label: 事由, label_en: Purpose}
        - {field: transport, widget: money, label: 交通费, label_en: Transport}
        - {field: lodging, widget: money, label: 住宿费, label_en: Lodging}
        - {field: total, widget: computed, label: 合计, label_en: Total}
rules:
  value:
    total: {"+": [{var: transport}, {var: lodging}]}
list_columns: [purpose, total, updated_at]
title_template: "{purpose}"
"""


async def test_a_computed_value_is_the_servers_and_a_forged_one_is_refused(web: Web) -> None:
    from tenants import store

    unit, admin = await _admin()
    current = await store.get_version(unit)
    source = store.version_source(unit, current)
    files = {**source.files, "forms/expense.yaml": EXPENSE}
    await store.publish(unit, admin, "增加差旅费报销单", source=type(source)(source.label, files))
    base = f"/api/units/{unit}/forms/expense/records"
    claim = {"purpose": "赴省厅汇报", "transport": 120.5, "lodging": 380}
    async with web.client() as c:
        csrf = {"x-csrf-token": await sign_in(c, admin)}
        forged = await c.post(base, json={"data": {**claim, "total": 9999}}, headers=csrf)
        assert forged.status_code == 422, forged.text
        assert [e["field"] for e in forged.json()["errors"]] == ["total"]
        assert "forged" in forged.json()["errors"][0]["en"]
        with tenant_scope(unit):
            assert await Record.filter(form="expense").count() == 0
        made = await c.post(base, json={"data": claim}, headers=csrf)
        assert made.status_code == 201, made.text
        assert made.json()["data"]["total"] == 500.5
        honest = await c.post(base, json={"data": {**claim, "total": 500.5}}, headers=csrf)
        assert honest.status_code == 201
