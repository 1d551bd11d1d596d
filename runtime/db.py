"""Database connection: Tortoise ORM on SQLite (WAL, the embedded default) or PostgreSQL.

Schema changes are aerich migrations, kept per dialect under ``runtime/migrations/<dialect>``
because aerich writes each migration as that dialect's SQL. ``migrate()`` brings a database to
the newest schema; a new database gets every migration in order.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from tortoise import Tortoise
from tortoise.context import TortoiseContext

from runtime.settings import Settings

MODEL_MODULES = ["tenants.models", "aerich.models"]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def dialect(url: str) -> str:
    return "sqlite" if url.startswith("sqlite") else "postgres"


def tortoise_url(url: str) -> str:
    """Our URL → Tortoise's; SQLite gets WAL-friendly pragmas (synchronous=NORMAL)."""
    if url.startswith("sqlite") and "?" not in url:
        path = url.split("://", 1)[1]
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return f"sqlite://{path}?journal_mode=WAL&synchronous=NORMAL&busy_timeout=10000"
    return url


def tortoise_config(url: str) -> dict[str, Any]:
    return {
        "connections": {"default": tortoise_url(url)},
        "apps": {"models": {"models": MODEL_MODULES, "default_connection": "default"}},
        "use_tz": True,
        "timezone": "Asia/Shanghai",
    }


async def connect(settings: Settings) -> TortoiseContext:
    """Open the ORM for ``settings``; the returned context is what requests run in."""
    return await Tortoise.init(config=tortoise_config(settings.database_url))


async def close() -> None:
    await Tortoise.close_connections()


@asynccontextmanager
async def database(settings: Settings) -> AsyncIterator[TortoiseContext]:
    ctx = await connect(settings)
    try:
        yield ctx
    finally:
        await close()


async def migrate(settings: Settings) -> list[str]:
    """Apply every pending migration; returns the names applied."""
    from aerich import Command

    location = MIGRATIONS_DIR / dialect(settings.database_url)
    command = Command(tortoise_config=tortoise_config(settings.database_url), app="models",
                      location=str(location))
    await command.init()
    return await command.upgrade(run_in_transaction=True)


async def is_initialised() -> bool:
    """True when the schema exists (the ``unit`` table is there)."""
    conn = Tortoise.get_connection("default")
    try:
        await conn.execute_query('SELECT 1 FROM "unit" LIMIT 1')
    except Exception as exc:  # only a missing table means "not initialised"; connection errors propagate
        text = str(exc).lower()
        if "no such table" in text or "does not exist" in text or "undefined" in type(exc).__name__.lower():
            return False
        raise
    return True
