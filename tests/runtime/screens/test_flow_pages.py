"""The flow screens over HTTP on the demo city's 发文 flow (seeds/templates/gov_documents/flows/outgoing_doc.yaml).

A drafter saves a 发文稿纸 and submits it from the record page; the department head finds it in
待办 with a light, opens the task page — 发文字号 (hidden at 部门审核) is not in the page at all, 标题
and 正文 are inputs, 文种 is only shown — approves with an opinion, and the progress page shows who
acted and with what opinion. A second submission of the same task is refused with who handled it
(409); a return without a reason and an approval that empties a required field come back with the
message at the right place (422), in Chinese and in English; notifications are listed and marked read.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from webtools import Web, open_web, sign_in

from runtime import records
from runtime.cli import cli
from runtime.screens.i18n import MESSAGES
from runtime.settings import Settings
from tenants.models import BundleVersion, FlowInstance, Notification, Task, Unit, User
from tenants.scope import platform_scope, tenant_scope

# two units of 30 people each: departments with heads and staff who hold no post (tests/runtime/flows uses the same)
CITY = ["init", "--demo", "--units", "2", "--users", "60", "--exchange-units", "1"]
FILLED = {"doc_type": "通知", "classification": "非涉密", "urgency": "无", "title": "关于开展秋季消防安全检查的通知",
          "main_recipients": "各科室", "body": "请各科室于本周内完成自查。"}


@pytest.fixture
def city(cli_env: dict[str, str], settings: Settings) -> Settings:
    result = CliRunner().invoke(cli, CITY, env=cli_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return settings


@pytest.fixture
async def web(city: Settings) -> AsyncIterator[Web]:
    async with open_web(city) as w:
        yield w


async def _cast() -> tuple[str, str, str, dict[str, str]]:
    """(unit, drafter, the drafter's department head, names): a drafter outside the office holding no post."""
    with platform_scope():
        unit = (await Unit.all().order_by("id").first()).id  # type: ignore[union-attr]
    with tenant_scope(unit):
        org = ((await BundleVersion.filter().order_by("-number").first()).resolved or {})["org"]  # type: ignore[union-attr]
        users = {u.login: u for u in await User.all()}
    posts = {p["id"]: p for p in org["posts"]}
    busy = {ld["user"] for ld in org["leaders"]} | {p.get("a_holder") for p in posts.values()} | \
        {b for p in posts.values() for b in p.get("b_holders") or []}
    heads = {d["id"]: posts[d["head_post"]]["a_holder"] for d in org["departments"] if d.get("head_post") in posts}
    drafter = next(u.login for u in sorted(users.values(), key=lambda u: u.login)
                   if u.department in heads and u.department != "office" and u.login not in busy)
    return unit, drafter, heads[users[drafter].department], {k: u.name for k, u in users.items()}


class Browser:
    """One signed-in person with a cookie jar, posting the pages' forms."""

    def __init__(self, client: httpx.AsyncClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf

    async def get(self, url: str, status: int = 200) -> str:
        r = await self.client.get(url)
        assert r.status_code == status, (url, r.status_code, r.text[:1500])
        return r.text

    async def post(self, url: str, data: dict[str, Any], status: int = 303) -> httpx.Response:
        r = await self.client.post(url, data={**data, "csrf_token": self.csrf})
        assert r.status_code == status, (url, r.status_code, r.text[:1500])
        return r


async def _person(web: Web, login: str) -> Browser:
    client = web.client()
    return Browser(client, await sign_in(client, login))


async def _draft_and_submit(web: Web, unit: str, drafter: str, title: str) -> tuple[Browser, int, int]:
    """The drafter saves a 发文稿纸 and presses 提交办理 on its record page: (their browser, record, instance)."""
    me = await _person(web, drafter)
    saved = await me.post(f"/units/{unit}/forms/outgoing_doc/new", {**FILLED, "title": title})
    view = await me.get(saved.headers["location"])
    rid = int(re.search(r"/records/(\d+)", saved.headers["location"]).group(1))  # type: ignore[union-attr]
    submit = f"/units/{unit}/forms/outgoing_doc/records/{rid}/submit"
    assert f'action="{submit}"' in view and "提交办理" in view
    started = await me.post(submit, {})
    location = started.headers["location"]
    assert re.fullmatch(rf"/units/{unit}/instances/\d+\?ok=started", location), location
    return me, rid, int(re.search(r"/instances/(\d+)", location).group(1))  # type: ignore[union-attr]


def _untranslated(html: str) -> set[str]:
    """Message keys that reached the page's text instead of their translation."""
    text = re.sub(r"<(script|datalist)\b.*?</\1>", " ", html, flags=re.S)
    text = re.sub(r"<[^>]+>", " ", text)
    words = set(re.findall(r"\b[a-z]+(?:_[a-z]+)+\b", text))
    return {k for k in MESSAGES if "_" in k} & words


async def _task_of(unit: str, instance: int) -> Task:
    with tenant_scope(unit):
        return await Task.get(instance_id=instance, state="open", blocking=True)


async def test_submit_find_in_inbox_approve_and_follow_progress(web: Web) -> None:
    unit, drafter, head, names = await _cast()
    me, rid, inst = await _draft_and_submit(web, unit, drafter, "关于开展秋季消防安全检查的通知")
    progress = await me.get(f"/units/{unit}/instances/{inst}?ok=started")
    assert "已提交办理。" in progress
    assert re.search(r'<li class="node-done">.*?起草.*?已完成', progress)
    assert re.search(r'<li class="node-active">.*?部门审核.*?办理中', progress)
    record_page = await me.get(f"/units/{unit}/forms/outgoing_doc/records/{rid}")
    assert "提交办理" not in record_page and f'href="/units/{unit}/instances/{inst}"' in record_page

    task = await _task_of(unit, inst)
    assert task.assignee == head
    boss = await _person(web, head)
    inbox = await boss.get(f"/units/{unit}/inbox")
    row = re.search(rf'<tr class="item light-(\w+)">\s*<td class="lead"><a href="/units/{unit}/tasks/{task.id}">'
                    r"关于开展秋季消防安全检查的通知</a>(.*?)</tr>", inbox, re.S)
    assert row, inbox
    assert row.group(1) in ("green", "yellow")  # a 1-working-day limit: green, or yellow within its last day
    assert "部门审核" in row.group(2) and names[drafter] in row.group(2)
    assert re.search(r'class="light light-(green|yellow)"><span class="dot" aria-hidden="true"></span>(绿灯|黄灯)', row.group(2))
    assert re.search(r'aria-current="page">待办 <span class="badge">1</span>', inbox)

    page = await boss.get(f"/units/{unit}/tasks/{task.id}")
    assert "doc_number" not in page and "发文字号" not in page  # hidden at this step: not even an input
    assert re.search(r'<input id="f-title" name="title" type="text" value="关于开展秋季消防安全检查的通知"', page)
    assert re.search(r'<textarea id="f-body" name="body" rows="4" ', page)  # editable, not readonly
    assert 'id="f-doc_type"' not in page and re.search(r'data-field="doc_type".*?<div class="read-value"[^>]*>通知</div>', page, re.S)
    assert 'x-data="banwenForm"' in page and '<button type="submit" class="primary">同意</button>' in page
    assert "<summary>退回</summary>" in page and "<summary>转办</summary>" in page and "<script>" not in page

    done = await boss.post(f"/units/{unit}/tasks/{task.id}",
                           {"action": "approve", "version": task.lock_version, "opinion": "同意，请领导会签。",
                            **FILLED, "title": "关于开展秋季消防安全检查的通知", "body": "请各科室于本周五前完成自查。"})
    assert done.headers["location"] == f"/units/{unit}/tasks/{task.id}?ok=approve"
    after = await boss.get(done.headers["location"])
    assert "已办理：同意。" in after and "同意，请领导会签。" in after and "已办理（同意）" in after
    assert (await records.get(unit, rid)).data["body"] == "请各科室于本周五前完成自查。"  # an edit field, saved

    again = await boss.post(f"/units/{unit}/tasks/{task.id}", {"action": "approve", "version": task.lock_version,
                                                              "opinion": "再点一次"}, status=409)
    assert f"已由 {names[head]} 于 " in again.text and "办理（同意），无需重复办理" in again.text
    english = await boss.post(f"/units/{unit}/tasks/{task.id}?lang=en", {"action": "approve", "opinion": "x"}, status=409)
    assert f"was already handled by {names[head]}" in english.text

    progress = await me.get(f"/units/{unit}/instances/{inst}")
    step = re.search(r'<td class="lead">部门审核</td>(.*?)</tr>', progress, re.S)
    assert step and names[head] in step.group(1) and "同意" in step.group(1) and "同意，请领导会签。" in step.group(1)
    assert re.search(r'<li class="node-active">.*?会签', progress)
    assert "<summary>催办</summary>" in progress and "<summary>终止</summary>" in progress  # the drafter's, at 起草: terminate
    for lang in ("en", "zh"):
        for url in (f"/units/{unit}/instances/{inst}", f"/units/{unit}/inbox?box=mine", f"/units/{unit}/inbox?box=done",
                    f"/units/{unit}/notifications", f"/units/{unit}/forms/outgoing_doc/records/{rid}"):
            assert _untranslated(await me.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")) == set(), url
        for url in (f"/units/{unit}/tasks/{task.id}", f"/units/{unit}/inbox?box=todo", f"/units/{unit}/inbox?box=circulate"):
            assert _untranslated(await boss.get(f"{url}{'&' if '?' in url else '?'}lang={lang}")) == set(), url
    mine = await me.get(f"/units/{unit}/inbox?box=mine")
    assert f'href="/units/{unit}/instances/{inst}"' in mine and "会签" in mine
    done_box = await boss.get(f"/units/{unit}/inbox?box=done&q=消防&lang=zh")
    assert f"/tasks/{task.id}" in done_box and "同意" in done_box
    assert f"/tasks/{task.id}\"" not in await boss.get(f"/units/{unit}/inbox?box=todo")


async def test_refusals_come_back_at_their_place_in_both_languages(web: Web) -> None:
    unit, drafter, head, names = await _cast()
    me, rid, inst = await _draft_and_submit(web, unit, drafter, "关于调整值班安排的通知")
    task = await _task_of(unit, inst)
    boss = await _person(web, head)
    url = f"/units/{unit}/tasks/{task.id}"

    no_reason = await boss.post(url, {"action": "return_to", "target": "draft", "opinion": "  "}, status=422)
    box = re.search(r'<details class="action-box" id="act-return_to" open>(.*?)</details>', no_reason.text, re.S)
    assert box and '<p class="error" role="alert">请填写理由。</p>' in box.group(1)
    english = await boss.post(url + "?lang=en", {"action": "return_to", "target": "draft"}, status=422)
    assert "Please give a reason." in english.text and "<summary>Return</summary>" in english.text

    emptied = await boss.post(url + "?lang=zh", {"action": "approve", **FILLED, "title": "", "body": "改过的正文"}, status=422)
    assert re.search(r'<p class="field-error" id="f-title-error" data-error="title">必填</p>', emptied.text)
    assert "请按提示修改标出的字段。" in emptied.text and ">改过的正文</textarea>" in emptied.text  # the input is kept
    assert '<input id="f-title" name="title" type="text" value=""' in emptied.text
    with tenant_scope(unit):
        assert (await Task.get(id=task.id)).state == "open"  # nothing was written

    returned = await boss.post(url, {"action": "return_to", "target": "draft", "opinion": "请补充检查范围。"})
    assert returned.headers["location"] == url + "?ok=return_to"
    todo = await me.get(f"/units/{unit}/inbox")
    redo = await _task_of(unit, inst)
    assert redo.node == "draft" and redo.assignee == drafter and f"/tasks/{redo.id}" in todo and names[head] in todo
    page = await me.get(f"/units/{unit}/tasks/{redo.id}?lang=en")
    assert '<button type="submit" class="primary">Submit</button>' in page and "请补充检查范围。" in page
    assert re.search(r'<input id="f-title" name="title"', page)  # the draft step edits everything again

    urged = await boss.post(f"/units/{unit}/instances/{inst}", {"action": "urge", "opinion": "今天下班前请重新提交。"})
    assert urged.headers["location"] == f"/units/{unit}/instances/{inst}?ok=urge"
    notes = await me.get(f"/units/{unit}/notifications?lang=zh")
    assert "今天下班前请重新提交。" in notes and f'href="/units/{unit}/tasks/{redo.id}"' in notes
    with tenant_scope(unit):
        note = await Notification.get(login=drafter, kind="urge")
        count = await Task.filter(assignee=drafter, state="open").count()
    assert re.search(r'class="bell">通知 <span class="badge" aria-label="1 条未读">1</span>', notes)
    read = await me.post(f"/units/{unit}/notifications/{note.id}/read", {})
    assert read.headers["location"].endswith("/notifications?ok=read")
    assert "已标为已读。" in await me.get(read.headers["location"])
    with tenant_scope(unit):
        assert (await Notification.get(id=note.id)).read_at is not None
    assert count == 1

    resubmitted = await me.post(f"/units/{unit}/tasks/{redo.id}", {"action": "submit", **FILLED, "title": "关于调整值班安排的通知",
                                                                  "remark": "已补充检查范围"})
    assert resubmitted.headers["location"].endswith("?ok=submit")
    assert (await _task_of(unit, inst)).node == "dept_review"
    assert (await records.get(unit, rid)).data["remark"] == "已补充检查范围"


async def test_a_task_is_only_for_its_people_and_moves_by_transfer(web: Web) -> None:
    unit, drafter, head, names = await _cast()
    me, _rid, inst = await _draft_and_submit(web, unit, drafter, "关于报送年度总结的通知")
    task = await _task_of(unit, inst)
    assert "没有权限" not in await me.get(f"/units/{unit}/tasks/{task.id}", status=404)  # the drafter holds no part in it
    refused = await me.post(f"/units/{unit}/tasks/{task.id}", {"action": "approve"}, status=404)
    assert "待办" in refused.text
    with tenant_scope(unit):
        assert await FlowInstance.filter(id=inst, state="running").exists()
        assert (await Task.get(id=task.id)).state == "open"

    boss = await _person(web, head)
    url = f"/units/{unit}/tasks/{task.id}"
    nobody = await boss.post(url, {"action": "transfer", "to": "查无此人"}, status=422)
    box = re.search(r'<details class="action-box" id="act-transfer" open>(.*?)</details>', nobody.text, re.S)
    assert box and "查无此人" in box.group(1) and "本单位没有在职人员" in box.group(1)
    colleague = next(login for login in sorted(names) if login not in (drafter, head)
                     and list(names.values()).count(names[login]) == 1)
    moved = await boss.post(url, {"action": "transfer", "to": names[colleague], "opinion": "请代为审核"})  # typed by name
    assert moved.headers["location"] == url + "?ok=transfer"
    now = await _task_of(unit, inst)
    assert now.assignee == colleague and now.node == "dept_review"
    assert "已转办。" in await boss.get(moved.headers["location"])


async def test_every_step_of_the_outgoing_flow_through_the_pages(web: Web) -> None:
    """Each step's task page renders for its handler (会签 with its signers, 签发 with 委托 …) and 同意 moves on."""
    unit, drafter, _head, names = await _cast()
    me, rid, inst = await _draft_and_submit(web, unit, drafter, "关于印发年度工作要点的通知")
    people: dict[str, Browser] = {drafter: me}
    seen = []
    for _ in range(20):
        with tenant_scope(unit):
            tasks = await Task.filter(instance_id=inst, state="open", blocking=True).order_by("id")
        if not tasks:
            break
        for task in tasks:
            if task.assignee not in people:
                people[task.assignee] = await _person(web, task.assignee)
            who = people[task.assignee]
            page = await who.get(f"/units/{unit}/tasks/{task.id}?lang=zh")
            assert _untranslated(page) == set() and '<button type="submit" class="primary">同意</button>' in page
            if task.node == "countersign":
                assert "本环节会签人" in page and "<summary>加签</summary>" in page and "<summary>减签</summary>" in page
            if task.node == "sign_off":
                assert "<summary>委托</summary>" in page and 'type="date"' in page
            await who.post(f"/units/{unit}/tasks/{task.id}", {"action": "approve", "opinion": f"{task.node_name}：同意",
                                                              **FILLED, "title": "关于印发年度工作要点的通知"})
            seen.append(task.node)
    assert list(dict.fromkeys(seen)) == ["dept_review", "countersign", "sign_off", "recheck", "register", "dispatch"]
    record = await records.get(unit, rid)
    assert record.status == "completed"
    progress = await me.get(f"/units/{unit}/instances/{inst}")
    assert "已办结" in progress and "<summary>催办</summary>" not in progress and "办理中" not in progress
    assert progress.count("：同意") == len(seen)
    view = await me.get(f"/units/{unit}/forms/outgoing_doc/records/{rid}")
    assert "提交办理" not in view and "已办结" in view and names[drafter] in progress
