"""The generated 发文稿纸 in Chromium, at a phone's width and a desktop's.

紧急程度 = 特急 makes 紧急原因 appear and required (the browser's rule: the Chinese message at the
field, nothing posted); filled, the record is saved and shown; 特急 → 无 hides the reason again;
English shows English labels. With JavaScript off the server refuses the same submission at the
field. No CSP violation on the way. The phone run leaves form-phone.png in the test's tmp folder
(the one under docs/images/ was copied from such a run).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Page, expect

if TYPE_CHECKING:
    from conftest import LiveServer  # tests/e2e/conftest.py

pytestmark = pytest.mark.e2e

VIEWPORTS = {
    "phone": {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}


def _sign_in(page: Page, server: LiveServer, login: str) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("账号", exact=True).fill(login)
    page.get_by_label("密码", exact=True).fill(server.password)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page).to_have_url(server.url + "/")


def _fill_required(page: Page, *, scripts: bool = True) -> str:
    """Fill the required fields; 主送 is picked in the unit tree. Returns the chosen unit's name."""
    page.get_by_label("文种").select_option("通知")
    page.get_by_label("标题").fill("关于做好春节期间值班工作的通知")
    name = _pick_unit(page, "主送", "main_recipients", scripts=scripts)
    page.get_by_label("正文").fill("请各单位做好值班安排。")
    return name


def _pick_unit(page: Page, label: str, field: str, *, scripts: bool) -> str:
    """Choose a unit nested under another in the tree: through the filter box (scripts on) and the keyboard."""
    tree = page.locator(f"#f-{field}")
    expect(page.get_by_role("group", name=label, exact=True)).to_have_attribute("id", f"f-{field}")
    nested = tree.locator("details > ul:not(:first-of-type) [data-unit-name]").first
    name = nested.get_attribute("data-unit-name") or ""
    box = nested.locator("input")
    if scripts:
        search = tree.get_by_label("筛选单位")
        expect(search).to_be_visible()
        search.fill(name[:3])
        others = tree.locator("[data-unit-item]:not([hidden]) [data-unit-name]")
        shown = others.evaluate_all("els => els.map(e => e.dataset.unitName)")
        assert shown and all(name[:3] in n for n in shown), (name, shown)
        expect(nested).to_be_visible()
        box.focus()
        page.keyboard.press("Space")
    else:
        expect(tree.get_by_label("筛选单位")).to_be_hidden()
        nested.click()
    expect(box).to_be_checked()
    height = nested.bounding_box()
    assert height is not None and height["height"] >= 44, height  # a touch target
    return name


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll at {page.url}: {widths}"


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_urgency_rule_in_the_browser_and_on_the_server(device: str, live_server: LiveServer, browser: Any,
                                                         tmp_path: Path) -> None:
    login = live_server.logins[0][0]
    violations: list[str] = []
    context = browser.new_context(locale="zh-CN", **VIEWPORTS[device])
    try:
        page = context.new_page()
        page.on("console", lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None)
        page.on("pageerror", lambda e: violations.append(str(e)))
        _sign_in(page, live_server, login)
        page.get_by_role("link", name="发文稿纸").click()
        expect(page.get_by_role("heading", name="发文稿纸")).to_be_visible()
        page.get_by_role("link", name="新建").click()
        expect(page.locator("form.generated")).to_be_visible()
        page.wait_for_function("() => window.Alpine !== undefined")

        reason = page.get_by_label("紧急原因")
        expect(reason).to_be_hidden()
        expect(page.get_by_text("登记时自动编号").first).to_be_visible()
        recipient = _fill_required(page)
        page.get_by_label("特急").check()
        expect(reason).to_be_visible()
        expect(reason).to_have_attribute("aria-required", "true")
        expect(page.locator('[data-field="urgency_reason"] [data-req]')).to_be_visible()

        before = page.url
        page.get_by_role("button", name="保存").click()
        error = page.locator("#f-urgency_reason-error")
        expect(error).to_have_text("请填写“紧急原因”。")
        assert page.url == before  # the browser's rule stopped the submission
        if device == "phone":
            _no_horizontal_scroll(page)
            page.screenshot(path=str(tmp_path / "form-phone.png"), full_page=True)
            assert (tmp_path / "form-phone.png").stat().st_size > 5_000

        reason.fill("上级要求当日办结")
        expect(error).to_be_hidden()
        page.get_by_role("button", name="保存").click()
        expect(page).to_have_url(re.compile(r"/records/\d+\?saved=1$"))
        expect(page.get_by_role("status")).to_have_text("已保存。")
        expect(page.get_by_text("上级要求当日办结")).to_be_visible()
        expect(page.get_by_text(recipient, exact=True)).to_be_visible()  # 主送 shown by name, stored as the unit's id
        if device == "phone":
            _no_horizontal_scroll(page)

        # 特急 → 无: the reason disappears again.
        page.get_by_role("link", name="发文稿纸").click()
        page.get_by_role("link", name="新建").click()
        page.wait_for_function("() => window.Alpine !== undefined")
        page.get_by_label("特急").check()
        expect(page.get_by_label("紧急原因")).to_be_visible()
        page.get_by_label("无", exact=True).check()
        expect(page.get_by_label("紧急原因")).to_be_hidden()

        # English.
        page.get_by_role("link", name="English").click()
        expect(page.get_by_label("Reason for urgency")).to_be_hidden()
        expect(page.get_by_label("Document type")).to_be_visible()
        expect(page.get_by_role("heading", name="Header")).to_be_visible()
        assert violations == [], violations
    finally:
        context.close()

    # Without JavaScript the server refuses the same submission, at the field, in Chinese.
    plain = browser.new_context(locale="zh-CN", java_script_enabled=False, **VIEWPORTS[device])
    try:
        page = plain.new_page()
        _sign_in(page, live_server, login)
        page.get_by_role("link", name="发文稿纸").click()
        page.get_by_role("link", name="新建").click()
        recipient = _fill_required(page, scripts=False)
        page.get_by_label("特急").check()
        page.get_by_role("button", name="保存").click()
        expect(page.locator("#f-urgency_reason-error")).to_have_text("必填")
        expect(page.get_by_label(recipient, exact=True).first).to_be_checked()  # the tree's choice is kept
        expect(page.get_by_label("紧急原因")).to_be_visible()
        expect(page.get_by_label("标题")).to_have_value("关于做好春节期间值班工作的通知")
    finally:
        plain.close()
