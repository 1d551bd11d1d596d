"""Appointments that take effect once filed (备案), through ``rbac.appointments``, on SQLite and PostgreSQL.

Every test builds a small demo city from the real seed bundles exactly as ``banwen init --demo``
does (create the units, then record the demo's appointments as filed at onboarding).
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from rbac import appointments as ap
from rbac.appointments import Actor, AppointmentInvalid, NotConfigured, NotPermitted, Onboarding
from tenants import store
from tenants.bundle import BundleSource, read_folder
from tenants.demo import CityPlan, UnitPlan, plan_city
from tenants.errors import BanwenError, BundleInvalid, Conflict, NotFound
from tenants.models import AuditEvent, PolicyChange, User
from tenants.paths import TEMPLATES_DIR
from tenants.scope import platform_scope, tenant_scope

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


async def build(units: int = 3, users: int = 30) -> CityPlan:
    plan = plan_city(units=units, users=users, exchange_units=1)
    batch = [store.NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await store.create_units(batch, author="demo", message="v1", password_hash="x")
    await ap.onboard([Onboarding(u.id, post, login) for u in plan.units for post, login in u.appointments], "demo")
    return plan


@pytest.fixture
async def city(database) -> CityPlan:
    return await build()


def head(u: UnitPlan) -> Actor:
    login = next(p["a_holder"] for p in u.org["posts"] if p["id"] == "unit_head")
    return Actor(login, u.id, posts=frozenset({"unit_head"}), roles=frozenset({"unit_leader"}))


def admin(u: UnitPlan) -> Actor:
    return Actor(dict(u.appointments)["sys_admin"], u.id, posts=frozenset({"sys_admin"}), roles=frozenset({"unit_admin"}))


def platform_person(plan: CityPlan, role: str) -> Actor:
    login = next(login for login, r in plan.platform_grants if r == role)
    return Actor(login, plan.info_office, platform_roles=frozenset({role}))


def staff(u: UnitPlan) -> str:
    """Someone of the unit who is neither its head nor one of its appointees."""
    busy = {u.org["head"], *(login for _, login in u.appointments)}
    return next(p["login"] for p in reversed(u.users) if p["login"] not in busy)


def form(appointee: str, **extra: str) -> dict:
    return {"post": "sys_admin", "appointee": appointee, "phone": "0790-6221234",
            "appointment_doc": "余网信字〔2026〕3号", "effective_date": "2026-12-01", **extra}


async def events(unit_id: str, appointment_id: int) -> list[str]:
    with tenant_scope(unit_id):
        return await AuditEvent.filter(obj=f"appointment:{appointment_id}").order_by("seq").values_list("action", flat=True)


async def test_submit_review_file_then_filed_holders_show_the_appointee(city: CityPlan) -> None:
    u = city.units[1]
    filer = platform_person(city, "city_filer")
    newcomer = staff(u)
    onboarded = dict(u.appointments)["sys_admin"]
    assert (await ap.filed_holders(u.id))["sys_admin"] == [onboarded]

    a = await ap.submit(u.id, form(newcomer), head(u))
    assert (a.state, a.node, a.flow_version, a.lock_version) == ("running", "review", 1, 1)
    assert a.data["holder"] == "A"  # the form's default
    assert [h["action"] for h in a.history] == ["submit"] and a.history[0]["node"] == "submit"
    assert [x.id for x in await ap.pending_for(filer)] == [a.id]
    assert await ap.pending_for(head(u)) == []

    a = await ap.act(u.id, a.id, "approve", filer, opinion="材料齐全", expected_version=1)
    assert (a.state, a.node, a.lock_version) == ("running", "filing", 2)
    changes_before = await PolicyChange.filter(domain=u.id).count()
    a = await ap.act(u.id, a.id, "approve", filer, expected_version=2)
    assert (a.state, a.node) == ("filed", "filed") and a.filed_at is not None
    assert [h["action"] for h in a.history] == ["submit", "approve", "approve"]
    assert a.history[1]["opinion"] == "材料齐全" and a.history[1]["actor"] == filer.login

    assert (await ap.filed_holders(u.id))["sys_admin"] == [newcomer]
    assert await ap.pending_for(filer) == []
    assert await PolicyChange.filter(domain=u.id).count() == changes_before + 1
    assert await events(u.id, a.id) == ["submit", "approve", "approve"]
    stored = await ap.get(u.id, a.id)
    assert (stored.state, stored.lock_version, len(stored.history)) == ("filed", 3, 3)


async def test_only_the_handlers_may_act(city: CityPlan) -> None:
    u, other = city.units[1], city.units[2]
    a = await ap.submit(u.id, form(staff(u)), admin(u))  # the unit's system administrator may submit too
    refused = [
        head(u),  # a starter, not a handler of 市信息办审核
        platform_person(city, "city_auditor"),  # read-only platform role
        Actor(head(other).login, other.id, roles=frozenset({"city_filer"})),  # a unit role of that name counts nowhere else
    ]
    for actor in refused:
        with pytest.raises(NotPermitted):
            await ap.act(u.id, a.id, "approve", actor)
    nobody = Actor(staff(u), u.id)
    with pytest.raises(NotPermitted):
        await ap.submit(u.id, form(staff(u)), nobody)
    with pytest.raises(NotPermitted):  # another unit's head cannot submit for this unit
        await ap.submit(u.id, form(staff(u)), head(other))
    assert (await ap.get(u.id, a.id)).lock_version == 1
    assert await events(u.id, a.id) == ["submit"]


async def test_terminate_needs_a_reason_and_rejects(city: CityPlan) -> None:
    u = city.units[0]
    filer = platform_person(city, "city_filer")
    a = await ap.submit(u.id, form(staff(u)), head(u))
    with pytest.raises(BanwenError) as info:
        await ap.act(u.id, a.id, "terminate", filer, opinion="  ")
    assert "理由" in info.value.zh and "reason" in info.value.en
    assert (await ap.get(u.id, a.id)).state == "running"
    a = await ap.act(u.id, a.id, "terminate", filer, opinion="任命文件未盖章")
    assert (a.state, a.ended_at is not None, a.history[-1]["opinion"]) == ("rejected", True, "任命文件未盖章")
    with pytest.raises(Conflict):
        await ap.act(u.id, a.id, "approve", filer)
    with pytest.raises(BanwenError):  # an action the node does not offer
        await ap.act(u.id, (await ap.submit(u.id, form(staff(u)), head(u))).id, "return_to", filer)
    assert (await ap.filed_holders(u.id))["sys_admin"] == [dict(u.appointments)["sys_admin"]]


async def test_stale_version_is_a_conflict_and_changes_nothing(city: CityPlan) -> None:
    u = city.units[0]
    filer = platform_person(city, "city_filer")
    a = await ap.submit(u.id, form(staff(u)), head(u))
    await ap.act(u.id, a.id, "approve", filer, expected_version=1)
    with pytest.raises(Conflict) as info:
        await ap.act(u.id, a.id, "approve", filer, expected_version=1)
    assert info.value.status == 409
    stored = await ap.get(u.id, a.id)
    assert (stored.node, stored.lock_version, len(stored.history)) == ("filing", 2, 2)
    assert await events(u.id, a.id) == ["submit", "approve"]


async def test_concurrent_approvals_exactly_one_wins(city: CityPlan) -> None:
    u = city.units[0]
    filer = platform_person(city, "city_filer")
    other_filer = Actor(platform_person(city, "city_auditor").login, city.info_office, platform_roles=frozenset({"city_filer"}))
    a = await ap.submit(u.id, form(staff(u)), head(u))
    # both saw version 1 on screen
    results = await asyncio.gather(ap.act(u.id, a.id, "approve", filer, expected_version=1),
                                   ap.act(u.id, a.id, "approve", other_filer, expected_version=1),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Appointment", "Conflict"]
    stored = await ap.get(u.id, a.id)
    assert (stored.node, stored.lock_version, len(stored.history)) == ("filing", 2, 2)
    # at the last node, without versions: one files it, the other finds it no longer running
    results = await asyncio.gather(ap.act(u.id, a.id, "approve", filer), ap.act(u.id, a.id, "approve", other_filer),
                                   return_exceptions=True)
    assert sorted(type(r).__name__ for r in results) == ["Appointment", "Conflict"]
    stored = await ap.get(u.id, a.id)
    assert (stored.state, stored.lock_version, len(stored.history)) == ("filed", 3, 3)
    assert await events(u.id, a.id) == ["submit", "approve", "approve"]


async def test_an_appointee_of_another_unit_gets_the_unknown_user_answer(city: CityPlan) -> None:
    u, other = city.units[0], city.units[1]
    answers = {}
    for login in (other.users[3]["login"], "nobody_here"):
        with pytest.raises(AppointmentInvalid) as info:
            await ap.submit(u.id, form(login), head(u))
        answers[login] = (info.value.zh.replace(login, "X"), info.value.en.replace(login, "X"))
        assert [p["field"] for p in info.value.problems] == ["appointee"]
    assert len(set(answers.values())) == 1
    with tenant_scope(u.id):
        await User.filter(login=staff(u)).update(is_active=False)
    with pytest.raises(AppointmentInvalid) as info:
        await ap.submit(u.id, form(staff(u)), head(u))
    assert (info.value.zh.replace(staff(u), "X"), info.value.en.replace(staff(u), "X")) in answers.values()
    assert await ap.list_for_unit(u.id, "running") == []


async def test_form_problems_are_listed_by_field_in_both_languages(city: CityPlan) -> None:
    u = city.units[0]
    with pytest.raises(AppointmentInvalid) as info:
        await ap.submit(u.id, form(staff(u), post="reviewer", phone="", effective_date="2026-13-45"), head(u))
    fields = {p["field"] for p in info.value.problems}
    assert fields == {"post", "phone", "effective_date"}
    assert "联系电话" in info.value.zh and "Phone" in info.value.en and "生效日期" in info.value.zh


async def test_another_units_appointment_is_not_found_like_an_unknown_one(city: CityPlan) -> None:
    u, other = city.units[0], city.units[1]
    a = await ap.submit(u.id, form(staff(u)), head(u))
    missing = a.id + 1000
    for call in (lambda i: ap.get(other.id, i), lambda i: ap.act(other.id, i, "approve", platform_person(city, "city_filer")),
                 lambda i: ap.withdraw(other.id, i, head(other)), lambda i: ap.revoke(other.id, i, head(other), "x")):
        texts = []
        for appointment_id in (a.id, missing):
            with pytest.raises(NotFound) as info:
                await call(appointment_id)
            texts.append(info.value.en.replace(str(appointment_id), "#"))
        assert texts[0] == texts[1]
    assert (await ap.get(u.id, a.id)).state == "running"


async def test_filing_supersedes_the_same_post_and_holder_only(city: CityPlan) -> None:
    u = city.units[0]
    filer = platform_person(city, "city_filer")
    onboarded = next(x for x in await ap.list_for_unit(u.id, "filed") if x.post == "sys_admin")
    assert onboarded.history[0]["opinion"].startswith("初始化时备案") and onboarded.submitted_by == "demo"

    async def file(data: dict) -> int:
        a = await ap.submit(u.id, data, head(u))
        await ap.act(u.id, a.id, "approve", filer)
        return (await ap.act(u.id, a.id, "approve", filer)).id

    backup = staff(u)
    await file(form(backup, holder="B"))
    assert (await ap.get(u.id, onboarded.id)).state == "filed"  # a B holder leaves the A holder in office
    principal = u.users[-2]["login"] if u.users[-2]["login"] != backup else u.users[-3]["login"]
    await file(form(principal))
    old = await ap.get(u.id, onboarded.id)
    assert old.state == "superseded" and old.ended_at is not None and old.lock_version == 2
    assert old.history[-1]["action"] == "supersede"
    assert (await ap.filed_holders(u.id))["sys_admin"] == [principal]
    assert await events(u.id, onboarded.id) == ["onboard", "supersede"]


async def test_revoke_ends_the_appointment_and_its_rights(city: CityPlan) -> None:
    u = city.units[0]
    doc_clerk = next(x for x in await ap.list_for_unit(u.id, "filed") if x.post == "doc_clerk")
    with pytest.raises(NotPermitted):
        await ap.revoke(u.id, doc_clerk.id, Actor(staff(u), u.id), "调离")
    with pytest.raises(BanwenError):
        await ap.revoke(u.id, doc_clerk.id, head(u), "")
    before = await PolicyChange.filter(domain=u.id).count()
    revoked = await ap.revoke(u.id, doc_clerk.id, head(u), "调离本单位")
    assert (revoked.state, revoked.history[-1]["action"], revoked.history[-1]["opinion"]) == ("revoked", "revoke", "调离本单位")
    assert "doc_clerk" not in await ap.filed_holders(u.id)
    assert await PolicyChange.filter(domain=u.id).count() == before + 1
    with pytest.raises(Conflict):
        await ap.revoke(u.id, doc_clerk.id, head(u), "再次")
    sys_admin = next(x for x in await ap.list_for_unit(u.id, "filed") if x.post == "sys_admin")
    await ap.revoke(u.id, sys_admin.id, platform_person(city, "city_filer"), "未按期更换密钥U盘")  # the filing office may too
    assert await ap.filed_holders(u.id) == {}


async def test_withdraw_by_the_submitter_only_while_running(city: CityPlan) -> None:
    u = city.units[0]
    a = await ap.submit(u.id, form(staff(u)), admin(u))
    with pytest.raises(NotPermitted):
        await ap.withdraw(u.id, a.id, head(u))
    a = await ap.withdraw(u.id, a.id, admin(u))
    assert a.state == "withdrawn" and await ap.pending_for(platform_person(city, "city_filer")) == []
    with pytest.raises(Conflict):
        await ap.withdraw(u.id, a.id, admin(u))
    assert await events(u.id, a.id) == ["submit", "withdraw"]


async def test_pending_for_spans_units_for_the_filing_officer_only(city: CityPlan) -> None:
    first = [await ap.submit(u.id, form(staff(u)), head(u)) for u in city.units]
    filer = platform_person(city, "city_filer")
    assert [a.id for a in await ap.pending_for(filer)] == [a.id for a in first]
    for u in city.units:
        assert await ap.pending_for(admin(u)) == []


async def test_a_bundle_without_the_flow_or_with_a_node_it_cannot_run_is_refused_by_name(database) -> None:
    plan = await build(units=2, users=20)
    u = plan.units[1]
    # the unit's own flow replaces the template's: a circulate node in place of 市信息办审核
    v1 = await store.get_version(u.id)
    files = dict(store.version_source(u.id, v1).files)
    text = (TEMPLATES_DIR / "gov_base" / "flows" / "staff_appointment.yaml").read_text("utf-8")
    text = text.replace("type: approve\n    name: 市信息办审核\n    name_en: Review by the city information office\n    mode: single",
                        "type: circulate\n    name: 市信息办审核\n    name_en: Review by the city information office")
    files["flows/staff_appointment.yaml"] = text.replace("    actions: [approve, terminate]\n  - id: filing", "  - id: filing", 1)
    await store.publish(u.id, "tester", "审核改为传阅", source=BundleSource(u.id, files))
    with pytest.raises(NotConfigured) as info:
        await ap.submit(u.id, form(staff(u)), head(u))
    assert "市信息办审核" in info.value.zh and "circulate" in info.value.en and "review" in info.value.en

    bare = {"unit.yaml": "format_version: 1\nkind: unit\nid: bare_unit\nname: 无模板单位\nlevel: 县区\ncategory: 部门\n"
                         "parent: null\noffice_code: 无\nexchange_unit: false\nextends: []\n"}
    await store.create_units([store.NewUnit({"id": "bare_unit", "name": "无模板单位", "level": "县区", "category": "部门",
                                             "office_code": "无"}, BundleSource("bare_unit", bare), [{"login": "bare_01", "name": "甲"}])],
                             author="t", message="v1", password_hash="x")
    with pytest.raises(NotConfigured) as info:
        await ap.submit("bare_unit", form("bare_01"), Actor("bare_01", "bare_unit"))
    assert "staff_appointment" in info.value.en


async def test_publishing_a_holder_on_a_filing_post_is_refused(city: CityPlan) -> None:
    u = city.units[0]
    files = dict(store.version_source(u.id, await store.get_version(u.id)).files)
    post = f"  - {{id: sys_admin, name: 系统管理员, department: office, filing: true, a_holder: {staff(u)}}}\n"
    files["org.yaml"] = files["org.yaml"].replace("posts:\n", "posts:\n" + post, 1)
    with pytest.raises(BundleInvalid) as info:
        await store.publish(u.id, "tester", "直接指定系统管理员", source=BundleSource(u.id, files))
    assert [(e.code, e.pointer) for e in info.value.errors] == [("filing_post_holder", "/posts/0/a_holder")]
    assert "备案" in info.value.errors[0].zh and "filed" in info.value.errors[0].en


async def test_onboarding_refuses_a_post_without_filing_or_a_stranger(database) -> None:
    plan = await build(units=2, users=20)
    u, other = plan.units
    with pytest.raises(BanwenError):
        await ap.onboard([Onboarding(u.id, "reviewer", u.users[2]["login"])], "demo")
    with pytest.raises(NotFound):
        await ap.onboard([Onboarding(u.id, "sys_admin", other.users[2]["login"])], "demo")
    with platform_scope():
        assert {a.tenant_id for a in await ap.Appointment.all()} == {u.id, other.id}  # type: ignore[attr-defined]
    assert len(await ap.list_for_unit(u.id)) == 2


def test_the_valid_fixture_unit_gets_the_appointment_flow() -> None:
    from tenants.lint import lint_source

    resolved = lint_source(read_folder(FIXTURES / "valid_unit")).resolved.as_json()
    defn = ap.parse_flow(resolved, 1, "test_bureau")
    assert [s.id for s in defn.steps] == ["review", "filing"] and defn.end == "filed"
    assert defn.filing_posts == {"sys_admin", "doc_clerk"}
    assert defn.may_start(Actor("x", "test_bureau", roles=frozenset({"unit_admin"})), "test_bureau")
    assert not defn.may_start(Actor("x", "elsewhere", roles=frozenset({"unit_admin"})), "test_bureau")
