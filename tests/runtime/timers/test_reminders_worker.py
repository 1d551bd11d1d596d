"""The kill test (issue 6): a ``banwen worker`` is killed mid-run; after a restart every due reminder
fires, and each only once.

Real processes on the test's database and queue (SQLite by default; Redis when ``BANWEN_QUEUE_URL``
names one, as in the second CI run). Twenty tasks get reminder moments a few seconds ahead,
staggered; half of them also get exact-time ``remind`` jobs queued, the other half rely on the sweep
alone (``BANWEN_SWEEP_SECONDS=1`` here, every minute by default). The worker is SIGKILLed once some
reminders have fired and others are pending, stays dead while more fall due, and is started again.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from huey import RedisHuey
from serving import banwen_command, tail
from tortoise import Tortoise
from tortoise.timezone import localtime

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "flows"))  # the flow tests' helpers
from flowtools import doc_data, open_tasks, people_of

from runtime import db, records
from runtime.cli import cli
from runtime.flows import engine
from runtime.jobs import Jobs, create_huey
from runtime.settings import Settings
from tenants.models import AuditEvent, Notification, Task
from tenants.scope import tenant_scope

CITY = ["init", "--demo", "--units", "2", "--users", "60", "--exchange-units", "1"]
TASKS = 20
KINDS = ("warning", "due", "overdue")
LEAD = 3.0  # seconds from setting the moments to the first of them (the worker starts in ~1.5 s)
STEP = 0.6  # seconds between one task's moments and the next task's


@pytest.fixture
def queue(settings: Settings) -> Iterator[Any]:
    """The queue ``banwen worker`` will use, emptied before and after (Redis is shared between runs)."""
    huey = create_huey(settings)
    if isinstance(huey, RedisHuey):
        try:
            huey.storage.conn.ping()
        except Exception as exc:
            if os.environ.get("CI"):
                pytest.fail(f"Redis named by BANWEN_QUEUE_URL ({settings.queue_url}) is unreachable in CI: {exc}")
            pytest.skip(f"Redis named by BANWEN_QUEUE_URL ({settings.queue_url}) is unreachable: {exc}")
    huey.flush()
    try:
        yield huey
    finally:
        huey.flush()
        huey.storage.close()


class Worker:
    """``banwen worker`` as a process, its output in a file."""

    def __init__(self, env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("a") as out:
            self.proc = subprocess.Popen([*banwen_command(), "worker", "--workers", "2"], env=env,
                                         stdout=out, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while "worker running" not in log.read_text(errors="replace").split("~~~")[-1]:
            if self.proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"banwen worker did not start ({self.proc.returncode}):\n{tail(log)}")
            time.sleep(0.05)

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)
        with self.log.open("a") as out:
            out.write("\n~~~ killed ~~~\n")

    def stop(self) -> int:
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            return -1


def _now() -> datetime:
    return localtime(datetime.now(UTC))


async def _setup() -> tuple[str, list[int]]:
    p = await people_of()
    ids = []
    for i in range(TASKS):
        drafter = p.staff(n=i % 8)
        rec = await records.create(p.unit, "outgoing_doc", doc_data(f"限时文件 {i + 1}"), drafter)
        inst = await engine.start(p.unit, rec.id, drafter)
        [task] = await open_tasks(p.unit, inst.id)
        ids.append(task.id)
    return p.unit, ids


async def _stagger(unit: str, ids: list[int]) -> None:
    """Each task's warning, due and overdue moments a few seconds ahead, a little later for each task."""
    base = _now() + timedelta(seconds=LEAD)
    with tenant_scope(unit):
        for i, tid in enumerate(ids):
            warn = base + timedelta(seconds=i * STEP)
            await Task.filter(id=tid).update(warn_at=warn, due_at=warn + timedelta(seconds=STEP / 3),
                                             deadline=warn + timedelta(seconds=2 * STEP / 3))


async def _fired(unit: str) -> list[tuple[str, str, Any, datetime]]:
    with tenant_scope(unit):
        return list(await AuditEvent.filter(action__startswith="remind_").values_list("obj", "action", "after", "at"))


async def _state(unit: str, ids: list[int]) -> tuple[list[str], list[Task]]:
    with tenant_scope(unit):
        keys = list(await Notification.filter(kind__in=KINDS).values_list("dedup", flat=True))
        tasks = list(await Task.filter(id__in=ids))
    return keys, tasks


def _wait(loop: asyncio.AbstractEventLoop, unit: str, enough: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while True:
        n = len(loop.run_until_complete(_fired(unit)))
        if n >= enough or time.monotonic() > deadline:
            return n
        time.sleep(0.1)


def test_every_due_reminder_fires_once_after_the_worker_is_killed(settings: Settings, cli_env: dict[str, str],
                                                                 queue: Any, tmp_path: Path) -> None:
    assert CliRunner().invoke(cli, CITY, env=cli_env).exit_code == 0
    env = {**os.environ, **cli_env, "BANWEN_SWEEP_SECONDS": "1"}
    total = TASKS * len(KINDS)
    loop = asyncio.new_event_loop()  # the ORM stays open on it between the steps of this (sync) test
    loop.run_until_complete(Tortoise.init(config=db.tortoise_config(settings.database_url), _enable_global_fallback=True))
    worker = None
    try:
        unit, ids = loop.run_until_complete(_setup())
        loop.run_until_complete(_stagger(unit, ids))
        jobs = Jobs(queue, run=lambda coro: None)  # this side only enqueues, as the web app would
        _, rows = loop.run_until_complete(_state(unit, ids[::2]))
        # exact-time jobs for half the tasks; the sweep alone for the others
        assert sum(jobs.schedule_reminders(unit, t) for t in rows) == len(rows) * len(KINDS)

        worker = Worker(env, tmp_path / "worker.log")
        before_kill = _wait(loop, unit, total // 4, 20)
        worker.kill()
        at_kill = len(loop.run_until_complete(_fired(unit)))
        assert 0 < at_kill < total, f"the kill should come while reminders are pending ({at_kill}/{total})"
        time.sleep(2 * STEP * 2)  # more reminders fall due while no worker runs
        assert len(loop.run_until_complete(_fired(unit))) == at_kill  # nobody else fires them

        restarted = _now()
        worker = Worker(env, tmp_path / "worker.log")
        fired_all = _wait(loop, unit, total, 25)
        time.sleep(2.5)  # a few more sweeps and any queued remind jobs: none may fire anything again
        assert worker.stop() == 0, tail(worker.log)
        worker = None

        events = loop.run_until_complete(_fired(unit))
        keys, tasks = loop.run_until_complete(_state(unit, ids))
    finally:
        if worker is not None:
            worker.proc.kill()
            worker.proc.wait(10)
        loop.run_until_complete(db.close())
        loop.close()

    assert before_kill >= total // 4 and fired_all == total, tail(tmp_path / "worker.log")
    per_reminder = Counter((obj, action) for obj, action, _, _ in events)
    assert per_reminder == {(f"task:{tid}", f"remind_{k}"): 1 for tid in ids for k in KINDS}
    # every reminder's recipients got one notification each, and nobody got one twice
    expected = sorted(f"{unit}:{obj.split(':')[1]}:{action.removeprefix('remind_')}:{login}"
                      for obj, action, after, _ in events for login in after["to"])
    assert sorted(keys) == expected and len(keys) == len(set(keys)) >= total
    assert all(t.warned_at and t.due_sent_at and t.overdue_sent_at for t in tasks)
    # the reminders still pending at the kill were fired by the restarted worker
    after_restart = [e for e in events if localtime(e[3]) >= restarted]
    assert len(after_restart) == total - at_kill
