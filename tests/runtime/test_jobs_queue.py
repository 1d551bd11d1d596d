"""The job queue works on the configured backend, through ``runtime.jobs``' public API.

Immediate mode runs tasks inline (no consumer); the real consumer runs huey's worker threads
against the SQLite queue in the test's data folder, or against Redis when ``BANWEN_QUEUE_URL``
names one (the second CI run), with coroutines handed to a private event loop by ``LoopRunner``.
"""

from __future__ import annotations

import asyncio
import os
import signal
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from huey import RedisHuey, SqliteHuey
from tortoise import Tortoise

from runtime.auth import hash_password
from runtime.jobs import Jobs, LoopRunner, create_huey, verify_versions
from runtime.settings import Settings
from tenants import demo
from tenants.bundle import BundleSource
from tenants.models import BundleVersion
from tenants.scope import platform_scope
from tenants.store import NewUnit, create_units

IN_CI = bool(os.environ.get("CI"))
# huey's Consumer.start() installs its own handlers for these in the calling (main) thread.
CONSUMER_SIGNALS = [s for s in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)) if s is not None]


async def _build_city(settings: Settings) -> demo.CityPlan:
    """A tiny demo city (5 units, 40 users), each unit with its published version 1."""
    plan = demo.plan_city(units=5, users=40, exchange_units=3)
    batch = [NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    count = await create_units(batch, author="test", message="jobs test", password_hash=hash_password("x"))
    assert count == 5
    return plan


async def _tamper(settings: Settings, unit_id: str, number: int) -> None:
    """Alter a stored version behind the ORM's back (versions are immutable through it)."""
    marks = ("?", "?") if settings.is_sqlite else ("$1", "$2")
    sql = f"UPDATE bundle_version SET content_hash = 'x' WHERE tenant_id = {marks[0]} AND number = {marks[1]}"
    await Tortoise.get_connection("default").execute_query(sql, [unit_id, number])


async def _stored_hash(unit_id: str, number: int) -> str:
    with platform_scope():
        version = await BundleVersion.get(tenant_id=unit_id, number=number)
    return version.content_hash


# ---------------------------------------------------------------- immediate mode


def test_immediate_ping(settings: Settings) -> None:
    jobs = Jobs(create_huey(settings, immediate=True), asyncio.run)
    assert jobs.ping("x").get() == "pong:x"


async def test_verify_versions_finds_altered_version(database: Settings) -> None:
    plan = await _build_city(database)
    assert await verify_versions() == []

    victim = plan.units[2].id
    original = await _stored_hash(victim, 1)
    await _tamper(database, victim, 1)

    expected = [{"unit": victim, "version": 1, "stored": "x", "actual": original}]
    assert await verify_versions() == expected
    assert await verify_versions(victim) == expected
    assert await verify_versions(plan.units[0].id) == []


async def test_verify_versions_task_immediate(database: Settings) -> None:
    """The task itself, inline: it runs in a worker thread and hands the check to this loop."""
    plan = await _build_city(database)
    jobs = Jobs(create_huey(database, immediate=True), LoopRunner(asyncio.get_running_loop(), timeout=60))
    assert await asyncio.to_thread(lambda: jobs.verify_versions().get()) == []

    victim = plan.units[1].id
    await _tamper(database, victim, 1)
    bad = await asyncio.to_thread(lambda: jobs.verify_versions(victim).get())
    assert [(b["unit"], b["version"], b["stored"]) for b in bad] == [(victim, 1, "x")]


# ---------------------------------------------------------------- the real consumer


@pytest.fixture
def huey_for_settings(settings: Settings) -> Iterator[Any]:
    """The queue ``create_huey`` builds from the settings, emptied before and after the test."""
    huey = create_huey(settings)
    if settings.queue_url and settings.queue_url.startswith("redis"):
        assert isinstance(huey, RedisHuey), f"BANWEN_QUEUE_URL={settings.queue_url} did not give a RedisHuey"
        try:
            huey.storage.conn.ping()
        except Exception as exc:
            if IN_CI:
                pytest.fail(f"Redis named by BANWEN_QUEUE_URL ({settings.queue_url}) is unreachable in CI: {exc}")
            pytest.skip(f"Redis named by BANWEN_QUEUE_URL ({settings.queue_url}) is unreachable: {exc}")
    else:
        assert isinstance(huey, SqliteHuey)
    huey.flush()
    try:
        yield huey
    finally:
        huey.flush()
        huey.storage.close()


@pytest.fixture
def private_loop() -> Iterator[asyncio.AbstractEventLoop]:
    """An event loop running in a background thread (what ``banwen worker`` sets up)."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="test-jobs-loop", daemon=True)
    thread.start()
    try:
        yield loop
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _start(jobs: Jobs) -> Any:
    saved = {s: signal.getsignal(s) for s in CONSUMER_SIGNALS}
    try:
        return jobs.start_consumer(workers=1)
    finally:  # give Ctrl-C and SIGTERM back to pytest
        for s, handler in saved.items():
            signal.signal(s, handler)


def test_consumer_runs_ping(settings: Settings, huey_for_settings: Any,
                            private_loop: asyncio.AbstractEventLoop) -> None:
    jobs = Jobs(huey_for_settings, LoopRunner(private_loop))
    consumer = _start(jobs)
    try:
        result = jobs.ping("abc")
        assert result.get(blocking=True, timeout=10) == "pong:abc"
    finally:
        consumer.stop(graceful=True)


def test_consumer_runs_verify_versions(settings: Settings, huey_for_settings: Any,
                                       private_loop: asyncio.AbstractEventLoop) -> None:
    """A database task end to end: the worker thread hands the check to the loop owning the ORM."""
    from runtime import db

    def on_loop(coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, private_loop).result(120)

    async def setup() -> str:
        await Tortoise.init(config=db.tortoise_config(settings.database_url), _enable_global_fallback=True)
        await db.migrate(settings)
        plan = await _build_city(settings)
        victim = plan.units[3].id
        await _tamper(settings, victim, 1)
        return victim

    victim = on_loop(setup())
    try:
        jobs = Jobs(huey_for_settings, LoopRunner(private_loop))
        consumer = _start(jobs)
        try:
            bad = jobs.verify_versions().get(blocking=True, timeout=30)
            assert [(b["unit"], b["version"], b["stored"]) for b in bad] == [(victim, 1, "x")]
        finally:
            consumer.stop(graceful=True)
    finally:
        on_loop(Tortoise.close_connections())
