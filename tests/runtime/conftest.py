"""Web fixtures: a small demo city built by the real ``banwen init --demo`` and the app open on it
(ASGI transport: in-process, so a test can patch a guard or the tenant filter and show that the
checks notice). Helpers live in ``webtools.py``."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner
from webtools import Web, open_web

from runtime.cli import cli
from runtime.settings import Settings

CITY = ["init", "--demo", "--units", "4", "--users", "40", "--exchange-units", "2"]


@pytest.fixture
def city(cli_env: dict[str, str], settings: Settings) -> Settings:
    result = CliRunner().invoke(cli, CITY, env=cli_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return settings


@pytest.fixture
async def web(city: Settings) -> AsyncIterator[Web]:
    async with open_web(city) as w:
        yield w
