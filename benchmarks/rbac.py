"""Permissions at demo scale (375 units, 8,165 users): ``Authority`` against a plain ``casbin.Enforcer``.

The city comes from ``tenants.demo.plan_city()``; bundles are resolved once, untimed. Four kinds
of question are asked: allowed in the user's own unit, denied there, the same allowed question
in another unit, and the city auditor reading any unit. Each is timed through ``check`` with its
memo warm, through ``decide`` (Casbin every time, our (dom, obj) index), and through
a plain ``casbin.Enforcer`` holding the same lines (DESIGN §5 targets: p50 ≤ 5 µs memoised,
≤ 200 µs not, load < 0.5 s).

Run alone with ``python -m benchmarks.rbac``; ``make bench`` runs it after the others.
"""

from __future__ import annotations

import random
import statistics
import time
from collections.abc import Callable

import casbin
from casbin.util import key_match

from rbac.access import MODEL_PATH, PLATFORM_DOMAIN, DomainInput, RoleCatalog, access_of
from rbac.authority import Authority
from tenants.bundle import BundleSource, parse_bundle
from tenants.demo import CityPlan, plan_city
from tenants.lint import TemplateLibrary
from tenants.resolve import resolve

Request = tuple[str, str, str, str]
TARGET_MEMO_US, TARGET_CASBIN_US, TARGET_LOAD_S = 5.0, 200.0, 0.5


def city_inputs(plan: CityPlan) -> tuple[dict[str, DomainInput], list[tuple[str, str]], RoleCatalog]:
    """Every unit's DomainInput (filed appointments as ``init --demo`` records them) and the grants."""
    library = TemplateLibrary()
    domains = {}
    for u in plan.units:
        resolved, errors = resolve(parse_bundle(BundleSource(u.id, u.files())), library)
        if errors:
            raise RuntimeError(f"{u.id}: {errors[0].en}")
        filed: dict[str, list[str]] = {}
        for post, login in getattr(u, "appointments", []):
            filed.setdefault(post, []).append(login)
        domains[u.id] = DomainInput(access_of(resolved.as_json()), filed)
    grants = list(getattr(plan, "platform_grants", []))
    return domains, grants, RoleCatalog.from_seeds(library)


def requests(plan: CityPlan, grants: list[tuple[str, str]], n: int = 400, seed: int = 7) -> dict[str, list[Request]]:
    """``n`` questions of each kind, drawn at random (seeded) over the whole city."""
    rng = random.Random(seed)
    heads = [(u.id, next(p["a_holder"] for p in u.org["posts"] if p["id"] == "unit_head")) for u in plan.units]
    ids = [u.id for u in plan.units]
    auditors = [login for login, role in grants if role == "city_auditor"] or ["nobody"]
    objs = ["record:outgoing_doc", "record:incoming_doc", "stats"]
    out: dict[str, list[Request]] = {"allowed": [], "denied": [], "cross-domain": [], "auditor": []}
    for _ in range(n):
        unit, head = rng.choice(heads)
        obj = rng.choice(objs)
        out["allowed"].append((head, unit, obj, "read"))
        out["denied"].append((head, unit, rng.choice(["bundle", "user", "audit"]), rng.choice(["update", "read"])))
        out["cross-domain"].append((head, rng.choice([i for i in ids[:50] if i != unit]), obj, "read"))
        out["auditor"].append((rng.choice(auditors), rng.choice([*ids, PLATFORM_DOMAIN]),
                               rng.choice(["audit", "bundle", "stats"]), "read"))
    return out


def timed(fn: Callable[[Request], bool], reqs: list[Request], rounds: int = 3) -> list[float]:
    """Microseconds per call, best of ``rounds`` for each request."""
    best = [float("inf")] * len(reqs)
    for _ in range(rounds):
        for i, r in enumerate(reqs):
            start = time.perf_counter_ns()
            fn(r)
            best[i] = min(best[i], (time.perf_counter_ns() - start) / 1000)
    return best


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1] if len(values) > 1 else values[0]


def plain_enforcer(authority: Authority, index: list[int] | None = None) -> casbin.Enforcer:
    """The same model and lines in pycasbin's ordinary enforcer (no index), or in a ``FastEnforcer``
    with its own (one-lookup) ``index``: the baselines."""
    e = casbin.FastEnforcer(str(MODEL_PATH), cache_key_order=index) if index else casbin.Enforcer(str(MODEL_PATH))
    p, g = authority.lines()
    e.add_policies([list(x) for x in p])
    rm = e.get_role_manager()
    rm.add_domain_matching_func(key_match)
    # add_grouping_policies scans the whole list for duplicates per line; these lines are unique
    e.model.model["g"]["g"].policy.extend(list(x) for x in g)
    e.build_role_links()
    return e


def two_step(e: casbin.Enforcer) -> Callable[[Request], bool]:
    """The ``decide`` rule (the exact object, then ``kind:*``) on a bare enforcer."""

    def decide(r: Request) -> bool:
        if e.enforce(*r):
            return True
        kind, colon, name = r[2].partition(":")
        return bool(colon) and name != "*" and e.enforce(r[0], r[1], f"{kind}:*", r[3])

    return decide


def customised(domains: dict[str, DomainInput]) -> dict[str, DomainInput]:
    """Every unit changes the template role unit_leader (one more permission): 375 own subjects."""
    out = {}
    for d, inp in domains.items():
        access = dict(inp.access)
        roles = dict(access["roles"])
        roles["unit_leader"] = sorted([*roles["unit_leader"], ["stats", "export"]])
        out[d] = DomainInput({**access, "roles": roles}, inp.filed)
    return out


def bench_customised(domains: dict[str, DomainInput], grants: list[tuple[str, str]], catalog: RoleCatalog,
                     reqs: list[Request], figures: dict[str, float]) -> None:
    """Allowed questions when every unit has its own version of a role: our index against one lookup."""
    authority = Authority(catalog)
    authority.load(customised(domains), grants)
    by_obj_act = two_step(plain_enforcer(authority, [2, 3]))
    plain = two_step(plain_enforcer(authority))
    expected = [authority.decide(*r) for r in reqs]
    assert [by_obj_act(r) for r in reqs] == expected and [plain(r) for r in reqs[:50]] == expected[:50]
    ours = pct(timed(lambda r: authority.decide(*r), reqs), 50)
    fast = pct(timed(by_obj_act, reqs), 50)
    slow = pct(timed(plain, reqs[:50], rounds=1), 50)
    figures.update({"custom_ours_p50": ours, "custom_obj_act_p50": fast, "custom_plain_p50": slow})
    print(f"  every unit changed a role ({len(authority.lines()[0]):,} p lines), allowed p50: ours (dom, obj) "
          f"{ours:.0f} µs; FastEnforcer (obj, act) {fast:.0f} µs ({fast / ours:.1f}×); plain {slow:.0f} µs "
          f"({slow / ours:.1f}×)")


def bench_rbac(plan: CityPlan | None = None) -> dict[str, float]:
    """Print the figures; returns them by name (for docs/performance.md)."""
    plan = plan or plan_city()
    domains, grants, catalog = city_inputs(plan)
    loads = []
    for _ in range(3):
        start = time.perf_counter()
        authority = Authority(catalog)
        authority.load(domains, grants)
        loads.append(time.perf_counter() - start)
    p_lines, g_lines = authority.lines()
    load = min(loads)
    figures = {"load_s": load, "p_lines": len(p_lines), "g_lines": len(g_lines)}
    print(f"permissions: {len(domains)} units, {plan.user_count:,} users, {len(p_lines):,} p + {len(g_lines):,} g "
          f"lines; load {load * 1000:.0f} ms (target < {TARGET_LOAD_S * 1000:.0f} ms: "
          f"{'met' if load < TARGET_LOAD_S else 'NOT met'})")

    asked = requests(plan, grants)
    cold = Authority(catalog)
    cold.load(domains, grants)
    firsts = list({r[1]: r for r in asked["allowed"]}.values())[:100]  # one question per unit
    start = time.perf_counter_ns()
    for r in firsts:
        cold.decide(*r)
    figures["first_in_domain_us"] = (time.perf_counter_ns() - start) / 1000 / len(firsts)
    plain_decide = two_step(plain_enforcer(authority))

    print(f"  {'question':<14}{'memo p50':>10}{'p99':>8}{'casbin p50':>12}{'p99':>8}"
          f"{'plain p50':>11}{'p99':>9}{'plain/casbin':>14}{'casbin/memo':>13}")
    worst_memo = worst_casbin = 0.0
    for kind, reqs in asked.items():
        expected = [authority.decide(*r) for r in reqs]
        assert [plain_decide(r) for r in reqs] == expected, kind
        assert [authority.check(*r) for r in reqs] == expected, kind  # also warms the memo
        memo = timed(lambda r: authority.check(*r), reqs)
        fast = timed(lambda r: authority.decide(*r), reqs)
        slow = timed(plain_decide, reqs[:100], rounds=1)
        m50, f50, s50 = pct(memo, 50), pct(fast, 50), pct(slow, 50)
        worst_memo, worst_casbin = max(worst_memo, m50), max(worst_casbin, f50)
        figures.update({f"{kind}_memo_p50": m50, f"{kind}_casbin_p50": f50, f"{kind}_plain_p50": s50,
                        f"{kind}_memo_p99": pct(memo, 99), f"{kind}_casbin_p99": pct(fast, 99),
                        f"{kind}_plain_p99": pct(slow, 99), f"{kind}_allowed_share": sum(expected) / len(expected)})
        print(f"  {kind:<14}{m50:>8.1f}µs{pct(memo, 99):>6.1f}µs{f50:>10.0f}µs{pct(fast, 99):>6.0f}µs"
              f"{s50:>9.0f}µs{pct(slow, 99):>7.0f}µs{s50 / f50:>13.1f}×{f50 / m50:>12.0f}×")
    print(f"  targets: memoised p50 ≤ {TARGET_MEMO_US:.0f} µs {'met' if worst_memo <= TARGET_MEMO_US else 'NOT met'}"
          f" (worst {worst_memo:.1f}); not memoised p50 ≤ {TARGET_CASBIN_US:.0f} µs "
          f"{'met' if worst_casbin <= TARGET_CASBIN_US else 'NOT met'} (worst {worst_casbin:.0f}); "
          f"first question in a unit (role graph built) {figures['first_in_domain_us']:.0f} µs")

    ids = list(domains)[:50]
    start = time.perf_counter()
    for d in ids:
        authority.replace_domain(d, domains[d])
    figures["replace_domain_ms"] = (time.perf_counter() - start) * 1000 / len(ids)
    start = time.perf_counter()
    authority.set_grants(grants)
    figures["set_grants_ms"] = (time.perf_counter() - start) * 1000
    print(f"  replace one unit's lines {figures['replace_domain_ms']:.1f} ms; replace the platform grants "
          f"{figures['set_grants_ms']:.1f} ms")
    bench_customised(domains, grants, catalog, asked["allowed"], figures)
    return figures


if __name__ == "__main__":
    bench_rbac()
