"""The seed 发文 and 收文 flows end to end through the HTTP API, as the people of a demo unit.

发文: a return to the drafter, a withdraw, a 会签 of three leaders with an added signer, a transfer,
and an A-absent case (the absence register approved first) where the B holder acts for A.
收文: signing for, registration, review, proposal, instruction, then handling in parallel with
circulation, completion.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import httpx
from flowtools import People, doc_data, people_of
from webtools import Web, sign_in

from tenants import audit
from tenants.models import AuditEvent
from tenants.scope import tenant_scope


class Person:
    """One signed-in user of the unit, speaking the JSON API."""

    def __init__(self, web: Web, unit: str, login: str) -> None:
        self.web, self.unit, self.login = web, unit, login
        self.client: httpx.AsyncClient | None = None
        self.csrf = ""

    async def __aenter__(self) -> Person:
        self.client = self.web.client()
        await self.client.__aenter__()
        self.csrf = await sign_in(self.client, self.login)
        return self

    async def __aexit__(self, *exc: Any) -> None:
        assert self.client is not None
        await self.client.__aexit__(*exc)

    async def get(self, path: str, status: int = 200) -> Any:
        assert self.client is not None
        r = await self.client.get(f"/api/units/{self.unit}{path}")
        assert r.status_code == status, (path, r.status_code, r.text[:800])
        return r.json()

    async def post(self, path: str, body: dict[str, Any] | None = None, status: int = 200) -> Any:
        assert self.client is not None
        r = await self.client.post(f"/api/units/{self.unit}{path}", json=body or {}, headers={"X-CSRF-Token": self.csrf})
        assert r.status_code == status, (path, r.status_code, r.text[:800])
        return r.json()

    async def todo(self) -> list[dict[str, Any]]:
        return (await self.get("/tasks?box=todo"))["items"]

    async def only_task(self, node: str) -> dict[str, Any]:
        found = [t for t in await self.todo() if t["node"] == node and t["assignee"] == self.login]
        assert len(found) == 1, (self.login, node, await self.todo())
        return found[0]

    async def act(self, node: str, action: str, status: int = 200, **body: Any) -> Any:
        task = await self.only_task(node)
        return await self.post(f"/tasks/{task['id']}/{action}", body, status)


def _drafter(p: People) -> str:
    """Someone outside the general office, so the department review is not the office director's."""
    busy = set(p.leaders) | {x.get("a_holder") for x in p.org["posts"]} | {b for x in p.org["posts"] for b in x.get("b_holders") or []}
    return next(u.login for u in sorted(p.users.values(), key=lambda u: u.login)
                if u.department and u.department != "office" and u.login not in busy)


async def test_outgoing_doc_through_the_api(flow_web: Web) -> None:
    p = await people_of()
    drafter = _drafter(p)
    director, director_b = p.a("office_director"), p.b("office_director")
    head, deputies = p.a("unit_head"), [x for x in p.leaders if x != p.a("unit_head")]
    helper = p.staff(n=1) if p.staff(n=1) != drafter else p.staff(n=2)

    # the office director is away: the absence register, approved by the unit head, puts it in force
    today = date.today()
    async with Person(flow_web, p.unit, director) as d, Person(flow_web, p.unit, head) as h:
        rec = await d.post("/forms/absence/records", {"data": {"person": director, "kind": "出差", "start": today.isoformat(),
                                                              "end": (today + timedelta(days=3)).isoformat(),
                                                              "handover": "公文复核由 B 角代办"}}, 201)
        started = await d.post(f"/forms/absence/records/{rec['id']}/start", {}, 201)
        assert started["instance"]["state"] == "running"
        await h.act("approve", "approve", opinion="同意")
        assert (await h.get(f"/instances/{started['instance']['id']}"))["instance"]["state"] == "completed"

    async with Person(flow_web, p.unit, drafter) as dr:
        rec = await dr.post("/forms/outgoing_doc/records", {"data": doc_data("关于做好年底安全生产工作的通知")}, 201)
        started = await dr.post(f"/forms/outgoing_doc/records/{rec['id']}/start", {"opinion": "请审核"}, 201)
        inst = started["instance"]["id"]
        dept_head = p.dept_head(drafter)

        async with Person(flow_web, p.unit, dept_head) as dh:
            # approve, then withdraw before any leader has acted: the leaders' tasks disappear
            await dh.act("dept_review", "approve", opinion="同意")
            done = (await dh.get("/tasks?box=done"))["items"]
            mine = next(t for t in done if t["instance"] == inst and t["node"] == "dept_review")
            await dh.post(f"/tasks/{mine['id']}/withdraw")
            await dh.act("dept_review", "approve", opinion="修改后同意")

        leaders = {x: Person(flow_web, p.unit, x) for x in p.leaders}
        for person in leaders.values():
            await person.__aenter__()
        try:
            # 会签 of three leaders; the first returns it to the drafter with a reason
            assert sorted(t["assignee"] for t in (await dr.get(f"/instances/{inst}"))["steps"]
                          if t["node"] == "countersign" and t["state"] == "open") == sorted(p.leaders)
            no_reason = await leaders[head].act("countersign", "return_to", 422, target="draft")
            assert "理由" in no_reason["error"]["zh"]
            await leaders[head].act("countersign", "return_to", target="draft", opinion="标题不准确，请修改")
            assert all(t["node"] != "countersign" for t in await leaders[deputies[0]].todo())
            assert (await dr.get(f"/forms/outgoing_doc/records/{rec['id']}"))["status"] == "returned"
            await dr.act("draft", "submit", data={"title": "关于做好2026年底安全生产工作的通知"}, opinion="已修改")
            async with Person(flow_web, p.unit, dept_head) as dh:
                await dh.act("dept_review", "approve", opinion="同意")

            # second round: a leader adds a signer; everyone approves; the node passes once
            await leaders[deputies[0]].act("countersign", "add_signer", signers=[helper])
            async with Person(flow_web, p.unit, helper) as hp:
                await hp.act("countersign", "approve", opinion="会签同意")
            for login in p.leaders:
                await leaders[login].act("countersign", "approve", opinion="同意")
            # 签发: the unit head transfers it to a deputy, who signs it off
            await leaders[head].act("sign_off", "transfer", to=deputies[0], opinion="请代为签发")
            await leaders[deputies[0]].act("sign_off", "approve", opinion="签发", data={"signer": deputies[0]})
        finally:
            for person in leaders.values():
                await person.__aexit__(None, None, None)

        # 复核: the office director is away, so the B holder gets it and acts for the director
        async with Person(flow_web, p.unit, director_b) as b:
            task = await b.only_task("recheck")
            assert task["acting_for"] == director
            await b.act("recheck", "approve", opinion="复核无误")
        async with Person(flow_web, p.unit, director) as d:
            assert all(t["node"] != "recheck" for t in await d.todo())
        clerk = p.filed("doc_clerk")
        async with Person(flow_web, p.unit, clerk) as c:
            await c.act("register", "approve", opinion="已登记")
            await c.act("dispatch", "approve", opinion="已核发")

        progress = await dr.get(f"/instances/{inst}")
        assert progress["instance"]["state"] == "completed"
        steps = [(s["node"], s["outcome"]) for s in progress["steps"]]
        assert ("countersign", "returned") in steps and ("draft", "submitted") in steps
        assert ("dept_review", "withdrawn") in steps and ("sign_off", "transferred") in steps
        recheck = next(s for s in progress["steps"] if s["node"] == "recheck" and s["outcome"] == "approved")
        assert (recheck["assignee"], recheck["acting_for"]) == (director_b, director)
        final = await dr.get(f"/forms/outgoing_doc/records/{rec['id']}")
        assert final["status"] == "completed"
        assert final["serial"] and final["data"]["doc_number"] == final["serial"]  # numbered when 登记 passed

    with tenant_scope(p.unit):
        acted = await AuditEvent.filter(action="approve", acting_for=director).values_list("actor", flat=True)
    assert list(acted) == [director_b]
    assert (await audit.verify(p.unit)).ok


async def test_incoming_doc_through_the_api(flow_web: Web) -> None:
    p = await people_of()
    clerk, director, head = p.filed("doc_clerk"), p.a("office_director"), p.a("unit_head")
    handler, readers = p.staff(n=0), [p.staff(n=1), p.staff(n=2)]
    async with Person(flow_web, p.unit, clerk) as c:
        rec = await c.post("/forms/incoming_doc/records", {"data": {
            "sender_unit": "新余市人民政府办公室", "title": "关于做好冬季防火工作的通知", "urgency": "无",
            "item_kind": "办件", "classification": "非涉密"}}, 201)
        started = await c.post(f"/forms/incoming_doc/records/{rec['id']}/start", {}, 201)
        inst = started["instance"]["id"]
        await c.act("register", "approve", opinion="已登记", data={"copies": 2})
    async with Person(flow_web, p.unit, director) as d:
        await d.act("initial_review", "approve", opinion="请拟办")
        await d.act("propose", "approve", opinion="拟请分管领导阅处", data={"proposal": "请批示"})
    async with Person(flow_web, p.unit, head) as h:
        missing = await h.act("instruct", "approve", 409, opinion="请办理")  # nobody named to handle it yet
        assert "handler_user" in missing["error"]["zh"] or "承办" in missing["error"]["zh"]
        await h.act("instruct", "approve", opinion="请抓紧办理",
                    data={"instructions": "按要求落实", "handler_user": handler, "circulate_to": readers})
    for login in readers:
        async with Person(flow_web, p.unit, login) as r:
            [item] = [t for t in (await r.get("/tasks?box=circulate"))["items"] if t["instance"] == inst]
            await r.post(f"/tasks/{item['id']}/read")
    async with Person(flow_web, p.unit, handler) as hd:
        await hd.act("handle", "approve", opinion="已落实", data={"result": "已部署检查"})
    async with Person(flow_web, p.unit, clerk) as c:
        await c.act("complete", "approve", opinion="办结归档")
        progress = await c.get(f"/instances/{inst}")
    assert progress["instance"]["state"] == "completed"
    assert [s["outcome"] for s in progress["steps"] if s["node"] == "circulate"] == ["read", "read"]
