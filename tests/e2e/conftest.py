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
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from runtime.settings import Settings
from tenants import demo

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--no-first-run"]
IN_CI = bool(os.environ.get("CI"))
DEMO = {"units": 8, "users": 80, "exchange_units": 5}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    logins: list[tuple[str, str, str]]  # (login, who, unit name), as ``banwen init --demo`` prints them
    password: str
    log: Path


def banwen_command() -> list[str]:
    """The ``banwen`` console script of this interpreter's environment (``runtime.cli`` has no ``__main__``)."""
    script = Path(sys.executable).with_name("banwen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from runtime.cli import main; sys.exit(main())"]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


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
    init = subprocess.run(
        [*banwen_command(), "init", "--demo", "--units", str(DEMO["units"]), "--users", str(DEMO["users"]),
         "--exchange-units", str(DEMO["exchange_units"])],
        env=env, cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )
    assert init.returncode == 0, f"banwen init --demo failed ({init.returncode}):\n{init.stdout}\n{init.stderr}"
    logins = demo.demo_logins(demo.plan_city(**DEMO))
    assert logins[0][0] in init.stdout, f"the first demo login is not in banwen init's output:\n{init.stdout}"

    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        server = subprocess.Popen([*banwen_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, cwd=tmp_path, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _healthy(url):
            if server.poll() is not None:
                pytest.fail(f"banwen serve exited with {server.returncode} before answering:\n{_tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"banwen serve did not answer {url}/healthz within {START_TIMEOUT:.0f} s:\n{_tail(log)}")
            time.sleep(0.1)
        with urllib.request.urlopen(url + "/healthz", timeout=5) as response:
            health = json.load(response)
        assert health["database"] == ("sqlite" if settings.is_sqlite else "postgres"), health
        yield LiveServer(url=url, logins=logins, password=settings.demo_password, log=log)
    finally:
        server.terminate()
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
            warnings.warn(f"banwen serve ignored SIGTERM for {STOP_TIMEOUT:.0f} s and was killed", stacklevel=1)


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
