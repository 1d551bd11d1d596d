"""Who may do what, through ``rbac.authority.Authority``: from real bundles, in memory and from the database."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tortoise.transactions import in_transaction

from rbac.access import (
    PLATFORM_DOMAIN,
    PLATFORM_ROLE_IDS,
    PlatformPolicyInvalid,
    RoleCatalog,
    access_of,
    load_platform_roles,
)
from rbac.authority import Authority, DomainInput, ReservedDomain, load_from_db, policy_changed, refresh
from tenants import store
from tenants.bundle import BundleSource, read_folder
from tenants.demo import plan_city
from tenants.lint import TemplateLibrary, lint_source
from tenants.models import ApiToken, Appointment, PlatformGrant, PolicyChange, Unit
from tenants.scope import platform_scope, tenant_scope

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"
A, B = "test_bureau", "other_bureau"
ACTIONS = ["read", "create", "update", "delete", "approve", "publish", "export", "manage"]
OBJECTS = ["record:outgoing_doc", "record:*", "bundle", "user", "audit", "appointment", "stats", "unit",
           "platform_grant", "exchange", "inbox", "api_token"]

# Unit A changes the template role ``staff`` (adds stats) and adds a role of its own; its unit head
# post carries the template role ``unit_leader``.
A_POLICY = """format_version: 1
roles:
  - id: staff
    name: 工作人员
    permissions:
      - {object: "record:*", actions: [read, create]}
      - {object: inbox, actions: [read]}
      - {object: stats, actions: [read]}
  - id: planner
    name: 规划员
    permissions:
      - {object: "record:leave_request", actions: [read, approve]}
assignments:
  - {user: tb_05, role: staff}
  - {user: tb_04, role: planner}
"""
# Unit B keeps ``staff`` exactly as the template has it.
B_POLICY = """format_version: 1
roles:
  - id: staff
    name: 工作人员
    permissions:
      - {object: inbox, actions: [read]}
      - {object: "record:*", actions: [create, read]}
assignments:
  - {user: ob_05, role: staff}
"""
HEAD_WITH_ROLE = ("{id: unit_head, name: 局长, a_holder: tb_01, b_holders: [tb_02]}",
                  "{id: unit_head, name: 局长, a_holder: tb_01, b_holders: [tb_02], roles: [unit_leader]}")


@pytest.fixture(scope="module")
def library() -> TemplateLibrary:
    return TemplateLibrary()


@pytest.fixture(scope="module")
def catalog(library: TemplateLibrary) -> RoleCatalog:
    return RoleCatalog.from_seeds(library)


def unit_access(library: TemplateLibrary, unit_id: str, policy: str) -> dict:
    """The fixture bundle valid_unit as ``unit_id`` (users renamed for B), linted, then ``access_of``."""
    files = dict(read_folder(FIXTURES / "valid_unit").files)
    files["org.yaml"] = files["org.yaml"].replace(*HEAD_WITH_ROLE)
    files["policy.yaml"] = policy
    if unit_id != A:
        files["unit.yaml"] = files["unit.yaml"].replace(f"id: {A}", f"id: {unit_id}")
        files["org.yaml"] = files["org.yaml"].replace("tb_", "ob_")
    result = lint_source(BundleSource(unit_id, files), library)
    assert result.errors == []
    return access_of(result.resolved.as_json())


@pytest.fixture(scope="module")
def accesses(library: TemplateLibrary) -> dict[str, dict]:
    return {A: unit_access(library, A, A_POLICY), B: unit_access(library, B, B_POLICY)}


def authority(catalog: RoleCatalog, accesses: dict[str, dict], grants=(), **inputs: DomainInput) -> Authority:
    a = Authority(catalog)
    a.load({d: inputs.get(d, DomainInput(acc)) for d, acc in accesses.items()}, list(grants))
    return a


def test_access_of_is_json_safe_and_complete(accesses: dict[str, dict]) -> None:
    acc = accesses[A]
    assert json.loads(json.dumps(acc)) == acc
    assert acc["roles"]["planner"] == [["record:leave_request", "approve"], ["record:leave_request", "read"]]
    assert {"user": "tb_05", "role": "staff"} in acc["assignments"]
    assert {"post": "doc_clerk", "role": "doc_clerk"} in acc["assignments"]  # from the template
    assert acc["posts"]["unit_head"] == {"roles": ["unit_leader"], "a": "tb_01", "b": ["tb_02"], "filing": False}
    assert acc["posts"]["doc_clerk"]["filing"] is True and acc["posts"]["doc_clerk"]["a"] is None


def test_deny_by_default(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses)
    assert a.check("tb_01", A, "record:outgoing_doc", "approve")
    assert not a.check("tb_01", A, "bundle", "update")  # a permission the user lacks
    assert not a.check("nobody", A, "record:outgoing_doc", "read")  # an unknown subject
    assert not a.check("tb_01", A, "record:outgoing_doc", "fly")  # an unknown action
    assert not a.check("tb_01", "no_such_unit", "record:outgoing_doc", "read")  # an unknown domain
    assert not a.check("tb_01", "*", "record:outgoing_doc", "read")
    assert a.roles_of("nobody", A) == []


def test_same_login_in_another_domain_is_denied(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses)
    assert a.check("tb_01", A, "record:outgoing_doc", "read")
    assert not a.check("tb_01", B, "record:outgoing_doc", "read")
    assert a.check("ob_01", B, "record:outgoing_doc", "read")
    assert not a.check("ob_01", A, "record:outgoing_doc", "read")
    assert a.roles_of("tb_01", B) == []


def test_post_role_goes_to_the_a_holder_and_acting_b_holder(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses)
    assert a.check("post:unit_head", A, "stats", "read")
    assert a.check("tb_01", A, "stats", "read")
    assert a.roles_of("tb_01", A) == ["post:unit_head", "unit_leader"]
    assert not a.check("tb_02", A, "stats", "read")  # the B holder gets nothing while A is there
    acting = authority(catalog, accesses, **{A: DomainInput(accesses[A], acting={"unit_head": ["tb_02"]})})
    assert acting.check("tb_02", A, "stats", "read")
    assert acting.roles_of("tb_02", A) == ["post:unit_head", "unit_leader"]


def test_changed_template_role_gets_the_units_own_subject(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses)
    p, _ = a.lines()
    mine = {line for line in p if line[0] == f"{A}/staff"}
    assert mine and all(line[1] == A for line in mine)  # only in A's domain
    assert (f"{A}/planner", A, "record:leave_request", "approve") in p
    assert not any(line[0].startswith(f"{B}/") for line in p)  # B's staff is the template's
    assert a.check("tb_05", A, "stats", "read")  # A's changed staff
    assert not a.check("ob_05", B, "stats", "read")  # B's staff is unchanged
    assert a.check("ob_05", B, "inbox", "read")
    assert a.roles_of("tb_05", A) == a.roles_of("ob_05", B) == ["post:planning_head", "staff"]
    # a user of B given A's subject by name still has nothing in B: the lines are A's
    assert not a.check(f"{A}/staff", B, "stats", "read")


def test_record_wildcard_is_a_second_memoised_lookup(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses)
    assert a.check("tb_05", A, "record:outgoing_doc", "create")  # staff holds record:*
    assert a.memo_size(A) == 2  # the question and its record:* lookup
    assert a.check("tb_05", A, "record:*", "create")
    assert a.memo_size(A) == 2
    assert a.check("tb_04", A, "record:leave_request", "approve")  # planner: exactly that kind
    assert not a.check("tb_04", A, "record:outgoing_doc", "approve")
    assert not a.check("tb_04", A, "record:*", "approve")
    assert not a.check("tb_05", A, "record", "create")  # a bare kind is not record:*


def test_filing_post_holders_come_only_from_filed_appointments(catalog: RoleCatalog,
                                                               accesses: dict[str, dict]) -> None:
    access = json.loads(json.dumps(accesses[A]))
    access["posts"]["doc_clerk"]["a"] = "tb_03"  # named in the bundle: not enough for a filing post
    a = authority(catalog, accesses, **{A: DomainInput(access)})
    assert not a.check("tb_03", A, "record:incoming_doc", "create")
    assert "post:doc_clerk" not in a.roles_of("tb_03", A)
    a.replace_domain(A, DomainInput(access, filed={"doc_clerk": ["tb_03"], "unit_head": ["tb_04"]}))
    assert a.check("tb_03", A, "record:incoming_doc", "create")
    assert a.roles_of("tb_03", A) == ["doc_clerk", "post:doc_clerk", "post:office_director"]
    assert not a.check("tb_04", A, "stats", "read")  # unit_head needs no filing: a filed row is ignored


def test_tokens_hold_one_role_in_their_unit(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses, **{A: DomainInput(accesses[A], tokens=[(7, "planner"), (8, "no_such_role")]),
                                        B: DomainInput(accesses[B], tokens=[(9, "staff")])})
    assert a.check("token:7", A, "record:leave_request", "approve")
    assert not a.check("token:7", A, "record:outgoing_doc", "read")
    assert not a.check("token:7", B, "record:leave_request", "approve")
    assert not any(a.check("token:8", A, o, act) for o in OBJECTS for act in ACTIONS)
    assert a.check("token:9", B, "record:outgoing_doc", "read")
    assert not a.check("token:9", A, "record:outgoing_doc", "read")


def test_replace_domain_forgets_only_that_domains_decisions(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses)
    asked = [("tb_03", A, "record:incoming_doc", "create"), ("tb_01", A, "stats", "read"),
             ("ob_01", B, "stats", "read"), ("ob_03", B, "record:incoming_doc", "create")]
    assert [a.check(*q) for q in asked] == [False, True, True, False]
    size_a, size_b = a.memo_size(A), a.memo_size(B)
    assert size_a >= 2 and size_b >= 2
    a.replace_domain(A, DomainInput(accesses[A], filed={"doc_clerk": ["tb_03"]}))
    assert a.memo_size(A) == 0 and a.memo_size(B) == size_b
    assert [a.check(*q) for q in asked] == [True, True, True, False]
    assert a.memo_size(B) == size_b  # B's answers came from its memo, untouched
    # dropping A's holders takes the right away again
    a.replace_domain(A, DomainInput(accesses[A]))
    assert not a.check("tb_03", A, "record:incoming_doc", "create")


def test_city_auditor_reads_every_domain_and_writes_nowhere(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses, grants=[("ob_01", "city_auditor")])
    assert a.platform_roles_of("ob_01") == {"city_auditor"} and a.platform_roles_of("tb_01") == set()
    for dom in (A, B):
        for obj in ("bundle", "audit", "appointment", "stats"):
            assert a.check("ob_01", dom, obj, "read"), (dom, obj)
        assert "city_auditor" in a.roles_of("ob_01", dom)
    assert a.check("ob_01", PLATFORM_DOMAIN, "unit", "read")
    assert a.check("ob_01", PLATFORM_DOMAIN, "audit", "read")
    assert not a.check("tb_01", A, "audit", "read")  # the unit's own leader holds no audit right
    assert not a.check("ob_01", A, "record:outgoing_doc", "read")  # reads configuration, not documents
    for dom in (A, PLATFORM_DOMAIN):
        for obj in OBJECTS:
            for act in ACTIONS[1:]:
                assert not a.check("ob_01", dom, obj, act), (dom, obj, act)
    a.set_grants([])
    assert not a.check("ob_01", A, "audit", "read") and a.platform_roles_of("ob_01") == set()


def test_platform_admin_manages_units_only_in_the_platform_domain(catalog: RoleCatalog,
                                                                  accesses: dict[str, dict]) -> None:
    a = authority(catalog, accesses, grants=[("tb_02", "platform_admin"), ("tb_02", "no_such_role")])
    for act in ("read", "create", "update", "manage"):
        assert a.check("tb_02", PLATFORM_DOMAIN, "unit", act)
        assert not a.check("tb_02", A, "unit", act) and not a.check("tb_02", B, "unit", act)
    assert a.check("tb_02", PLATFORM_DOMAIN, "platform_grant", "manage")
    assert not a.check("tb_02", B, "platform_grant", "manage")
    assert a.check("tb_02", B, "appointment", "read")
    assert not a.check("tb_02", B, "bundle", "read") and not a.check("tb_02", B, "appointment", "approve")
    assert a.platform_roles_of("tb_02") == {"platform_admin"}
    # nobody else reaches the platform domain, whatever they hold in their unit
    assert not any(a.check("tb_01", PLATFORM_DOMAIN, o, act) for o in OBJECTS for act in ACTIONS)


def test_subjects_that_look_like_roles_get_nothing(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    access = json.loads(json.dumps(accesses[A]))
    access["assignments"] += [{"user": "role:unit_admin", "role": "staff"}, {"user": "unit_admin", "role": "planner"}]
    a = authority(catalog, accesses, grants=[("platform:city_auditor", "city_auditor")], **{A: DomainInput(access)})
    assert not a.check("unit_admin", A, "bundle", "update")  # a login named like a role is just a login
    assert a.check("unit_admin", A, "record:leave_request", "read")
    assert not a.check("role:unit_admin", A, "record:outgoing_doc", "read")
    assert not a.check("city_auditor", A, "audit", "read")


def test_reserved_domains_are_refused(catalog: RoleCatalog, accesses: dict[str, dict]) -> None:
    a = Authority(catalog)
    for bad in (PLATFORM_DOMAIN, "*", "Bad Id"):
        with pytest.raises(ReservedDomain):
            a.load({bad: DomainInput(accesses[A])}, [])
        with pytest.raises(ReservedDomain):
            a.replace_domain(bad, DomainInput(accesses[A]))


def test_templates_that_disagree_get_deterministic_subjects() -> None:
    x, y = frozenset({("inbox", "read")}), frozenset({("inbox", "read"), ("stats", "read")})
    triples = [("tpl_b", "staff", y), ("tpl_a", "staff", x), ("tpl_c", "staff", x)]
    for order in (triples, triples[::-1]):
        cat = RoleCatalog.build(order, platform={})
        assert cat.shared_subject("staff", x) == "role:staff"
        assert cat.shared_subject("staff", y) == "role:staff@tpl_b"
        assert cat.shared_subject("staff", frozenset()) is None
    a = Authority(cat)
    a.load({"u1": DomainInput({"roles": {"staff": [list(t) for t in y]}, "assignments": [{"user": "u1_01",
                                                                                             "role": "staff"}]})}, [])
    assert a.check("u1_01", "u1", "stats", "read") and a.roles_of("u1_01", "u1") == ["staff"]
    assert a.lines()[0] == [("role:staff", "*", "inbox", "read"), ("role:staff@tpl_b", "*", "inbox", "read"),
                            ("role:staff@tpl_b", "*", "stats", "read")]


def test_platform_roles_file(tmp_path: Path) -> None:
    roles = load_platform_roles()
    assert set(roles) == PLATFORM_ROLE_IDS == {"city_auditor", "platform_admin", "city_filer"}
    assert roles["city_auditor"].name == "市信息化部门审计员"
    assert {act for _, act in roles["city_auditor"].permissions} == {"read"}
    assert {o for o, _ in roles["city_auditor"].permissions} == {"bundle", "audit", "appointment", "unit", "stats"}
    assert roles["city_filer"].permissions == {("appointment", "read"), ("appointment", "approve")}
    bad = tmp_path / "policy.yaml"
    bad.write_text("format_version: 1\nroles:\n  - {id: x, name: 某, permissions: [{object: unit, actions: [fly]}]}\n"
                   "assignments: [{user: a, role: x}]\n", encoding="utf-8")
    with pytest.raises(PlatformPolicyInvalid) as err:
        load_platform_roles(bad)
    assert "/roles/0/permissions/0/actions/0" in err.value.zh and "assignments" in err.value.zh


# ---------------------------------------------------------------- from the database

async def small_city(units: int = 3) -> list:
    plan = plan_city(units=units, users=units * 10, exchange_units=1)
    batch = [store.NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await store.create_units(batch, author="demo", message="v1", password_hash="x")
    return plan.units


def appointment(post: str, login: str, state: str = "filed") -> Appointment:
    return Appointment(post=post, appointee=login, flow_version=1, node="file", state=state, submitted_by="admin")


def token(n: int, role: str, expires: datetime | None = None) -> ApiToken:
    return ApiToken(name=f"t{n}", role=role, prefix=f"p{n}", token_hash=f"{n:064d}", created_by="admin",
                    expires_at=expires)


async def test_load_from_db_reads_units_appointments_tokens_and_grants(database) -> None:
    units = await small_city()
    u0, u1 = units[0], units[1]
    clerk, other = u0.users[-1]["login"], u1.users[-1]["login"]
    with tenant_scope(u0.id):
        await appointment("doc_clerk", clerk).save()
        await appointment("sys_admin", u0.users[-2]["login"], state="running").save()
        live, expired, revoked = token(1, "unit_admin"), token(2, "unit_admin"), token(3, "unit_admin")
        expired.expires_at = datetime.now(UTC) - timedelta(days=1)
        revoked.revoked_at = datetime.now(UTC)
        for t in (live, expired, revoked):
            await t.save()
    await PlatformGrant.create(login=other, role="city_auditor", granted_by="admin")
    await policy_changed(u1.id)
    last = await PolicyChange.all().order_by("-id").first()
    a = await load_from_db()
    assert a.change_seen == last.id
    assert sorted(a.domains) == sorted(u.id for u in units)
    assert a.check(clerk, u0.id, "record:incoming_doc", "create")  # filed appointment
    assert not a.check(u0.users[-2]["login"], u0.id, "bundle", "update")  # still running: nothing yet
    assert a.check(f"token:{live.id}", u0.id, "bundle", "update")
    assert not a.check(f"token:{expired.id}", u0.id, "bundle", "read")
    assert not a.check(f"token:{revoked.id}", u0.id, "bundle", "read")
    assert a.check(other, u0.id, "audit", "read") and a.platform_roles_of(other) == {"city_auditor"}
    head = next(p["a_holder"] for p in u1.org["posts"] if p["id"] == "unit_head")
    assert a.check(head, u1.id, "record:outgoing_doc", "approve") and not a.check(head, u0.id, "stats", "read")
    assert await refresh(a) == 0


async def test_domain_input_prefers_unit_access(database) -> None:
    units = await small_city(units=2)
    from rbac.authority import domain_input

    derived = await domain_input(units[0].id)
    assert derived.access["posts"]["unit_head"]["roles"] == ["unit_leader"]
    with platform_scope():
        await Unit.filter(id=units[0].id).update(access={"roles": {}, "assignments": [], "posts": {}})
    assert (await domain_input(units[0].id)).access == {"roles": {}, "assignments": [], "posts": {}}


async def test_policy_changed_and_refresh_replace_exactly_those_domains(database) -> None:
    units = await small_city()
    u0, u1 = units[0], units[1]
    clerk, auditor = u0.users[-1]["login"], u1.users[-1]["login"]
    a = await load_from_db()
    head1 = next(p["a_holder"] for p in u1.org["posts"] if p["id"] == "unit_head")
    assert a.check(head1, u1.id, "stats", "read") and not a.check(clerk, u0.id, "record:incoming_doc", "create")
    size_u1 = a.memo_size(u1.id)
    with tenant_scope(u0.id):
        async with in_transaction():
            await appointment("doc_clerk", clerk).save()
            await policy_changed(u0.id)
    assert await refresh(a) == 1
    assert a.check(clerk, u0.id, "record:incoming_doc", "create")
    assert a.memo_size(u1.id) == size_u1  # another unit's decisions were kept
    assert await refresh(a) == 0
    # a change rolled back with its transaction is never seen
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await PlatformGrant.create(login=auditor, role="city_auditor", granted_by="admin")
            await policy_changed("*")
            raise RuntimeError("abort")
    assert await refresh(a) == 0 and not a.check(auditor, u0.id, "audit", "read")
    async with in_transaction():
        await PlatformGrant.create(login=auditor, role="city_auditor", granted_by="admin")
        await policy_changed("*")
    assert await refresh(a) == 1
    assert a.check(auditor, u0.id, "audit", "read") and a.memo_size(u1.id) == 0  # grants reach every domain
    with pytest.raises(ValueError):
        await policy_changed("platform")


async def test_refresh_waits_for_a_change_committed_out_of_order(database) -> None:
    units = await small_city(units=2)
    u0 = units[0]
    clerk = u0.users[-1]["login"]
    a = await load_from_db()
    seen = a.change_seen
    # id seen+2 commits first; id seen+1 (the appointment's) only afterwards, as two PostgreSQL
    # transactions may do
    await PolicyChange.create(id=seen + 2, domain=units[1].id)
    assert await refresh(a) == 1 and a.change_seen == seen + 2
    with tenant_scope(u0.id):
        await appointment("doc_clerk", clerk).save()
    await PolicyChange.create(id=seen + 1, domain=u0.id)
    assert await refresh(a) == 1
    assert a.check(clerk, u0.id, "record:incoming_doc", "create")
    assert await refresh(a) == 0


async def test_an_expired_token_loses_its_rights_on_refresh(database) -> None:
    units = await small_city(units=2)
    u0 = units[0]
    with tenant_scope(u0.id):
        t = token(1, "unit_admin", expires=datetime.now(UTC) + timedelta(seconds=1.5))
        await t.save()
    a = await load_from_db()
    assert a.check(f"token:{t.id}", u0.id, "bundle", "read")
    assert a.expired_domains(datetime.now(UTC) + timedelta(seconds=2)) == [u0.id]
    await asyncio.sleep(1.6)
    assert await refresh(a) == 1
    assert not a.check(f"token:{t.id}", u0.id, "bundle", "read")
    assert a.expired_domains(datetime.now(UTC) + timedelta(days=1)) == []


def test_every_member_holds_the_members_role_in_their_own_unit_only(catalog: RoleCatalog,
                                                                   accesses: dict[str, dict]) -> None:
    """The template gives ``staff`` to ``{members: true}``: asked as a member, anybody of the unit has it."""
    assert {"members": True, "role": "staff"} in accesses[A]["assignments"]
    a = authority(catalog, accesses)
    assert not a.check("tb_09", A, "inbox", "read")  # not asked as a member: no role of its own
    assert a.check("tb_09", A, "inbox", "read", member=True)
    assert a.check("tb_09", A, "record:leave_request", "create", member=True)  # staff's record:* in A's policy
    assert not a.check("tb_09", A, "bundle", "read", member=True)  # staff may not read the configuration
    assert "staff" in a.roles_of("tb_09", A, member=True) and a.roles_of("tb_09", A) == []
    # membership is the caller's statement about the asker's own unit; another unit's members role is not
    assert a.check("ob_09", B, "inbox", "read", member=True) and not a.check("ob_09", B, "inbox", "read")
