"""Option lists (``lists.yaml``) behind ``options_from``: compiled into the form, enforced on every write.

The seed's 发文稿纸 takes 公开属性 from gov_base's ``disclosure`` list; a value outside the list is a
field-level 422 problem in Chinese and English, and nothing is written (SQLite and PostgreSQL).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from runtime import records
from runtime.forms.compiled import compile_form
from tenants import store
from tenants.bundle import BundleSource
from tenants.demo import CityPlan, plan_city
from tenants.errors import FieldErrors
from tenants.models import Record
from tenants.paths import TEMPLATES_DIR
from tenants.scope import tenant_scope
from tenants.yamlio import parse_text

LISTS = TEMPLATES_DIR / "gov_base" / "lists.yaml"
SEED_FORM = TEMPLATES_DIR / "gov_documents" / "forms" / "outgoing_doc.yaml"


def _load(path: Path) -> dict[str, Any]:
    return parse_text(path.name, path.read_text(encoding="utf-8")).data


def test_the_seed_form_takes_disclosure_options_and_labels_from_the_list() -> None:
    cf = compile_form(_load(SEED_FORM), 1, _load(LISTS))
    f = cf.fields["disclosure"]
    assert f.options_from == "disclosure"
    assert f.options == ("主动公开", "依申请公开", "不予公开")
    assert (f.choices[0].label, f.choices[0].label_en) == ("主动公开", "Proactive disclosure")
    assert "enum" not in cf.schema["properties"]["disclosure"]  # the list, not the schema, holds the values
    # a plain enum still offers its values, each its own label
    assert [c.label for c in cf.fields["urgency"].choices] == ["无", "加急", "特急"]
    assert cf.describe()["fields"]["disclosure"]["choices"][2] == {"value": "不予公开", "label": "不予公开",
                                                                    "label_en": "Not to be disclosed"}


def test_a_value_outside_the_list_is_refused_at_the_field() -> None:
    cf = compile_form(_load(SEED_FORM), 1, _load(LISTS))
    base = {"doc_type": "通知", "title": "关于开展安全检查的通知", "main_recipients": ["各科室"], "body": "正文。"}
    clean, problems = cf.apply({**base, "disclosure": "依申请公开"})
    assert problems == [] and clean["disclosure"] == "依申请公开"
    _, problems = cf.apply({**base, "disclosure": "内部公开"})
    assert [p["field"] for p in problems] == ["disclosure"]
    assert "内部公开" in problems[0]["zh"] and "主动公开" in problems[0]["zh"]
    assert "Proactive disclosure" in problems[0]["en"]


def test_a_list_the_version_does_not_hold_accepts_nothing() -> None:
    cf = compile_form(_load(SEED_FORM), 1, {"lists": []})
    assert cf.fields["disclosure"].options == ()
    _, problems = cf.apply({"doc_type": "通知", "title": "标题二字", "main_recipients": ["a"], "body": "b",
                            "disclosure": "主动公开"})
    assert [p["field"] for p in problems] == ["disclosure"]


def test_list_options_reach_repeatable_rows() -> None:
    form = {"id": "t", "schema": {"type": "object", "properties": {"rows": {"type": "array", "items": {
        "type": "object", "properties": {"kind": {"type": "string"}}}}}},
        "ui": {"sections": [{"id": "s", "title": "甲", "fields": [
            {"field": "rows", "widget": "rows", "items": [{"field": "kind", "widget": "select", "options_from": "doc_kind"}]}]}]}}
    cf = compile_form(form, 1, _load(LISTS))
    assert cf.apply({"rows": [{"kind": "通知"}]})[1] == []
    assert [p["field"] for p in cf.apply({"rows": [{"kind": "通知"}, {"kind": "便条"}]})[1]] == ["rows/1/kind"]


@pytest.fixture
async def city(database) -> CityPlan:
    plan = plan_city(units=2, users=20, exchange_units=1)
    batch = [store.NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await store.create_units(batch, author="demo", message="v1", password_hash="x")
    return plan


async def test_the_published_version_s_list_is_enforced_on_create(city: CityPlan) -> None:
    unit = city.units[0].id
    login = city.units[0].users[0]["login"]
    base = {"doc_type": "通知", "title": "关于开展安全检查的通知", "main_recipients": ["各科室"], "body": "正文。"}
    with pytest.raises(FieldErrors) as refused:
        await records.create(unit, "outgoing_doc", {**base, "disclosure": "内部公开"}, login)
    assert [p["field"] for p in refused.value.problems] == ["disclosure"]
    with tenant_scope(unit):
        assert await Record.all().count() == 0
    cf = await records.form_of(unit, "outgoing_doc")
    assert cf.fields["disclosure"].options == ("主动公开", "依申请公开", "不予公开")
    record = await records.create(unit, "outgoing_doc", {**base, "disclosure": "不予公开"}, login)
    assert record.data["disclosure"] == "不予公开"


def test_a_list_value_is_shown_with_the_label_of_the_locale() -> None:
    from runtime.forms.compiled import Choice, Field
    from runtime.pages_forms import _shown_value

    field = Field(id="disclosure", widget="select", label="公开属性", label_en="Disclosure",
                  options_from="disclosure", choices=(Choice("主动公开", "主动公开", "Proactive disclosure"),))
    assert _shown_value(field, "主动公开", {}, "zh") == "主动公开"
    assert _shown_value(field, "主动公开", {}, "en") == "Proactive disclosure"
