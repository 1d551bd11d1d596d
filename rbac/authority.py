"""Who may do what: one Casbin enforcer for all units, a decision memo, and its upkeep from the database.

``Authority`` holds every unit's lines (rbac/access.py) in one ``casbin.FastEnforcer`` indexed
on (domain, object), with template roles written once for all units (research/deps.md §1:
~12k lines, ~100 µs per ``enforce()``) and a memo of decisions per domain in front of it, so a
repeated question costs a dict lookup. A unit's change replaces that unit's lines and forgets
that unit's decisions only; a platform grant changes every domain and forgets everything.

Every process keeps its own ``Authority``. Writers record a ``PolicyChange`` row in their own
transaction (``policy_changed``); before deciding, a process applies the rows it has not seen
(``refresh``). ``check`` is synchronous and CPU-bound (STYLE §2.7); ``Authority`` is not
thread-safe (pycasbin's index filter is shared state): use it from the event loop's thread.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Any

import casbin
from casbin.model import fast_policy_filter
from casbin.persist.adapter import Adapter
from casbin.util import key_match
from tortoise.expressions import Q
from tortoise.timezone import localtime

from rbac.access import (
    ALL_DOMAINS,
    MEMBERS,
    MODEL_PATH,
    PLATFORM_DOMAIN,
    DomainInput,
    Line,
    RoleCatalog,
    access_of,
    domain_lines,
    role_id_of,
)
from tenants.errors import BanwenError, NotFound
from tenants.models import ApiToken, Appointment, BundleVersion, PlatformGrant, PolicyChange, Unit
from tenants.scope import platform_scope, tenant_scope

UNIT_ID = re.compile(r"^[a-z][a-z0-9_]{0,63}$")  # common.schema.json#/$defs/id
# p = sub, dom, obj, act: candidate lines are looked up by (dom, obj), once with dom "*" (the shared
# roles) and once with the asked unit (its own roles). research/deps.md measured (obj, act), which
# makes every unit's own lines for that object candidates in every unit: with 375 units that
# changed one role, an allowed question took 1.2 ms instead of 0.12 ms (docs/performance.md).
INDEX = [1, 2]
MEMO_LIMIT = 50_000  # decisions kept per domain; past it the domain's memo starts afresh
GAP_WAIT = 300.0  # seconds a missing PolicyChange id is still expected (a transaction not yet committed)
GAP_SPAN = 1_000  # only ids this close to the newest are waited for


class ReservedDomain(BanwenError):
    def __init__(self, domain: str) -> None:
        super().__init__(f"“{domain}” 不能作为单位标识：它是保留的权限域或格式不对。",
                         f"'{domain}' cannot be a unit's id: it is a reserved permission domain or malformed.")


class _Lines(Adapter):
    """Hands pre-built lines to Casbin at construction: one pass, no per-line duplicate scan."""

    def __init__(self, p: Iterable[Line], g: Iterable[Line]) -> None:
        self._p, self._g = p, g

    def load_policy(self, model: casbin.Model) -> None:
        policy_p = model.model["p"]["p"].policy
        for line in self._p:
            policy_p.append(list(line))
        policy_g = model.model["g"]["g"].policy
        for line in self._g:
            policy_g.append(list(line))


class Authority:
    """Every unit's permissions and the platform grants, answering ``check`` from a memo or Casbin."""

    def __init__(self, catalog: RoleCatalog | None = None) -> None:
        self.catalog = catalog if catalog is not None else RoleCatalog.from_seeds()
        self.change_seen = 0
        self._domains: dict[str, tuple[list[Line], list[Line]]] = {}
        self._grants: list[Line] = []
        self._platform: dict[str, set[str]] = {}
        self._expiry: dict[str, datetime] = {}
        self._memo: dict[str, dict[tuple[str, str, str], bool]] = {}
        self._objects: dict[str, set[str]] = {}  # domain of p lines ("*", "platform", a unit) -> objects
        self._gaps: dict[int, float] = {}  # PolicyChange ids skipped by a refresh, with a give-up time
        self._enforcer = self._build()

    # ------------------------------------------------------------ building

    def _build(self) -> casbin.FastEnforcer:
        p = self.catalog.p_lines() + [line for lines, _ in self._domains.values() for line in lines]
        g = self._grants + [line for _, lines in self._domains.values() for line in lines]
        self._objects = {}
        for _, dom, obj, _ in p:
            self._objects.setdefault(dom, set()).add(obj)
        e = casbin.FastEnforcer(str(MODEL_PATH), _Lines(p, g), cache_key_order=INDEX)
        e.set_adapter(None)  # the lines live in bundles and tables, not in Casbin's storage
        e.add_named_domain_matching_func("g", key_match)  # a "*" grant applies in every domain
        return e

    @staticmethod
    def _check_domain(domain: str) -> None:
        if domain in (PLATFORM_DOMAIN, ALL_DOMAINS) or not isinstance(domain, str) or not UNIT_ID.match(domain):
            raise ReservedDomain(str(domain))

    def load(self, domains: Mapping[str, DomainInput], grants: Iterable[tuple[str, str]]) -> None:
        """Replace everything at once: every unit's lines and the platform grants (start-up)."""
        for d in domains:
            self._check_domain(d)
        self._domains = {d: domain_lines(d, inp, self.catalog) for d, inp in domains.items()}
        self._expiry = {d: inp.expires_at for d, inp in domains.items() if inp.expires_at is not None}
        self._set_grant_state(grants)
        self._enforcer = self._build()
        self._memo.clear()

    def replace_domain(self, domain: str, inp: DomainInput) -> None:
        """Drop the unit's lines, add its new ones, and forget the unit's decisions (no one else's)."""
        self._check_domain(domain)
        new_p, new_g = domain_lines(domain, inp, self.catalog)
        old_p, old_g = self._domains.get(domain, ([], []))
        e = self._enforcer
        # Each step reports whether Casbin did exactly that (add_policies adds nothing if one line
        # exists already); should one not, the enforcer is rebuilt from the lines we hold.
        done = (not old_p or e.remove_policies([list(line) for line in old_p])) \
            and (not old_g or len(e.remove_filtered_grouping_policy(2, domain)) == len(old_g)) \
            and (not new_p or e.add_policies([list(line) for line in new_p])) \
            and (not new_g or e.add_grouping_policies([list(line) for line in new_g]))
        self._domains[domain] = (new_p, new_g)
        self._objects[domain] = {line[2] for line in new_p}
        if not done:
            self._enforcer = self._build()
            self._memo.clear()
        if inp.expires_at is not None:
            self._expiry[domain] = inp.expires_at
        else:
            self._expiry.pop(domain, None)
        self._memo.pop(domain, None)

    def drop_domain(self, domain: str) -> None:
        """Forget a unit entirely (it no longer exists): every check in it is denied."""
        if domain in self._domains:
            self.replace_domain(domain, DomainInput({}))
            del self._domains[domain]
            self._objects.pop(domain, None)

    def set_grants(self, grants: Iterable[tuple[str, str]]) -> None:
        """Replace the platform grants (login, role); they reach every domain, so all decisions go."""
        old = self._grants
        self._set_grant_state(grants)
        e = self._enforcer
        done = (not old or len(e.remove_filtered_grouping_policy(2, ALL_DOMAINS)) == len(old)) \
            and (not self._grants or e.add_grouping_policies([list(line) for line in self._grants]))
        if not done:
            self._enforcer = self._build()
        self._memo.clear()

    def _set_grant_state(self, grants: Iterable[tuple[str, str]]) -> None:
        self._grants = self.catalog.grant_lines(grants)
        self._platform = {}
        for login, subject, _ in self._grants:
            self._platform.setdefault(login, set()).add(role_id_of(subject) or subject)

    # ------------------------------------------------------------ asking

    @property
    def domains(self) -> list[str]:
        return sorted(self._domains)

    def check(self, sub: str, dom: str, obj: str, act: str, *, member: bool = False) -> bool:
        """May ``sub`` (a login, ``post:<id>`` or ``token:<id>``) do ``act`` on ``obj`` in unit ``dom``?

        Deny by default: an unknown unit, subject or permission is False. ``record:outgoing_doc``
        is also allowed by a ``record:*`` permission (a second, separately memoised question).
        ``member`` says ``sub`` is a person of ``dom`` (the caller knows: the signed-in user's own
        unit), so the roles a policy gives to every member (``{members: true}``) count too.
        """
        if member and sub != MEMBERS and self.check(MEMBERS, dom, obj, act):
            return True
        memo = self._memo.get(dom)
        if memo is None:
            if dom not in self._domains and dom != PLATFORM_DOMAIN:
                return False
            memo = self._memo[dom] = {}
        key = (sub, obj, act)
        allowed = memo.get(key)
        if allowed is not None:
            return allowed
        if not (isinstance(sub, str) and isinstance(obj, str) and isinstance(act, str)):
            return False
        allowed = self._enforce(sub, dom, obj, act)
        if not allowed:
            kind, colon, name = obj.partition(":")
            if colon and name != "*":
                allowed = self.check(sub, dom, f"{kind}:*", act)
        if len(memo) >= MEMO_LIMIT:
            memo.clear()
        memo[key] = allowed
        return allowed

    def decide(self, sub: str, dom: str, obj: str, act: str) -> bool:
        """``check`` without the memo: what Casbin says now (benchmarks, explaining a decision)."""
        if dom not in self._domains and dom != PLATFORM_DOMAIN:
            return False
        if self._enforce(sub, dom, obj, act):
            return True
        kind, colon, name = obj.partition(":")
        return bool(colon) and name != "*" and self._enforce(sub, dom, f"{kind}:*", act)

    def _enforce(self, sub: str, dom: str, obj: str, act: str) -> bool:
        """Casbin over the candidate lines only: the shared ones for ``obj``, then the unit's own.

        This is ``FastEnforcer.enforce`` with our own index keys (INDEX); no candidate, no call.
        """
        e = self._enforcer
        policy = e.model.model["p"]["p"].policy
        for key in (ALL_DOMAINS, dom):
            if obj in self._objects.get(key, ()):
                with fast_policy_filter(policy, key, obj):
                    if e.enforce_ex(sub, dom, obj, act)[0]:
                        return True
        return False

    def memo_size(self, dom: str) -> int:
        """How many decisions are remembered for ``dom`` (tests and diagnostics)."""
        return len(self._memo.get(dom, ()))

    def roles_of(self, sub: str, dom: str, *, member: bool = False) -> list[str]:
        """The posts (``post:<id>``) and role ids ``sub`` holds in ``dom``, directly or through a post
        (and, for a ``member`` of ``dom``, the roles every member holds)."""
        if dom not in self._domains and dom != PLATFORM_DOMAIN:
            return []
        out = []
        names = list(self._enforcer.get_implicit_roles_for_user(sub, dom))
        if member:
            names += self._enforcer.get_implicit_roles_for_user(MEMBERS, dom)
        for name in names:
            shown = name if name.startswith("post:") else role_id_of(name)
            if shown and shown not in out:
                out.append(shown)
        return sorted(out)

    def platform_roles_of(self, login: str) -> set[str]:
        """The platform roles granted to ``login`` (city_auditor, platform_admin, city_filer)."""
        return set(self._platform.get(login, ()))

    def expired_domains(self, now: datetime) -> list[str]:
        """Units holding an API token whose expiry has passed since their lines were built."""
        return sorted(d for d, at in self._expiry.items() if at <= now)

    def lines(self) -> tuple[list[Line], list[Line]]:
        """Every (p, g) line, as Casbin holds them: for a plain enforcer in the benchmark, or a look."""
        p = self.catalog.p_lines() + [line for lines, _ in self._domains.values() for line in lines]
        g = self._grants + [line for _, lines in self._domains.values() for line in lines]
        return p, g


# ---------------------------------------------------------------- the database side

def _now() -> datetime:
    return datetime.now(UTC)


def _live_tokens() -> Q:
    # In the database's own time zone: SQLite compares the stored text ("…+08:00"), so a UTC
    # parameter would be eight hours off.
    return Q(revoked_at=None) & (Q(expires_at=None) | Q(expires_at__gt=localtime(_now())))


def _filed(rows: Iterable[tuple[str, str, Any]]) -> dict[str, list[str]]:
    """A holders of filed appointments by post. A filed B holder acts for the post only while its A
    holder is away (the absence register, flow-engine issue), so it is not a holder here."""
    out: dict[str, list[str]] = {}
    for post, appointee, data in rows:
        if (data or {}).get("holder", "A") != "A":
            continue
        if appointee not in out.setdefault(post, []):
            out[post].append(appointee)
    return out


async def domain_input(unit_id: str) -> DomainInput:
    """What decides permissions in ``unit_id`` now: its access facts, filed appointments, live tokens."""
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound(f"单位 “{unit_id}” 不存在。", f"Unit '{unit_id}' does not exist.")
    with tenant_scope(unit_id):
        access = unit.access
        if access is None:  # published before Unit.access existed: derive it from the newest version
            v = await BundleVersion.filter().order_by("-number").first()
            access = access_of(v.resolved if v is not None else {})
        filed = await Appointment.filter(state="filed").order_by("id").values_list("post", "appointee", "data")
        tokens = await ApiToken.filter(_live_tokens()).order_by("id").values_list("id", "role", "expires_at")
    expiries = [t[2] for t in tokens if t[2] is not None]
    return DomainInput(access, _filed(filed), [(t[0], t[1]) for t in tokens],
                       expires_at=min(expiries) if expiries else None)


async def load_from_db() -> Authority:
    """An ``Authority`` with every unit and grant, in a few bulk queries (start-up of a process).

    ``change_seen`` is read first: a change committed while loading is applied again by the next
    ``refresh`` rather than lost.
    """
    authority = Authority()
    with platform_scope():
        last = await PolicyChange.all().order_by("-id").first()
        units = await Unit.all().values_list("id", "access")
        missing = [uid for uid, access in units if access is None]
        resolved: dict[str, dict] = {}
        if missing:  # only the newest version's (large) resolved document is fetched
            newest: dict[str, tuple[int, int]] = {}
            for tid, number, vid in await BundleVersion.filter(tenant_id__in=missing).values_list(
                    "tenant_id", "number", "id"):
                newest[tid] = max(newest.get(tid, (0, 0)), (number, vid))
            ids = [vid for _, vid in newest.values()]
            for tid, res in await BundleVersion.filter(id__in=ids).values_list("tenant_id", "resolved"):
                resolved[tid] = res
        filed_rows = await Appointment.filter(state="filed").order_by("id").values_list("tenant_id", "post",
                                                                                         "appointee", "data")
        token_rows = await ApiToken.filter(_live_tokens()).order_by("id").values_list("tenant_id", "id", "role",
                                                                                       "expires_at")
        grants = await PlatformGrant.all().order_by("id").values_list("login", "role")
    filed: dict[str, list[tuple[str, str, Any]]] = {}
    for tid, post, appointee, data in filed_rows:
        filed.setdefault(tid, []).append((post, appointee, data))
    tokens: dict[str, list[tuple[int, str, datetime | None]]] = {}
    for tid, token_id, role, expires in token_rows:
        tokens.setdefault(tid, []).append((token_id, role, expires))
    domains = {}
    for uid, access in units:
        if access is None:
            access = access_of(resolved.get(uid) or {})
        mine = tokens.get(uid, [])
        expiries = [t[2] for t in mine if t[2] is not None]
        domains[uid] = DomainInput(access, _filed(filed.get(uid, [])), [(t[0], t[1]) for t in mine],
                                   expires_at=min(expiries) if expiries else None)
    authority.load(domains, grants)
    authority.change_seen = last.id if last is not None else 0
    return authority


async def refresh(authority: Authority) -> int:
    """Apply the policy changes this process has not seen; returns how many domains were replaced.

    Ids are handed out when a row is inserted but become visible when its transaction commits, so
    on PostgreSQL id 7 may appear after id 8 was read. An id skipped over is asked for again until
    it shows up or ``GAP_WAIT`` passes (a rolled-back insert never shows up).
    """
    seen = authority.change_seen
    now = time.monotonic()
    authority._gaps = {i: until for i, until in authority._gaps.items() if until > now}
    query = Q(id__gt=seen)
    if authority._gaps:
        query |= Q(id__in=list(authority._gaps))
    rows = await PolicyChange.filter(query).order_by("id").values_list("id", "domain")
    expired = authority.expired_domains(_now())
    if not rows and not expired:
        return 0
    for change_id, _ in rows:
        authority._gaps.pop(change_id, None)
    newest = max([seen, *(r[0] for r in rows)])
    present = {r[0] for r in rows}
    for missing in range(max(seen + 1, newest - GAP_SPAN), newest):
        if missing not in present:
            authority._gaps[missing] = now + GAP_WAIT
    domains = {d for _, d in rows} | set(expired)
    if ALL_DOMAINS in domains:
        grants = await PlatformGrant.all().order_by("id").values_list("login", "role")
        authority.set_grants(grants)
    for d in sorted(domains - {ALL_DOMAINS}):
        try:
            authority.replace_domain(d, await domain_input(d))
        except NotFound:
            authority.drop_domain(d)
    authority.change_seen = newest
    return len(domains)


async def policy_changed(domain: str) -> None:
    """Record that ``domain``'s permissions changed (``*``: the platform grants).

    Await it inside the transaction that made the change (publish, appointment filed, token issued
    or revoked, grant changed): the change and its notice commit together or not at all.
    """
    if not isinstance(domain, str) or domain == PLATFORM_DOMAIN or not (domain == ALL_DOMAINS or UNIT_ID.match(domain)):
        raise ValueError(f"policy_changed needs a unit id or '*', not {domain!r}")
    await PolicyChange.create(domain=domain)
