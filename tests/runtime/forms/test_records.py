"""Records through runtime/records.py on a demo city built from the real seed bundles (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import re

import pytest

from rbac import appointments as ap
from rbac.appointments import Onboarding
from runtime import records
from runtime.forms import attachments
from runtime.forms.money import money_upper
from tenants import store
from tenants.bundle import BundleSource
from tenants.demo import CityPlan, plan_city
from tenants.errors import Conflict, FieldErrors, NotFound
from tenants.models import AuditEvent, Record
from tenants.paths import TEMPLATES_DIR
from tenants.scope import tenant_scope

SEED_FORM = TEMPLATES_DIR / "gov_documents" / "forms" / "outgoing_doc.yaml"
PDF = b"%PDF-1.7\n" + b"x" * 100


@pytest.fixture
async def city(database) -> CityPlan:
    plan = plan_city(units=2, users=20, exchange_units=1)
    batch = [store.NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await store.create_units(batch, author="demo", message="v1", password_hash="x")
    await ap.onboard([Onboarding(u.id, post, login) for u in plan.units for post, login in u.appointments], "demo")
    return plan


def doc(**extra: object) -> dict:
    return {"doc_type": "通知", "title": "关于开展安全检查的通知", "main_recipients": ["各科室"], "body": "正文。", **extra}


async def count(unit: str) -> tuple[int, int]:
    with tenant_scope(unit):
        return await Record.all().count(), await AuditEvent.filter(obj__startswith="record:").count()


async def test_urgency_rule_makes_the_reason_visible_and_required(city: CityPlan) -> None:
    u = city.units[0].id
    with pytest.raises(FieldErrors) as e:
        await records.create(u, "outgoing_doc", doc(urgency="特急"), "someone")
    assert e.value.problems == [{"field": "urgency_reason", "zh": "必填", "en": "required"}]
    rec = await records.create(u, "outgoing_doc", doc(urgency="特急", urgency_reason="汛期"), "someone")
    assert rec.data["urgency_reason"] == "汛期" and rec.title == "关于开展安全检查的通知"
    plain = await records.create(u, "outgoing_doc", doc(urgency="加急", urgency_reason="不该保存"), "someone")
    assert "urgency_reason" not in plain.data  # hidden → dropped
    assert plain.data["classification"] == "非涉密" and plain.serial is None  # default filled; numbered at register


async def test_invalid_submissions_list_every_field_and_write_nothing(city: CityPlan) -> None:
    u = city.units[0].id
    before = await count(u)
    with pytest.raises(FieldErrors) as e:
        await records.create(u, "outgoing_doc", {"doc_type": "便条", "title": 5, "main_recipients": [], "issue_date": "昨天",
                                                 "hacker": 1, "classification": "秘密"}, "someone")
    fields = {p["field"]: p for p in e.value.problems}
    assert set(fields) >= {"hacker", "doc_type", "title", "main_recipients", "issue_date", "body", "classification"}
    assert "不是可选值" in fields["doc_type"]["zh"] and "应为文字" == fields["title"]["zh"]
    assert "日期" in fields["issue_date"]["zh"] and fields["body"]["zh"] == "必填"
    assert "涉密" in fields["classification"]["zh"] and "Classified" in fields["classification"]["en"]
    assert await count(u) == before


async def test_update_keeps_version_checks_lock_and_status(city: CityPlan) -> None:
    u = city.units[0].id
    rec = await records.create(u, "outgoing_doc", doc(), "someone")
    changed = await records.update(u, rec.id, doc(title="关于开展消防检查的通知"), "someone", expected_version=1)
    assert (changed.title, changed.lock_version, changed.form_version) == ("关于开展消防检查的通知", 2, 1)
    with pytest.raises(Conflict):
        await records.update(u, rec.id, doc(), "someone", expected_version=1)
    with pytest.raises(FieldErrors) as e:
        await records.update(u, rec.id, doc(doc_number="余府发〔2026〕1号"), "someone", expected_version=2)
    assert e.value.problems[0]["field"] == "doc_number"
    with tenant_scope(u):
        await Record.filter(id=rec.id).update(status="running")
    with pytest.raises(Conflict):
        await records.update(u, rec.id, doc(), "someone", expected_version=2)


async def test_another_units_record_and_attachment_are_not_found(city: CityPlan, tmp_path) -> None:
    a, b = city.units[0].id, city.units[1].id
    rec = await records.create(a, "outgoing_doc", doc(), "someone")
    att = await attachments.store_attachment(a, "a.pdf", "application/pdf", PDF, "someone", data_dir=tmp_path)
    for call in (records.get(b, rec.id), attachments.get_attachment(b, att.id)):
        with pytest.raises(NotFound) as e:
            await call
        assert str(rec.id) in e.value.zh or str(att.id) in e.value.zh
    with pytest.raises(FieldErrors):  # another unit's attachment id in the data
        await records.create(b, "outgoing_doc", doc(attachments=[str(att.id)]), "someone")
    mine = await records.create(a, "outgoing_doc", doc(attachments=[str(att.id)]), "someone")
    assert (await attachments.get_attachment(a, att.id)).record_id == mine.id


async def test_attachments_are_bounded_by_size_and_sniffed_type(city: CityPlan, tmp_path) -> None:
    u = city.units[0].id
    with pytest.raises(attachments.FileTooLarge) as e:
        await attachments.store_attachment(u, "大文件.pdf", None, PDF + b"x" * 2000, "someone", data_dir=tmp_path, max_bytes=1000)
    assert e.value.status == 413 and "大文件.pdf" in e.value.zh
    with pytest.raises(attachments.FileRefused) as e:
        await attachments.store_attachment(u, "run.exe", None, b"MZ\x90\x00", "someone", data_dir=tmp_path)
    assert "run.exe" in e.value.zh
    with pytest.raises(attachments.FileRefused):  # a renamed executable
        await attachments.store_attachment(u, "report.pdf", None, b"MZ\x90\x00", "someone", data_dir=tmp_path)
    one = await attachments.store_attachment(u, "a.pdf", "text/html", PDF, "someone", data_dir=tmp_path)
    two = await attachments.store_attachment(u, "b.pdf", None, PDF, "someone", data_dir=tmp_path)
    assert one.sha256 == two.sha256 and one.content_type == "application/pdf"
    assert attachments.path_of(tmp_path, one.sha256).read_bytes() == PDF
    assert [p.name for p in (tmp_path / "files").iterdir() if p.name.startswith(".upload")] == []


async def numbered(city: CityPlan) -> str:
    """Unit 0 republished with the seed 发文稿纸 numbered at creation (its assign_at removed)."""
    u = city.units[0]
    text = SEED_FORM.read_text(encoding="utf-8")
    assert "  assign_at: register\n" in text
    files = {**u.files(), "forms/outgoing_doc.yaml": text.replace("  assign_at: register\n", "")}
    await store.publish(u.id, "demo", "numbered at create", source=BundleSource(u.id, files))
    return u.id


async def test_twenty_concurrent_creates_get_twenty_consecutive_numbers(city: CityPlan) -> None:
    u = await numbered(city)
    made = await asyncio.gather(*(records.create(u, "outgoing_doc", doc(), f"user{i}") for i in range(20)))
    serials = sorted(r.serial for r in made)
    seqs = sorted(int(re.search(r"〔\d{4}〕(\d+)号", s).group(1)) for s in serials)
    assert seqs == list(range(1, 21))
    assert all(r.data["doc_number"] == r.serial for r in made)
    code = city.units[0].office_code
    assert serials[0].startswith(f"{code}发〔")
    with pytest.raises(FieldErrors):  # a refused record takes no number...
        await records.create(u, "outgoing_doc", doc(title=""), "x")
    nxt = await records.create(u, "outgoing_doc", doc(), "x")  # ...so the next one is 21
    assert nxt.serial.endswith("〕21号")


async def test_list_pages_search_and_filters(city: CityPlan) -> None:
    u = city.units[0].id
    for i in range(7):
        await records.create(u, "outgoing_doc", doc(title=f"通知第{i}号", urgency="特急" if i % 2 else "无",
                                                     urgency_reason="急" if i % 2 else None), "someone")
    seen, cursor = [], None
    while True:
        page = await records.list_records(u, "outgoing_doc", limit=3, cursor=cursor)
        seen += [r.id for r in page.records]
        if not (cursor := page.next_cursor):
            break
    assert len(seen) == len(set(seen)) == 7 and seen == sorted(seen, reverse=True)
    assert [r.title for r in (await records.list_records(u, "outgoing_doc", q="第3号")).records] == ["通知第3号"]
    urgent = await records.list_records(u, "outgoing_doc", filters={"urgency": "特急"})
    assert len(urgent.records) == 3
    by_title = await records.list_records(u, "outgoing_doc", sort="title", desc=False, limit=4)
    rest = await records.list_records(u, "outgoing_doc", sort="title", desc=False, limit=4, cursor=by_title.next_cursor)
    assert [r.title for r in by_title.records + rest.records] == [f"通知第{i}号" for i in range(7)]
    form = await records.form_of(u, "outgoing_doc")
    assert list(records.row(form, urgent.records[0])) == ["id", "doc_number", "title", "doc_type", "urgency", "status", "updated_at"]
    with pytest.raises(records.BadQuery):
        await records.list_records(u, "outgoing_doc", filters={"body; DROP": "x"})


def test_money_upper() -> None:
    assert money_upper(1234.5) == "壹仟贰佰叁拾肆元伍角"
    assert money_upper(100) == "壹佰元整"
    assert money_upper(1005.07) == "壹仟零伍元零柒分"
    assert money_upper(0) == "零元整"
