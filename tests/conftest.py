"""Shared fixtures: a fresh database per test, on SQLite or on the PostgreSQL that CI names.

``BANWEN_DATABASE_URL=postgres://…/name`` makes every database test run on PostgreSQL: each test
gets its own scratch database on that server (created and dropped here). Without it, each test
gets a SQLite file in its temporary folder. ``BANWEN_QUEUE_URL`` likewise switches the queue
tests to Redis. In CI (``CI`` set) a named service that cannot be reached fails the run.
"""

from __future__ import annotations

import os
import sys
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from runtime import db
from runtime.settings import Secret, Settings

# Shared test helpers (tests/serving.py) import as plain modules from every test folder.
sys.path.insert(0, str(Path(__file__).resolve().parent))

BASE_DB_URL = os.environ.get("BANWEN_DATABASE_URL", "")
QUEUE_URL = os.environ.get("BANWEN_QUEUE_URL") or None
IN_CI = bool(os.environ.get("CI"))


def _pg_admin(url: str) -> str:
    return url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"


def _pg_admin_execute(sql: str) -> None:
    """Run one statement on the PostgreSQL server's maintenance database."""
    import asyncio

    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(_pg_admin(BASE_DB_URL))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _fresh_database_url(tmp_path: Path) -> tuple[str, str | None]:
    """A new empty database: (url, postgres database name to drop or None)."""
    if not BASE_DB_URL or BASE_DB_URL.startswith("sqlite"):
        return f"sqlite://{tmp_path / 'banwen.db'}", None
    name = f"banwen_t_{uuid.uuid4().hex[:12]}"
    _pg_admin_execute(f'CREATE DATABASE "{name}"')
    return BASE_DB_URL.rsplit("/", 1)[0] + f"/{name}", name


def _drop(name: str) -> None:
    _pg_admin_execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def database_url(tmp_path: Path) -> Iterator[str]:
    url, name = _fresh_database_url(tmp_path)
    yield url
    if name:
        _drop(name)


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(data_dir=tmp_path / "var", database_url=database_url, queue_url=QUEUE_URL,
                    secret_key=Secret("test-secret-" + uuid.uuid4().hex), in_process_jobs=False)


@pytest.fixture
def cli_env(settings: Settings) -> dict[str, str]:
    """Environment for ``banwen`` run in-process by click's CliRunner against this test's database."""
    env = {"BANWEN_DATA_DIR": str(settings.data_dir), "BANWEN_DATABASE_URL": settings.database_url,
           "BANWEN_SECRET_KEY": settings.secret_key.reveal()}
    if settings.queue_url:
        env["BANWEN_QUEUE_URL"] = settings.queue_url
    return env


@pytest.fixture
async def database(settings: Settings) -> AsyncIterator[Settings]:
    """An open, migrated database for this test (ORM ready), closed afterwards."""
    await db.connect(settings)
    try:
        await db.migrate(settings)
        yield settings
    finally:
        await db.close()


def pytest_report_header(config: pytest.Config) -> str:
    where = "PostgreSQL " + BASE_DB_URL.rsplit("@", 1)[-1] if BASE_DB_URL and not BASE_DB_URL.startswith("sqlite") \
        else "SQLite (per-test files)"
    return f"banwen: database {where}; queue {'Redis ' + QUEUE_URL if QUEUE_URL else 'SQLite/memory'}"
