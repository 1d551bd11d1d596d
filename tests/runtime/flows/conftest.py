"""Flow fixtures: a demo city built by the real ``banwen init --demo`` whose first unit has three
leaders (unit head and two deputies, all holding ``unit_leader``), and helpers to read its people."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from click.testing import CliRunner
from webtools import Web, open_web

from runtime.cli import cli
from runtime.settings import Settings

CITY = ["init", "--demo", "--units", "2", "--users", "60", "--exchange-units", "1"]


@pytest.fixture
def flow_city(cli_env: dict[str, str], settings: Settings) -> Settings:
    result = CliRunner().invoke(cli, CITY, env=cli_env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return settings


@pytest.fixture
async def flow_web(flow_city: Settings) -> AsyncIterator[Web]:
    async with open_web(flow_city) as w:
        yield w
