"""Browser-test fixtures: a real ``banwen serve`` on a small demo city, and Debian's Chromium.

``live_server`` builds the demo into this test's fresh database (SQLite, or a scratch PostgreSQL
database when ``BANWEN_DATABASE_URL`` names a server) with ``banwen init --demo``, serves it on a
free port and yields a ``LiveServer``. ``browser`` drives ``/usr/bin/chromium`` through
Playwright (Playwright's own browser download does not work here; ``make test`` installs
Debian's package through ``tests/e2e/ensure-browser.sh``).
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import serving

from runtime.settings import Settings
from tenants import demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
IN_CI = bool(os.environ.get("CI"))
DEMO = {"units": 8, "users": 80, "exchange_units": 5}


@dataclass(frozen=True)
class LiveServer:
    url: str
    logins: list[tuple[str, str, str]]  # (login, who, unit name), as ``banwen init --demo`` prints them
    password: str
    log: Path


def require_chromium() -> None:
    """Skip without Debian's Chromium — but fail in CI, where ``make test`` must have installed it."""
    if not CHROMIUM.exists():
        reason = f"{CHROMIUM} is missing: run make test, which installs Debian's chromium"
        if IN_CI:
            pytest.fail(reason)
        pytest.skip(reason)


def pytest_runtest_setup(item: pytest.Item) -> None:
    """Check for the browser before building a demo city and starting a server for nothing."""
    if "browser" in getattr(item, "fixturenames", ()):
        require_chromium()


@pytest.fixture
def live_server(settings: Settings, cli_env: dict[str, str], tmp_path: Path) -> Iterator[LiveServer]:
    env = {**os.environ, **cli_env, "PYTHONUNBUFFERED": "1"}
    if not settings.queue_url:
        env.pop("BANWEN_QUEUE_URL", None)
    init = serving.init(env, tmp_path, "--demo", "--units", str(DEMO["units"]), "--users", str(DEMO["users"]),
                        "--exchange-units", str(DEMO["exchange_units"]))
    logins = demo.demo_logins(demo.plan_city(**DEMO))
    assert logins[0][0] in init.stdout, f"the first demo login is not in banwen init's output:\n{init.stdout}"

    with serving.serve(env, tmp_path, tmp_path / "serve.log") as url:
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            health = json.load(response)
        assert health["database"] == ("sqlite" if settings.is_sqlite else "postgres"), health
        yield LiveServer(url=url, logins=logins, password=settings.demo_password, log=tmp_path / "serve.log")


@pytest.fixture
def browser(database_url: str) -> Iterator[Any]:
    """Chromium for one test. Function-scoped and after ``database_url`` on purpose: Playwright's
    sync API keeps an asyncio loop running in this thread while it is open, and the PostgreSQL
    scratch-database fixture in ``tests/conftest.py`` calls ``asyncio.run()``, which refuses to
    run inside a running loop — so the browser starts after the database exists and closes before
    it is dropped."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()
