"""``banwen db``: schema migrations (aerich), for developers changing a model."""

from __future__ import annotations

import asyncio
import os
import uuid

import click

from runtime import db as dbmod
from runtime.settings import Settings
from tenants.errors import BanwenError

PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


@click.group("db")
def db_group() -> None:
    """数据库结构迁移。 / Database schema migrations."""


@db_group.command()
def upgrade() -> None:
    """应用所有未执行的迁移。 / Apply every pending migration."""
    from runtime.cli.common import run

    async def main(s: Settings) -> list[str]:
        return await dbmod.migrate(s)

    applied = run(main, need_schema=False)
    click.echo("\n".join(applied) if applied else "已是最新 / up to date")


@db_group.command()
@click.option("--name", default="update", show_default=True, help="迁移名称 / migration name.")
@click.option("--postgres-admin-url", default=lambda: os.environ.get("BANWEN_PG_ADMIN_URL", PG_ADMIN_URL),
              help="用于建临时库的 PostgreSQL 连接 / PostgreSQL used for a scratch database.")
@click.option("--dialect", type=click.Choice(["sqlite", "postgres"]), default=None,
              help="只写这一种 / only this dialect.")
def makemigrations(name: str, postgres_admin_url: str, dialect: str | None) -> None:
    """根据模型为 SQLite 和 PostgreSQL 各写一个新迁移。 / Write the next migration for SQLite and PostgreSQL."""
    if dialect is None:
        # One process per dialect: Tortoise caches each model's compiled queries for the first
        # database it met, so aerich's own insert would carry SQLite placeholders to PostgreSQL.
        import subprocess
        import sys

        for each in ("sqlite", "postgres"):
            done = subprocess.run([sys.executable, "-m", "runtime.cli", "db", "makemigrations", "--name", name,
                                   "--postgres-admin-url", postgres_admin_url, "--dialect", each], check=False)
            if done.returncode:
                raise click.exceptions.Exit(done.returncode)
        return
    out = asyncio.run(_make(dialect, name, postgres_admin_url))
    click.echo(f"{dialect}: {out or '无变化 / no changes'}")


async def _make(dialect_name: str, name: str, admin_url: str) -> str:
    """Bring a scratch database to the newest migration, then let aerich diff the models."""
    import tempfile

    import asyncpg
    from aerich import Command
    from tortoise import Tortoise

    scratch = f"banwen_mig_{uuid.uuid4().hex[:8]}"
    if dialect_name == "sqlite":
        url = f"sqlite://{tempfile.mkdtemp()}/{scratch}.db"
    else:
        try:
            conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
        except OSError as exc:
            raise BanwenError(f"无法连接 PostgreSQL：{exc}", f"Cannot reach PostgreSQL: {exc}") from None
        await conn.execute(f'CREATE DATABASE "{scratch}"')
        await conn.close()
        url = admin_url.rsplit("/", 1)[0] + f"/{scratch}"
    location = dbmod.MIGRATIONS_DIR / dialect_name
    try:
        cmd = Command(tortoise_config=dbmod.tortoise_config(url), app="models", location=str(location))
        if not (location / "models").exists():
            await cmd.init_db(safe=True)
            return "init"
        await cmd.init()
        await cmd.upgrade(run_in_transaction=True)
        await cmd.init()  # aerich reads the last applied version at init
        return await cmd.migrate(name, no_input=True)
    finally:
        await Tortoise.close_connections()
        if dialect_name == "postgres":
            conn = await asyncpg.connect(admin_url.replace("postgres://", "postgresql://", 1))
            await conn.execute(f'DROP DATABASE IF EXISTS "{scratch}"')
            await conn.close()

