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
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab
from huey.consumer import Consumer

from runtime.settings import Settings
from runtime.timers import reminders
from tenants import audit
from tenants.bundle import BundleSource
from tenants.models import BundleVersion, Task
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
    """The tasks registered on one huey instance (built in ``create_app`` or ``banwen worker``).

    ``sweep_reminders`` runs every minute through huey's periodic scheduler, and every
    ``sweep_seconds`` when that is shorter (huey checks periodic tasks once a minute only).
    """

    def __init__(self, huey: Huey, run: Callable[[Awaitable[Any]], Any], *, heads_dir: Path | None = None,
                 sweep_seconds: int = 60) -> None:
        self.huey = huey
        self._run = run
        self.heads_dir = heads_dir  # where the nightly job notes each audit chain's head, outside the database
        self.sweep_seconds = sweep_seconds
        self._sweeping = threading.Lock()
        self.verify_versions = huey.task(name="verify_versions")(self._verify_versions)
        self.ping = huey.task(name="ping")(self._ping)
        self.remind = huey.task(name="remind")(self._remind)
        # huey's clock is UTC: 19:00 UTC is 03:00 in Xinyu (UTC+8), when nobody is working
        huey.periodic_task(crontab(hour="19", minute="0"), name="nightly_verify_versions")(self._nightly)
        self.sweep = huey.periodic_task(crontab(), name="sweep_reminders")(self._sweep)

    def _verify_versions(self, unit_id: str | None = None) -> list[dict[str, Any]]:
        return self._run(verify_versions(unit_id))

    def _nightly(self) -> None:
        self._run(verify_versions(None))
        if self.heads_dir is not None:
            self._run(audit.note_heads(self.heads_dir))

    @staticmethod
    def _ping(value: str) -> str:
        return f"pong:{value}"

    def _sweep(self) -> None:
        """Fire every due reminder (runtime.timers.reminders); one sweep at a time per process."""
        if not self._sweeping.acquire(blocking=False):
            return  # the previous sweep is still running; it will see whatever this one would
        try:
            done = self._run(reminders.fire_due())
        finally:
            self._sweeping.release()
        if done["fired"] or done["deadlines"] or done["errors"]:
            log.info("sweep: %s reminder(s) fired, %s deadline(s) set, %s error(s)",
                     len(done["fired"]), len(done["deadlines"]), len(done["errors"]))

    def _remind(self, unit: str, task_id: int) -> None:
        """Fire what is due of one task, at its exact time; idempotent, and the sweep covers a lost one."""
        self._run(reminders.fire_due(unit=unit, task_id=task_id))

    def remind_at(self, unit: str, task_id: int, eta: datetime) -> None:
        """Schedule ``remind`` for ``eta`` (an aware datetime): an early call, never the only one."""
        self.remind.schedule(args=(unit, task_id), eta=eta)

    def schedule_reminders(self, unit: str, task: Task) -> int:
        """Schedule ``remind`` at each unsent reminder moment of a new task; returns how many.

        A second late: an overdue reminder is due once the deadline has *passed*.
        """
        times = reminders.reminder_times(task)
        for moment in times:
            self.remind_at(unit, task.id, moment + timedelta(seconds=1))
        return len(times)

    def start_consumer(self, workers: int = 2) -> Any:
        """Start an in-process consumer (threads); returns it so the caller can stop it."""
        consumer = _Consumer(self.huey, workers=workers, periodic=True, initial_delay=0.01, backoff=1.15,
                             max_delay=0.05, check_worker_health=False,
                             tick=self.sweep if self.sweep_seconds < 60 else None, every=self.sweep_seconds)
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


class _Consumer(Consumer):
    """huey's consumer, plus a ticker that enqueues ``tick`` every ``every`` seconds while it runs."""

    def __init__(self, huey: Huey, *, tick: Callable[[], Any] | None = None, every: float = 60, **options: Any) -> None:
        super().__init__(huey, **options)
        self._tick, self._every = tick, every
        self._ticking = threading.Event()

    def start(self) -> None:
        super().start()
        if self._tick is not None:
            threading.Thread(target=self._ticker, name="banwen-sweep-ticker", daemon=True).start()

    def _ticker(self) -> None:
        while not self._ticking.wait(self._every):
            try:
                self._tick()
            except Exception:  # a queue hiccup must not end the ticker; the next tick tries again
                log.exception("could not enqueue the reminder sweep")

    def stop(self, graceful: bool = False) -> None:
        self._ticking.set()
        super().stop(graceful=graceful)
