"""The demo city: Xinyu's real districts, townships and departments at the platform's real scale.

``plan_city`` is pure and deterministic (a seeded RNG): it picks units from
``seeds/demo/xinyu.yaml`` in a fixed priority order (the city, the district governments, then
departments and townships of every district in turn), fills up from the pool of typical county
bodies when more units are asked for than the real lists hold, spreads the users over the units
by the size of each kind of unit, and writes each unit's ``unit.yaml`` and ``org.yaml`` — posts
with A and B holders, departments with members, leaders — extending the seed templates.
Posts that need filing (系统管理员, 收发文员) get no holders in ``org.yaml``: the plan lists them as
``appointments`` instead, which ``banwen init`` records as already filed. The city's information
office (市委网信办) provides the platform people: auditor, filing officer, platform administrator.
Counts are parameters; 375 units and 8,165 users are the defaults because they are Xinyu's.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tenants.errors import BanwenError
from tenants.paths import DEMO_DIR, TEMPLATES_DIR
from tenants.yamlio import dump_yaml

DEFAULT_UNITS = 375
DEFAULT_USERS = 8165
DEFAULT_EXCHANGE_UNITS = 269
MIN_USERS_PER_UNIT = 6
TEMPLATES = ["gov_documents"]

# The unit that holds the platform roles when it is in the plan (市委网信办), else the first unit.
INFO_OFFICE = "xinyu_wxb"
PLATFORM_PEOPLE = (("city_auditor", "市信息化部门审计员"), ("city_filer", "市信息化部门备案员"),
                   ("platform_admin", "平台管理员"))
FILING_POST_LABELS = (("sys_admin", "系统管理员"), ("doc_clerk", "收发文员"))

# Relative head-count of each kind of unit (a city department is larger than a township office).
WEIGHTS = {"city_core": 60, "city_dept": 30, "district_core": 40, "district_dept": 16, "township": 18, "pool": 12}
LEADER_TITLES = {"党委": "书记", "政府": "市长", "管委会": "主任", "部门": "局长", "乡镇": "镇长", "街道": "主任"}


@dataclass
class UnitPlan:
    id: str
    name: str
    short_name: str | None
    level: str
    category: str
    parent: str | None
    office_code: str
    group: str
    exchange_unit: bool = False
    users: list[dict[str, Any]] = field(default_factory=list)
    org: dict[str, Any] = field(default_factory=dict)
    appointments: list[tuple[str, str]] = field(default_factory=list)  # (post, login): filed A holders

    def unit_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {"format_version": 1, "kind": "unit", "id": self.id, "name": self.name}
        if self.short_name:
            doc["short_name"] = self.short_name
        doc.update({"level": self.level, "category": self.category, "parent": self.parent,
                    "office_code": self.office_code, "exchange_unit": self.exchange_unit,
                    "extends": list(TEMPLATES)})
        return doc

    def files(self) -> dict[str, str]:
        head = f"# {self.name}：演示数据，由 banwen init --demo 生成。\n"
        return {"unit.yaml": head + dump_yaml(self.unit_doc()), "org.yaml": head + dump_yaml(self.org)}


@dataclass
class CityPlan:
    units: list[UnitPlan]
    info_office: str = ""
    platform_grants: list[tuple[str, str]] = field(default_factory=list)  # (login, platform role)

    @property
    def user_count(self) -> int:
        return sum(len(u.users) for u in self.units)


def load_data(path: Path | None = None) -> dict[str, Any]:
    return YAML(typ="safe").load((path or DEMO_DIR / "xinyu.yaml").read_text(encoding="utf-8"))


def _real_units(data: dict[str, Any]) -> list[UnitPlan]:
    city = data["city"]
    core: list[UnitPlan] = []
    groups: list[list[UnitPlan]] = []
    parents = {}
    for key, cat in (("party_committee", "党委"), ("government", "政府")):
        u = city.get(key)
        if u:
            parents[key] = u["id"]
            core.append(UnitPlan(u["id"], u["name"], None, "市", cat, None, u["office_code"], "city_core"))
    groups.append([
        UnitPlan(d["id"], d["name"], d.get("short"), "市", "部门", parents.get(d.get("parent", "government")),
                 d["office_code"], "city_dept")
        for d in city.get("departments", [])
    ])
    for dist in data.get("districts", []):
        gov = dist["government"]
        cat = "管委会" if gov.get("kind") == "管委会" else "政府"
        core.append(UnitPlan(gov["id"], gov["name"], dist["name"], "县区", cat, parents.get("government"),
                             gov["office_code"], "district_core"))
        groups.append([
            UnitPlan(d["id"], d["name"], d.get("short"), "县区", "部门", gov["id"], d["office_code"], "district_dept")
            for d in dist.get("departments", [])
        ])
        groups.append([
            UnitPlan(t["id"], t["name"], None, "乡镇", "街道" if t.get("kind") == "街道" else "乡镇", gov["id"],
                     t.get("office_code") or t["name"][:2], "township")
            for t in dist.get("townships", [])
        ])
    # interleave the groups so that any prefix of the list mixes levels and districts
    mixed = [u for batch in itertools.zip_longest(*groups) for u in batch if u is not None]
    return core + mixed


def _pool_units(data: dict[str, Any], existing: set[str]) -> list[UnitPlan]:
    out = []
    for i, (template, dist) in enumerate(itertools.product(data.get("extra_department_pool", []),
                                                           data.get("districts", []))):
        gov = dist["government"]
        name = template.format(district=dist["name"])
        uid = f"{dist['id']}_x{i:03d}"
        if uid in existing:
            continue
        out.append(UnitPlan(uid, name, None, "县区", "部门", gov["id"],
                            f"{gov['office_code'][:1]}{name[len(dist['name']):][:2]}", "pool"))
    towns = [t for dist in data.get("districts", []) for t in dist.get("townships", [])]
    for i, (template, town) in enumerate(itertools.product(data.get("township_unit_pool", []), towns)):
        uid = f"{town['id']}_x{i:03d}"
        if uid not in existing:
            out.append(UnitPlan(uid, template.format(township=town["name"]), None, "乡镇", "部门", town["id"],
                                town["name"][:2], "pool"))
    return out


def plan_city(units: int = DEFAULT_UNITS, users: int = DEFAULT_USERS,
              exchange_units: int | None = None, seed: int = 2026,
              data: dict[str, Any] | None = None) -> CityPlan:
    """Choose ``units`` units and ``users`` users, deterministically for a given ``seed``.

    ``exchange_units`` defaults to Xinyu's share (269 of 375) of the units asked for.
    """
    if exchange_units is None:
        exchange_units = round(units * DEFAULT_EXCHANGE_UNITS / DEFAULT_UNITS)
    if units < 1:
        raise BanwenError("单位数至少为 1。", "At least one unit is needed.")
    if users < units * MIN_USERS_PER_UNIT:
        raise BanwenError(
            f"用户数 {users} 太少：{units} 个单位每个至少需要 {MIN_USERS_PER_UNIT} 人（共 {units * MIN_USERS_PER_UNIT}）。",
            f"{users} users are too few: {units} units need at least {MIN_USERS_PER_UNIT} each "
            f"({units * MIN_USERS_PER_UNIT}).",
        )
    if not 0 <= exchange_units <= units:
        raise BanwenError("公文交换单位数应在 0 与单位数之间。", "Exchange units must be between 0 and the unit count.")
    data = data or load_data()
    chosen = _real_units(data)
    if len(chosen) < units:
        chosen += _pool_units(data, {u.id for u in chosen})
    if len(chosen) < units:
        raise BanwenError(
            f"演示数据最多能生成 {len(chosen)} 个单位，不能生成 {units} 个。",
            f"The demo data can make at most {len(chosen)} units, not {units}.",
        )
    chosen = chosen[:units]
    kept = {u.id for u in chosen}
    for u in chosen:  # a truncated list may have dropped a parent: attach to the nearest kept one
        if u.parent and u.parent not in kept:
            u.parent = chosen[0].id if u.id != chosen[0].id else None
    for i, u in enumerate(chosen):
        u.exchange_unit = i < exchange_units

    rng = random.Random(seed)
    counts = _spread(users, [WEIGHTS[u.group] for u in chosen])
    surnames = [s for s, _ in data["names"]["surnames"]]
    weights = [w for _, w in data["names"]["surnames"]]
    given = data["names"]["given_chars"]
    for u, n in zip(chosen, counts, strict=True):
        people = []
        for k in range(1, n + 1):
            name = rng.choices(surnames, weights)[0] + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))
            people.append({"login": f"{u.id}_{k:02d}", "name": name})
        u.users = people
        u.org = _org_for(u, data, rng)
    office = next((u for u in chosen if u.id == INFO_OFFICE), chosen[0])
    return CityPlan(chosen, office.id, _platform_people(office))


def _platform_people(office: UnitPlan) -> list[tuple[str, str]]:
    """One person of the information office per platform role, not its leaders or appointees."""
    busy = {office.org["head"], *(login for _, login in office.appointments),
            *(leader["user"] for leader in office.org["leaders"])}
    logins = [p["login"] for p in office.users]
    order = [x for x in reversed(logins) if x not in busy] + [x for x in reversed(logins) if x in busy]
    return [(order[i % len(order)], role) for i, (role, _) in enumerate(PLATFORM_PEOPLE)]


def _spread(total: int, weights: list[int]) -> list[int]:
    """Split ``total`` by ``weights`` (largest remainder), at least MIN_USERS_PER_UNIT each."""
    spare = total - MIN_USERS_PER_UNIT * len(weights)
    wsum = sum(weights)
    raw = [spare * w / wsum for w in weights]
    base = [int(r) for r in raw]
    order = sorted(range(len(weights)), key=lambda i: raw[i] - base[i], reverse=True)
    for i in order[: spare - sum(base)]:
        base[i] += 1
    return [MIN_USERS_PER_UNIT + b for b in base]


def _org_for(u: UnitPlan, data: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    """Departments with members, template posts with A/B holders, leaders, the designated head."""
    people = [p["login"] for p in u.users]
    township = u.category in ("乡镇", "街道")
    names = list(data.get("township_departments" if township else "unit_departments", []))
    n_depts = max(1, min(len(names), len(people) // 5))
    depts = [{"id": "office", "name": names[0] if township and names else "办公室"}]
    others = [n for n in names if n != depts[0]["name"]]
    for i, name in enumerate(others[: n_depts - 1]):
        depts.append({"id": f"dept_{i + 1:02d}", "name": name})
    # leaders are the first 1–3 people; the rest are spread over the departments
    n_leaders = 1 + min(2, len(people) // 10)
    leaders, staff = people[:n_leaders], people[n_leaders:]
    members: dict[str, list[str]] = {d["id"]: [] for d in depts}
    dept_ids = [d["id"] for d in depts]
    for i, login in enumerate(staff):
        members[dept_ids[i % len(dept_ids)]].append(login)
    for d in depts:
        d["members"] = members[d["id"]]
    for p in u.users:
        p["department"] = next((d for d, m in members.items() if p["login"] in m), None)
    office = members["office"] or staff
    pick = itertools.cycle(office)

    def holders(a: str) -> dict[str, Any]:
        b = next(pick)
        if b == a and len(office) > 1:
            b = next(pick)
        return {"a_holder": a, "b_holders": [b] if b != a else []}

    # a unit's post replaces the template's post of the same id, so carry the template's
    # definition (name, department, roles) and add the holders; a post that needs filing keeps the
    # template's definition and its A holder becomes an appointment instead
    tpl = template_posts()
    posts = [{**tpl["unit_head"], **holders(leaders[0])}]
    if len(leaders) > 1:
        posts[0]["b_holders"] = [leaders[1]]
    deputy = leaders[1] if len(leaders) > 1 else leaders[0]
    posts.append({**tpl["deputy_head"], "a_holder": deputy, "b_holders": [leaders[0]] if deputy != leaders[0] else []})
    # further deputies get posts of their own (the template has one deputy post), so that a 会签 of
    # the unit's leaders reaches every one of them
    for i, login in enumerate(leaders[2:], start=2):
        posts.append({"id": f"deputy_head_{i}", "name": f"分管领导（{i}）", "name_en": f"Deputy head ({i})",
                      "roles": ["unit_leader"], "a_holder": login, "b_holders": [leaders[0]]})
    u.appointments = []
    for post_id in ("office_director", "doc_clerk", "sys_admin", "reviewer", "archivist", "supervisor", "info_officer"):
        held = holders(next(pick))
        if tpl[post_id].get("filing"):
            u.appointments.append((post_id, held["a_holder"]))
        else:
            posts.append({**tpl[post_id], **held})
    title = LEADER_TITLES.get(u.category, "主任")
    if u.level == "县区" and u.category == "政府":
        title = "区长" if "区" in u.name[-6:] else "县长"
    if u.category == "乡镇" and u.name.endswith("乡"):
        title = "乡长"
    leader_rows = [{"user": leaders[0], "title": title, "in_charge_of": ["office"]}]
    for i, login in enumerate(leaders[1:], start=1):
        leader_rows.append({"user": login, "title": f"副{title}",
                            "in_charge_of": [d for j, d in enumerate(dept_ids) if j % (len(leaders) - 1 or 1) == i - 1]})
    for d in depts:
        d["head_post"] = "office_director" if d["id"] == "office" else "deputy_head"
    return {"format_version": 1, "departments": depts, "posts": posts, "leaders": leader_rows, "head": leaders[0]}


def template_posts() -> dict[str, dict[str, Any]]:
    """The posts of the base template by id (without holders), as the demo units redefine them."""
    org = YAML(typ="safe").load((TEMPLATES_DIR / "gov_base" / "org.yaml").read_text(encoding="utf-8"))
    return {p["id"]: p for p in org["posts"]}


def demo_logins(plan: CityPlan) -> list[tuple[str, str, str]]:
    """A few logins worth trying: (login, who, unit), then the platform people."""
    out = []
    for u in plan.units[:1] + [x for x in plan.units if x.category == "部门"][:1] + \
            [x for x in plan.units if x.level == "乡镇"][:1]:
        posts = {p["id"]: p for p in u.org["posts"]}
        out.append((posts["unit_head"]["a_holder"], "单位主要负责人", u.name))
        appointed = dict(u.appointments)
        out += [(appointed[post_id], label, u.name) for post_id, label in FILING_POST_LABELS if post_id in appointed]
    office = next((u for u in plan.units if u.id == plan.info_office), None)
    labels = dict(PLATFORM_PEOPLE)
    for login, role in plan.platform_grants:
        out.append((login, labels.get(role, role), office.name if office else plan.info_office))
    return out
