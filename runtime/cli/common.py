"""What the commands share: settings, running async work against the database, the actor."""

from __future__ import annotations

import asyncio
import getpass
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from runtime import db
from runtime.settings import Settings
from tenants.audit import actor_context
from tenants.errors import BanwenError

T = TypeVar("T")


class NotInitialised(BanwenError):
    exit_code = 2

    def __init__(self) -> None:
        super().__init__("数据库尚未初始化：请先运行 banwen init（或 banwen init --demo）。",
                         "The database is not initialised: run banwen init (or banwen init --demo) first.")


def settings() -> Settings:
    return Settings.from_env()


def actor(explicit: str | None = None) -> str:
    """Who a CLI change is recorded as: ``--as``, ``BANWEN_USER``, or ``cli:<os user>``."""
    if explicit:
        return explicit
    if os.environ.get("BANWEN_USER"):
        return os.environ["BANWEN_USER"]
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:
        return "cli"


def run(fn: Callable[[Settings], Awaitable[T]], *, need_schema: bool = True,
        s: Settings | None = None, who: str | None = None) -> T:
    """Open the database, run ``fn(settings)``, close — one event loop per command.

    The command runs as ``actor(who)`` from client ``cli``: what its audit events record when
    the change itself does not name an author.
    """
    s = s or settings()

    async def main() -> T:
        with actor_context(actor(who), client="cli"):
            await db.connect(s)
            try:
                if need_schema and not await db.is_initialised():
                    raise NotInitialised()
                return await fn(s)
            finally:
                await db.close()

    return asyncio.run(main())


def echo_json(data: Any) -> None:
    import json

    import click

    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))
