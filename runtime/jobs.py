"""Background jobs on huey: SQLite queue by default, Redis when ``BANWEN_QUEUE_URL`` names one.

huey runs tasks in its own worker threads, but our services are async and the ORM lives on one
event loop. So a task hands its coroutine to the loop that owns the database (``LoopRunner``):
the web server's loop when jobs run in-process (``make run``), a dedicated thread's loop in
``banwen worker``. Tasks take ids and are idempotent; delivery is at-most-once (DESIGN §5), so
anything that must not be lost is recorded in the database and swept periodically.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from runtime.settings import Settings
from tenants import audit
from tenants.bundle import BundleSource
from tenants.models import BundleVersion
from tenants.scope import platform_scope

log = logging.getLogger("banwen.jobs")


def create_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    if immediate:
        return MemoryHuey("banwen", immediate=True)
    url = settings.queue_url
    if url and url.startswith("redis"):
        return RedisHuey("banwen", url=url, blocking=True)
    if url and not url.startswith("sqlite"):
        from tenants.errors import BanwenError

        raise BanwenError(f"不支持的队列地址：{url}（支持 redis:// 或留空使用 SQLite）。",
                          f"Unsupported queue URL: {url} (use redis://, or leave it empty for SQLite).")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    path = url.split("://", 1)[1] if url else str(settings.data_dir / "queue.db")
    return SqliteHuey("banwen", filename=path)


class LoopRunner:
    """Runs a coroutine on the event loop that owns the database, from any thread."""

    def __init__(self, loop: asyncio.AbstractEventLoop, timeout: float = 300) -> None:
        self.loop = loop
        self.timeout = timeout

    def __call__(self, coro: Awaitable[Any]) -> Any:
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is self.loop:
            raise RuntimeError("LoopRunner called from its own loop; await the coroutine instead")
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(self.timeout)  # type: ignore[arg-type]


async def verify_versions(unit_id: str | None = None) -> list[dict[str, Any]]:
    """Recompute every stored version's content hash; a mismatch means a version was altered."""
    bad = []
    with platform_scope():
        qs = BundleVersion.all().order_by("tenant_id", "number")
        if unit_id:
            qs = qs.filter(tenant_id=unit_id)
        for v in await qs:
            actual = BundleSource("", dict(v.files)).content_hash()
            if actual != v.content_hash:
                bad.append({"unit": v.tenant_id, "version": v.number,  # type: ignore[attr-defined]
                            "stored": v.content_hash, "actual": actual})
    for b in bad:
        log.warning("bundle version altered: unit %s version %s", b["unit"], b["version"])
    return bad


class Jobs:
    """The tasks registered on one huey instance (built in ``create_app`` or ``banwen worker``)."""

    def __init__(self, huey: Huey, run: Callable[[Awaitable[Any]], Any], *, heads_dir: Path | None = None) -> None:
        self.huey = huey
        self._run = run
        self.heads_dir = heads_dir  # where the nightly job notes each audit chain's head, outside the database
        self.verify_versions = huey.task(name="verify_versions")(self._verify_versions)
        self.ping = huey.task(name="ping")(self._ping)
        # huey's clock is UTC: 19:00 UTC is 03:00 in Xinyu (UTC+8), when nobody is working
        huey.periodic_task(crontab(hour="19", minute="0"), name="nightly_verify_versions")(self._nightly)

    def _verify_versions(self, unit_id: str | None = None) -> list[dict[str, Any]]:
        return self._run(verify_versions(unit_id))

    def _nightly(self) -> None:
        self._run(verify_versions(None))
        if self.heads_dir is not None:
            self._run(audit.note_heads(self.heads_dir))

    @staticmethod
    def _ping(value: str) -> str:
        return f"pong:{value}"

    def start_consumer(self, workers: int = 2) -> Any:
        """Start an in-process consumer (threads); returns it so the caller can stop it."""
        consumer = self.huey.create_consumer(workers=workers, periodic=True, initial_delay=0.01,
                                             backoff=1.15, max_delay=0.05, check_worker_health=False)
        # huey's start() installs its own SIGINT/SIGTERM/SIGHUP handlers, which only set a flag that
        # its run() loop would read; we never call run(), so they would swallow the web server's
        # shutdown signals. Keep whatever handlers the host process had.
        saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)}
        try:
            consumer.start()
        finally:
            if threading.current_thread() is threading.main_thread():
                for sig, handler in saved.items():
                    signal.signal(sig, handler)
        return consumer
