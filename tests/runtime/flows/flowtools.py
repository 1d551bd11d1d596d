"""Helpers for the flow tests: form data for the seed forms, open tasks of an instance."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tenants.models import Appointment, BundleVersion, Task, Unit, User
from tenants.scope import tenant_scope


def doc_data(title: str, **extra: Any) -> dict[str, Any]:
    """Valid data for the seed 发文 form (outgoing_doc)."""
    return {"doc_type": "通知", "title": title, "main_recipients": ["各科室"], "classification": "非涉密",
            "urgency": "无", "body": "正文。", **extra}


async def open_tasks(unit: str, instance_id: int) -> list[Task]:
    with tenant_scope(unit):
        return list(await Task.filter(instance_id=instance_id, state="open", blocking=True).order_by("id"))


@dataclass
class People:
    """Who holds what in one unit of the demo city."""

    unit: str
    org: dict[str, Any]
    users: dict[str, User]

    def post(self, post_id: str) -> dict[str, Any]:
        return next(p for p in self.org["posts"] if p["id"] == post_id)

    def a(self, post_id: str) -> str:
        return self.post(post_id)["a_holder"]

    def b(self, post_id: str) -> str:
        return self.post(post_id)["b_holders"][0]

    filings: dict[str, str] | None = None

    def filed(self, post_id: str) -> str:
        """The filed (备案) A holder of a post that needs filing."""
        assert self.filings is not None and post_id in self.filings, self.filings
        return self.filings[post_id]

    def dept_head(self, login: str) -> str:
        """The A holder of the head post of ``login``'s department."""
        dept = next(d for d in self.org["departments"] if d["id"] == self.users[login].department)
        return self.a(dept["head_post"])

    @property
    def leaders(self) -> list[str]:
        return [ld["user"] for ld in self.org["leaders"]]

    def in_department(self, dept: str) -> list[str]:
        return [u.login for u in self.users.values() if u.department == dept]

    def staff(self, dept: str | None = None, n: int = 0) -> str:
        """The n-th person (of ``dept`` when given) who holds no post and leads nothing."""
        busy = set(self.leaders) | {p.get("a_holder") for p in self.org["posts"]} | \
            {b for p in self.org["posts"] for b in p.get("b_holders") or []}
        pool = sorted(u.login for u in self.users.values() if u.department and (dept is None or u.department == dept))
        return [x for x in pool if x not in busy][n]


async def people_of(unit: str | None = None) -> People:
    """The org of ``unit`` (the first unit with three leaders when None) as published."""
    for u in await Unit.all().order_by("id"):
        if unit is not None and u.id != unit:
            continue
        with tenant_scope(u.id):
            v = await BundleVersion.filter().order_by("-number").first()
            users = {x.login: x for x in await User.all()}
        if v is None:
            continue
        org = (v.resolved or {}).get("org") or {}
        if unit is not None or len(org.get("leaders") or []) >= 3:
            with tenant_scope(u.id):
                rows = await Appointment.filter(state="filed").values_list("post", "appointee", "data")
            filings = {post: who for post, who, data in rows if (data or {}).get("holder", "A") == "A"}
            return People(u.id, org, users, filings)
    raise AssertionError("no unit with three leaders in the demo city")
