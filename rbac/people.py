"""Who does a task: handler specs resolved to people, with A/B posts (AB岗), absences and delegations.

The rules (DESIGN §4 "Tasks", issue 6 item 4):

- A task addressed to a **post** goes to its A holder. While A is away (an approved absence in
  force), it goes to the substitute named in the absence, else the first B holder who is not away;
  the assignee acts *for* A (``acting_for``). A and every B away → the unit's designated head
  (``org.yaml`` ``head``), still for A. A post with no A holder goes to its first B holder.
- A task for a **person** (a named user, a user picked in a form field, the drafter, a role
  holder, a leader in charge) goes to that person; while they are away, to their absence's
  substitute, for them.
- A **delegation** (委托) in force hands the person's tasks — of one post, or all — to the delegate,
  for the person.

``Facts`` holds what these rules read (the version's org and access, filed appointments, absences
and delegations in force, the drafter's department); ``load_facts`` reads them in one go and
``resolve`` is pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from tortoise.timezone import localtime

from tenants.errors import BanwenError
from tenants.models import Absence, Appointment, Delegation, User
from tenants.scope import tenant_scope


class NoHandler(BanwenError):
    """Nobody can be found to handle a node: the action is refused and nothing is written."""

    status = 409
    exit_code = 3


@dataclass(frozen=True)
class Assignment:
    """One task's assignee, the post it was addressed to, and whom the assignee acts for."""

    login: str
    post: str | None = None
    acting_for: str | None = None


@dataclass
class Facts:
    org: Mapping[str, Any]
    access: Mapping[str, Any]
    filed: Mapping[str, list[str]] = field(default_factory=dict)
    away: Mapping[str, str | None] = field(default_factory=dict)  # login -> substitute (or None)
    delegations: list[tuple[str, str | None, str]] = field(default_factory=list)  # (login, post|None, to)
    departments: Mapping[str, str | None] = field(default_factory=dict)  # login -> department id
    active: set[str] = field(default_factory=set)  # logins of active users of the unit

    # --- posts --------------------------------------------------------------------------------

    def post(self, post_id: str) -> Mapping[str, Any]:
        for p in self.org.get("posts") or []:
            if p.get("id") == post_id:
                return p
        raise NoHandler(f"岗位 “{post_id}” 不存在。", f"Post '{post_id}' does not exist.")

    def holders(self, post_id: str) -> tuple[str | None, list[str]]:
        """(A holder, B holders) of a post; a post that needs filing takes A from filed appointments."""
        p = self.post(post_id)
        a = (self.filed.get(post_id) or [None])[0] if p.get("filing") else p.get("a_holder")
        return a, [b for b in p.get("b_holders") or [] if b != a]

    def is_away(self, login: str) -> bool:
        return login in self.away

    def _delegate(self, login: str, post: str | None) -> str | None:
        for who, p, to in self.delegations:
            if who == login and (p is None or p == post) and to != login:
                return to
        return None

    def for_post(self, post_id: str) -> Assignment:
        a, bs = self.holders(post_id)
        if a is None:
            for b in bs:
                if not self.is_away(b):
                    return self._delegated(Assignment(b, post_id))
            raise NoHandler(f"岗位 “{self.post(post_id).get('name', post_id)}” 没有 A 角，B 角也都不在岗。",
                            f"Post '{post_id}' has no A holder and no B holder is available.")
        if not self.is_away(a):
            return self._delegated(Assignment(a, post_id))
        substitute = self.away.get(a)
        candidates = ([substitute] if substitute else []) + bs
        for s in candidates:
            if s and s != a and not self.is_away(s) and (not self.active or s in self.active):
                return Assignment(s, post_id, a)
        head = self.org.get("head")
        if head and head != a:
            return Assignment(head, post_id, a)
        raise NoHandler(f"岗位 “{self.post(post_id).get('name', post_id)}” 的 A 角、B 角都不在岗，且未指定负责人（org.yaml head）。",
                        f"Post '{post_id}': its A and B holders are all away and no designated head is set (org.yaml head).")

    def _delegated(self, a: Assignment) -> Assignment:
        to = self._delegate(a.login, a.post)
        return Assignment(to, a.post, a.login) if to else a

    def for_person(self, login: str) -> Assignment:
        if self.is_away(login) and self.away.get(login) and not self.is_away(self.away[login] or ""):
            return Assignment(self.away[login] or login, None, login)
        return self._delegated(Assignment(login))

    # --- roles, departments, leaders ------------------------------------------------------------

    def role_posts(self, role: str) -> list[str]:
        out = [pid for pid, p in (self.access.get("posts") or {}).items() if role in (p.get("roles") or [])]
        out += [a["post"] for a in self.access.get("assignments") or [] if a.get("role") == role and a.get("post")]
        return list(dict.fromkeys(out))

    def role_users(self, role: str) -> list[str]:
        return [a["user"] for a in self.access.get("assignments") or [] if a.get("role") == role and a.get("user")]

    def dept_head(self, login: str) -> Assignment:
        dept_id = self.departments.get(login)
        depts = {d.get("id"): d for d in self.org.get("departments") or []}
        seen: set[str] = set()
        while dept_id and dept_id not in seen:
            seen.add(dept_id)
            d = depts.get(dept_id) or {}
            if d.get("head_post"):
                return self.for_post(d["head_post"])
            dept_id = d.get("parent")
        raise NoHandler(f"无法确定 {login} 所在部门的负责人（部门未设 head_post）。",
                        f"Cannot find the head of {login}'s department (no head_post is set).")

    def leaders_in_charge(self, login: str) -> list[Assignment]:
        dept_id = self.departments.get(login)
        found = [ld["user"] for ld in self.org.get("leaders") or [] if dept_id and dept_id in (ld.get("in_charge_of") or [])]
        if not found:
            raise NoHandler(f"没有找到分管 {login} 所在部门（{dept_id or '无部门'}）的领导。",
                            f"No leader is in charge of {login}'s department ({dept_id or 'none'}).")
        return [self.for_person(x) for x in found]


def resolve(facts: Facts, handlers: Iterable[Mapping[str, Any]], *, drafter: str,
            data: Mapping[str, Any]) -> list[Assignment]:
    """The people a node's handler specs name, once each, in the order written."""
    out: list[Assignment] = []
    for h in handlers:
        kind, ref = h.get("kind"), h.get("ref")
        if kind == "post":
            out.append(facts.for_post(str(ref)))
        elif kind == "user":
            out.append(facts.for_person(str(ref)))
        elif kind == "field":
            value = data.get(str(ref))
            logins = value if isinstance(value, list) else [value] if value else []
            if not logins:
                raise NoHandler(f"表单字段 “{ref}” 没有填写办理人。", f"Form field '{ref}' names no handler.")
            out += [facts.for_person(str(x)) for x in logins]
        elif kind == "drafter":
            out.append(facts.for_person(drafter))
        elif kind == "drafter_dept_head":
            out.append(facts.dept_head(drafter))
        elif kind == "leader_in_charge":
            out += facts.leaders_in_charge(drafter)
        elif kind == "role":
            found = [facts.for_post(p) for p in facts.role_posts(str(ref)) if _held(facts, p)]
            found += [facts.for_person(u) for u in facts.role_users(str(ref))]
            if not found:
                raise NoHandler(f"没有人担任角色 “{ref}”。", f"Nobody holds the role '{ref}'.")
            out += found
        else:
            raise NoHandler(f"不认识的办理人类型 “{kind}”。", f"Unknown handler kind '{kind}'.")
    unique: dict[str, Assignment] = {}
    for a in out:
        unique.setdefault(a.login, a)
    if not unique:
        raise NoHandler("没有找到办理人。", "No handler was found.")
    return list(unique.values())


def _held(facts: Facts, post_id: str) -> bool:
    try:
        a, bs = facts.holders(post_id)
    except NoHandler:
        return False
    return bool(a or bs)


async def load_facts(unit_id: str, resolved: Mapping[str, Any], access: Mapping[str, Any], now: datetime,
                     logins: Iterable[str] = ()) -> Facts:
    """The facts for ``unit_id`` at ``now``: absences and delegations in force, filed holders, departments."""
    at = localtime(now)
    with tenant_scope(unit_id):
        absences = await Absence.filter(state="active", start_at__lte=at, end_at__gte=at).values_list("login", "substitute")
        dels = await Delegation.filter(revoked_at=None, start_at__lte=at, end_at__gte=at).order_by("id") \
            .values_list("login", "post", "to_login")
        filed_rows = await Appointment.filter(state="filed").order_by("id").values_list("post", "appointee", "data")
        users = await User.filter(is_active=True).values_list("login", "department")
    filed: dict[str, list[str]] = {}
    for post, appointee, data in filed_rows:
        if (data or {}).get("holder", "A") == "A" and appointee not in filed.setdefault(post, []):
            filed[post].append(appointee)
    return Facts(org=resolved.get("org") or {}, access=access, filed=filed,
                 away={login: sub for login, sub in absences},
                 delegations=[(a, b, c) for a, b, c in dels],
                 departments={login: dept for login, dept in users},
                 active={login for login, _ in users})
