"""The inbox and the task page in Chromium: a drafter submits a 发文稿纸, the approver handles it on a phone.

The drafter (desktop) saves a 发文稿纸 and presses 提交办理; the department head signs in on a phone
(390×844), sees the count on the home page and in the header, finds the task as a card in 待办 with
its light, opens the task page (发文字号 is not there, 标题 is an input, 文种 only shown), approves
with an opinion and sees it done; the progress page names them. No horizontal scroll, no CSP
violation. The run leaves inbox-phone.png, task-phone.png, task-phone-approve.png and progress-phone.png
in the test's tmp folder (the ones under docs/images/ were copied from such a run).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

from tenants import demo

if TYPE_CHECKING:
    from conftest import LiveServer  # tests/e2e/conftest.py

pytestmark = pytest.mark.e2e

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
TITLE = "关于开展冬季安全生产大检查的通知"


def _demo_size() -> dict[str, int]:
    """The demo city's size from tests/e2e/conftest.py (loaded by path: every test folder has a conftest)."""
    spec = importlib.util.spec_from_file_location("e2e_conftest", Path(__file__).with_name("conftest.py"))
    assert spec is not None and spec.loader is not None
    module = sys.modules.get(spec.name) or importlib.util.module_from_spec(spec)
    if spec.name not in sys.modules:
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
    return dict(module.DEMO)


def _cast() -> tuple[dict[str, str], str, str]:
    """(names by login, a drafter outside the office holding no post, their department's head) of the
    first demo unit, read from the same plan ``banwen init --demo`` built the city from."""
    unit = demo.plan_city(**_demo_size()).units[0]
    org = unit.org
    posts = {p["id"]: p for p in org["posts"]}
    busy = {ld["user"] for ld in org["leaders"]} | {p.get("a_holder") for p in posts.values()} | \
        {b for p in posts.values() for b in p.get("b_holders") or []} | {login for _post, login in unit.appointments}
    for d in org["departments"]:
        if d["id"] == "office" or d.get("head_post") not in posts:
            continue
        free = [m for m in d["members"] if m not in busy]
        if free:
            return {p["login"]: p["name"] for p in unit.users}, free[0], posts[d["head_post"]]["a_holder"]
    raise AssertionError("no drafter with a department head in the first demo unit")


def _sign_in(page: Page, server: LiveServer, login: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("账号", exact=True).fill(login)
    page.get_by_label("密码", exact=True).fill(server.password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(server.url + "/")


def _watch(page: Page, violations: list[str]) -> None:
    page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
    page.on("pageerror", lambda e: violations.append(str(e)))


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll at {page.url}: {widths}"


def _draft_and_submit(browser: Any, server: LiveServer, drafter: str, violations: list[str]) -> None:
    context = browser.new_context(locale="zh-CN", **DESKTOP)
    try:
        page = context.new_page()
        _watch(page, violations)
        _sign_in(page, server, drafter)
        page.get_by_role("link", name="发文稿纸").click()
        page.get_by_role("link", name="新建").click()
        page.wait_for_function("() => window.Alpine !== undefined")
        page.get_by_label("文种").select_option("通知")
        page.get_by_label("标题").fill(TITLE)
        tree = page.locator("#f-main_recipients")
        tree.locator("[data-unit-name] input").first.check()
        page.get_by_label("正文").fill("请各科室对照清单开展自查，周五前报送结果。")
        page.get_by_role("button", name="保存").click()
        expect(page).to_have_url(re.compile(r"/records/\d+\?saved=1$"))
        page.get_by_role("button", name="提交办理").click()
        expect(page).to_have_url(re.compile(r"/instances/\d+\?ok=started$"))
        expect(page.get_by_role("status")).to_have_text("已提交办理。")
        expect(page.locator(".node-active .node-name")).to_have_text("部门审核")
    finally:
        context.close()


def test_the_approver_handles_a_task_on_a_phone(live_server: LiveServer, browser: Any, tmp_path: Path) -> None:
    names, drafter, head = _cast()
    violations: list[str] = []
    _draft_and_submit(browser, live_server, drafter, violations)

    context = browser.new_context(locale="zh-CN", **PHONE)
    try:
        page = context.new_page()
        _watch(page, violations)
        _sign_in(page, live_server, head)
        summary = page.locator(".inbox-summary")
        expect(summary.locator('[data-count="todo"]')).to_have_text("1")  # filled from the counts API
        expect(page.locator('header [data-count="todo"]')).to_have_text("1")
        _no_horizontal_scroll(page)

        summary.get_by_role("link", name=re.compile("^待办")).click()
        expect(page.get_by_role("heading", name="待办事项")).to_be_visible()
        card = page.locator("tr.item", has_text=TITLE)
        expect(card).to_have_count(1)
        expect(card.locator(".light")).to_contain_text(re.compile("绿灯|黄灯"))
        expect(card).to_contain_text("部门审核")
        expect(card).to_contain_text(names[drafter])
        box = card.bounding_box()
        assert box is not None and box["width"] <= 390, box  # a card, not a table row wider than the phone
        _no_horizontal_scroll(page)
        page.screenshot(path=str(tmp_path / "inbox-phone.png"), full_page=True)

        card.get_by_role("link", name=TITLE).click()
        expect(page.get_by_role("heading", name=TITLE)).to_be_visible()
        page.wait_for_function("() => window.Alpine !== undefined")
        assert page.locator("#f-doc_number").count() == 0 and page.get_by_text("发文字号").count() == 0
        expect(page.get_by_label("标题")).to_be_editable()
        expect(page.locator('[data-field="doc_type"] .read-value')).to_have_text("通知")
        approve = page.get_by_role("button", name="同意", exact=True)
        assert (approve.bounding_box() or {}).get("height", 0) >= 44
        _no_horizontal_scroll(page)
        page.screenshot(path=str(tmp_path / "task-phone.png"))  # the task's head: step, light, deadline
        page.get_by_label("意见", exact=True).fill("同意，请领导会签。")
        page.locator(".opinion-box").evaluate("box => box.scrollIntoView({block: 'end'})")
        page.screenshot(path=str(tmp_path / "task-phone-approve.png"))  # where the approver presses 同意

        approve.click()
        expect(page).to_have_url(re.compile(r"/tasks/\d+\?ok=approve$"))
        expect(page.locator("#flash")).to_contain_text("已办理：同意。")
        expect(page.locator(".task-state")).to_contain_text("已办理（同意）")
        page.get_by_role("link", name="办理进度").first.click()
        step = page.locator("tr.step", has_text="部门审核")
        expect(step).to_contain_text(names[head])
        expect(step).to_contain_text("同意，请领导会签。")
        _no_horizontal_scroll(page)
        page.screenshot(path=str(tmp_path / "progress-phone.png"), full_page=True)
        assert violations == [], violations
    finally:
        context.close()
    for shot in ("inbox-phone.png", "task-phone.png", "task-phone-approve.png", "progress-phone.png"):
        assert (tmp_path / shot).stat().st_size > 5_000
