"""Signing in through a real browser, at a phone's width and at a desktop's.

The login page is Chinese by default with labelled inputs; a wrong password says so in Chinese;
a demo account lands on the home page with its unit; "English" switches the language; signing
out returns to the login page and ends the session. Screenshots go to the test's tmp folder.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from playwright.sync_api import Locator, Page, expect

if TYPE_CHECKING:
    from conftest import LiveServer  # tests/e2e/conftest.py

pytestmark = pytest.mark.e2e

VIEWPORTS = {
    "phone": {"viewport": {"width": 412, "height": 915}, "is_mobile": True, "has_touch": True,
              "device_scale_factor": 2},
    "desktop": {"viewport": {"width": 1280, "height": 800}},
}
MIN_SCREENSHOT_BYTES = 5_000


def _press(target: Locator, touch: bool) -> None:
    if touch:
        target.tap()
    else:
        target.click()


def _no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"horizontal scroll at {page.url}: scrollWidth {widths[0]} > innerWidth {widths[1]}"


def _screenshot(page: Page, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.is_file(), f"no screenshot at {path}"
    size = path.stat().st_size
    assert size > MIN_SCREENSHOT_BYTES, f"screenshot {path} is only {size} bytes"
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"


@pytest.mark.parametrize("device", list(VIEWPORTS))
def test_login_switch_language_and_sign_out(device: str, live_server: LiveServer, browser: Any,
                                            tmp_path: Path) -> None:
    options = VIEWPORTS[device]
    touch = bool(options.get("has_touch"))
    phone = bool(options.get("is_mobile"))
    login, _who, unit_name = live_server.logins[0]
    shots = tmp_path / "screenshots"
    shots.mkdir()

    context = browser.new_context(locale="zh-CN", **options)
    try:
        page = context.new_page()

        # The login page: Chinese, with labelled inputs.
        page.goto(live_server.url + "/login")
        expect(page).to_have_title(re.compile("登录"))
        expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
        expect(page.get_by_role("heading", name="登录", exact=True)).to_be_visible()
        account = page.get_by_label("账号", exact=True)
        password = page.get_by_label("密码", exact=True)
        expect(account).to_have_attribute("id", "login")
        expect(password).to_have_attribute("type", "password")
        _screenshot(page, shots / f"{device}-login.png")
        if phone:
            _no_horizontal_scroll(page)

        # A wrong password: a Chinese error, the account kept.
        account.fill(login)
        password.fill(live_server.password + "-wrong")
        _press(page.get_by_role("button", name="登录", exact=True), touch)
        expect(page.get_by_role("alert")).to_have_text("账号或密码不正确。")
        expect(page.get_by_label("账号", exact=True)).to_have_value(login)
        _screenshot(page, shots / f"{device}-login-error.png")
        if phone:
            _no_horizontal_scroll(page)

        # The right password: the home page, with the unit's name.
        page.get_by_label("密码", exact=True).fill(live_server.password)
        _press(page.get_by_role("button", name="登录", exact=True), touch)
        expect(page).to_have_url(live_server.url + "/")
        expect(page.get_by_role("heading", level=1)).to_contain_text("欢迎，")
        expect(page.get_by_text(unit_name, exact=True)).to_be_visible()
        _screenshot(page, shots / f"{device}-home.png")
        if phone:
            _no_horizontal_scroll(page)

        # English.
        _press(page.get_by_role("link", name="English"), touch)
        expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
        expect(page.locator("html")).to_have_attribute("lang", "en")
        expect(page.get_by_text(unit_name, exact=True)).to_be_visible()
        _screenshot(page, shots / f"{device}-home-en.png")
        if phone:
            _no_horizontal_scroll(page)

        # Sign out: back at the login page (still in English), and the session is gone.
        _press(page.get_by_role("button", name="Sign out"), touch)
        expect(page).to_have_url(re.compile(r"/login$"))
        expect(page.get_by_role("heading", name="Sign in", exact=True)).to_be_visible()
        page.goto(live_server.url + "/")
        expect(page).to_have_url(re.compile(r"/login\?next=%2F$"))
    finally:
        context.close()
