"""The demo city plan: deterministic, real names, counts as parameters."""

from __future__ import annotations

import pytest

from tenants.bundle import BundleSource
from tenants.demo import demo_logins, plan_city
from tenants.errors import BanwenError
from tenants.lint import lint_source
from tenants.references import Context, platform_role_ids


def test_same_seed_same_city_other_seed_other_names() -> None:
    a, b = plan_city(units=40, users=400), plan_city(units=40, users=400)
    assert [u.files() for u in a.units] == [u.files() for u in b.units]
    c = plan_city(units=40, users=400, seed=7)
    assert [u.users for u in a.units] != [u.users for u in c.units]


def test_real_scale_defaults() -> None:
    plan = plan_city()
    assert len(plan.units) == 375 and plan.user_count == 8165
    assert sum(u.exchange_unit for u in plan.units) == 269
    names = {u.name for u in plan.units}
    for district in ("新余市渝水区人民政府", "分宜县人民政府"):
        assert district in names
    assert any("仙女湖" in n for n in names) and any("高新" in n for n in names) and any("孔目江" in n for n in names)
    assert len({u.id for u in plan.units}) == 375
    logins = [p["login"] for u in plan.units for p in u.users]
    assert len(set(logins)) == 8165


@pytest.mark.parametrize(("units", "users"), [(1, 6), (12, 100), (607, 12000)])
def test_counts_are_parameters(units: int, users: int) -> None:
    plan = plan_city(units=units, users=users, exchange_units=0)
    assert len(plan.units) == units and plan.user_count == users
    ids = {u.id for u in plan.units}
    assert all(u.parent is None or u.parent in ids for u in plan.units)


def test_impossible_counts_are_refused_clearly() -> None:
    with pytest.raises(BanwenError) as info:
        plan_city(units=10, users=20)
    assert "at least 6" in info.value.en
    with pytest.raises(BanwenError):
        plan_city(units=100000, users=1000000)


def test_every_unit_bundle_is_valid_with_a_and_b_holders() -> None:
    plan = plan_city(units=30, users=400)
    for u in plan.units:
        users = {p["login"] for p in u.users}
        result = lint_source(BundleSource(u.id, u.files()), ctx=Context(known_users=users))
        assert result.errors == [], (u.id, result.errors[:3])
        posts = {p["id"]: p for p in u.org["posts"]}
        assert posts["office_director"]["a_holder"] in users and posts["office_director"]["b_holders"]
    assert len(demo_logins(plan)) >= 3


def test_filing_posts_are_appointments_not_org_holders() -> None:
    plan = plan_city(units=30, users=400)
    for u in plan.units:
        users = {p["login"] for p in u.users}
        assert {p["id"] for p in u.org["posts"]}.isdisjoint({"sys_admin", "doc_clerk"})  # inherited from gov_base, unfilled
        assert [post for post, _ in u.appointments] == ["doc_clerk", "sys_admin"]
        assert all(login in users for _, login in u.appointments)


def test_the_information_office_holds_the_platform_roles() -> None:
    plan = plan_city()
    assert plan.info_office == "xinyu_wxb"
    # the people org.yaml used to name as A holders are now the filed appointees (demo logins stay valid)
    assert dict(plan.units[0].appointments) == {"sys_admin": "xinyu_swb_59", "doc_clerk": "xinyu_swb_37"}
    assert sorted(role for _, role in plan.platform_grants) == ["city_auditor", "city_filer", "platform_admin"]
    assert {role for _, role in plan.platform_grants} <= platform_role_ids()
    office = next(u for u in plan.units if u.id == "xinyu_wxb")
    logins = [login for login, _ in plan.platform_grants]
    assert len(set(logins)) == 3 and set(logins) <= {p["login"] for p in office.users}
    assert set(logins).isdisjoint({login for _, login in office.appointments} | {office.org["head"]})
    shown = {(login, who) for login, who, _ in demo_logins(plan)}
    assert {login for login, _ in shown} >= set(logins)
    assert any(who == "系统管理员" for _, who in shown) and any(who == "收发文员" for _, who in shown)
    small = plan_city(units=4, users=40)  # no 网信办 among the first units: the first unit stands in
    assert small.info_office == small.units[0].id and len(small.platform_grants) == 3


def test_demo_posts_keep_the_template_roles_so_every_flow_has_handlers() -> None:
    plan = plan_city(units=5, users=60)
    for u in plan.units:
        posts = {p["id"]: p for p in u.org["posts"]}
        assert "unit_leader" in posts["unit_head"]["roles"]
        assert "office_manager" in posts["office_director"]["roles"]
        assert posts["unit_head"]["name_en"] == "Head of unit"
