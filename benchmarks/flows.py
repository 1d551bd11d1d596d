"""Task completions per second of the flow engine, beside SpiffWorkflow's load-complete-save (DESIGN §6).

The shape is the seed 发文 flow: after the drafter's start, eight completions per instance —
部门审核, 会签 of three leaders, 签发, 复核, 登记, 核发. ``INSTANCES`` instances are started (untimed)
in the first unit of a small demo city built by the real ``banwen init --demo``; then, round by
round, every open task of every instance is approved through ``engine.act`` — one command at a
time, and again on a fresh set of instances with ``CONCURRENT`` commands in flight at once.

Side by side in the same run, SpiffWorkflow (the peer DESIGN names) on the same shape as plain
BPMN 2.0 (the 会签 as a parallel multi-instance user task of three): for each completion it
selects the serialised workflow, deserialises it, completes one ready task, serialises it and
writes it back in one transaction — on the same kind of database (sqlite3 with WAL and
``synchronous=NORMAL``, or asyncpg on PostgreSQL). It keeps no audit trail, resolves no handlers
and writes no task rows: it is the yardstick DESIGN §6 measures its store designs against. The
two sides take turns, ``CHUNK`` completions each, so that a busy moment of the machine slows both.

SQLite by default (a scratch file); ``BANWEN_BENCH_DATABASE_URL=postgres://…/name`` runs it on that
PostgreSQL server, in a scratch database created and dropped here. Run alone with
``python -m benchmarks.flows``. Without SpiffWorkflow installed (``pip install SpiffWorkflow``) the
peer is skipped and said so.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

INSTANCES = 100
CONCURRENT = 8
CHUNK = 16  # completions per turn when the two sides take turns
COMPLETIONS_PER_INSTANCE = 8
CITY = ["init", "--demo", "--units", "2", "--users", "60", "--exchange-units", "1"]
NODES = [("draft", "起草"), ("dept_review", "部门审核"), ("countersign", "会签"), ("sign_off", "签发"),
         ("recheck", "复核"), ("register", "登记"), ("dispatch", "核发")]


@dataclass
class Rate:
    """Completions done, seconds they took, and per-command latencies (ms; empty when concurrent)."""

    completions: int
    seconds: float
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.completions / self.seconds

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) if self.latencies else float("nan")

    @property
    def p99(self) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]


# --- the database ------------------------------------------------------------------------------

def _pg_admin(url: str) -> str:
    return url.rsplit("/", 1)[0].replace("postgres://", "postgresql://", 1) + "/postgres"


async def _pg_admin_execute(url: str, sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_pg_admin(url))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def _build_city(url: str, data_dir: Path) -> None:
    """The real ``banwen init --demo``, in a child process, on ``url``."""
    env = {**os.environ, "BANWEN_DATA_DIR": str(data_dir), "BANWEN_DATABASE_URL": url,
           "BANWEN_SECRET_KEY": secrets.token_urlsafe(32)}
    done = subprocess.run([sys.executable, "-m", "runtime.cli", *CITY], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"banwen init --demo failed:\n{done.stdout}\n{done.stderr}")


# --- the engine ----------------------------------------------------------------------------------

async def _unit_and_drafters() -> tuple[str, list[str]]:
    """The first unit with three leaders, and people there who hold no post (they draft)."""
    from tenants.models import BundleVersion, Unit, User
    from tenants.scope import tenant_scope

    for u in await Unit.all().order_by("id"):
        with tenant_scope(u.id):
            v = await BundleVersion.filter().order_by("-number").first()
            users = await User.filter(is_active=True).order_by("login")
        org = ((v.resolved or {}).get("org") or {}) if v else {}
        if len(org.get("leaders") or []) < 3:
            continue
        busy = {ld["user"] for ld in org["leaders"]} | {p.get("a_holder") for p in org.get("posts") or []} | \
            {b for p in org.get("posts") or [] for b in p.get("b_holders") or []}
        return u.id, [x.login for x in users if x.department and x.login not in busy][:4]
    raise RuntimeError("the demo city has no unit with three leaders")


async def _start(unit: str, drafters: list[str], n: int) -> list[int]:
    from runtime import records
    from runtime.flows import engine

    out = []
    for i in range(n):
        data = {"doc_type": "通知", "title": f"关于性能测试的通知（{i + 1}）", "main_recipients": ["各科室"],
                "classification": "非涉密", "urgency": "无", "body": "正文。"}
        rec = await records.create(unit, "outgoing_doc", data, drafters[i % len(drafters)])
        out.append((await engine.start(unit, rec.id, rec.created_by)).id)
    return out


async def _open(unit: str, instances: list[int]) -> list[tuple[int, str]]:
    """Open tasks of ``instances`` as (task, assignee); a 会签's three signers' tasks come apart."""
    from tenants.models import Task
    from tenants.scope import tenant_scope

    with tenant_scope(unit):
        rows = await Task.filter(instance_id__in=instances, state="open", blocking=True).values_list("id", "assignee", "seq")
    return [(tid, who) for tid, who, _ in sorted(rows, key=lambda r: (r[2], r[0]))]


class _Engine:
    """Our side: approve the open tasks of ``instances``; the queue is refilled (untimed) once it runs dry."""

    def __init__(self, unit: str, instances: list[int]) -> None:
        self.unit, self.instances = unit, instances
        self.queue: deque[tuple[int, str]] = deque()

    async def take(self, n: int) -> list[Callable[[], Awaitable[Any]]]:
        from runtime.flows import engine

        if not self.queue:
            self.queue.extend(await _open(self.unit, self.instances))
        out = []
        while self.queue and len(out) < n:
            tid, who = self.queue.popleft()
            out.append(lambda tid=tid, who=who: engine.act(self.unit, tid, who, "approve", opinion="同意"))
        return out


async def _side_by_side(ours: _Engine, theirs: Any | None, concurrent: int) -> tuple[Rate, Rate | None]:
    """Alternate chunks of ``CHUNK`` completions between the two sides, so a noisy moment hits both.

    Ours runs ``concurrent`` commands at once (per-command latencies only when one at a time);
    theirs one at a time. Taking the next chunk is not timed.
    """
    mine, peer = Rate(0, 0.0, []), (Rate(0, 0.0, []) if theirs is not None else None)
    gate = asyncio.Semaphore(concurrent)

    async def timed(work: Callable[[], Awaitable[Any]]) -> None:
        async with gate:
            t0 = time.perf_counter()
            await work()
            if concurrent == 1:
                mine.latencies.append((time.perf_counter() - t0) * 1000)

    while True:
        chunk = await ours.take(CHUNK)
        if chunk:
            t0 = time.perf_counter()
            await asyncio.gather(*(timed(w) for w in chunk))
            mine.seconds += time.perf_counter() - t0
            mine.completions += len(chunk)
        other = await theirs.take(CHUNK) if theirs is not None and peer is not None else []
        for work in other:
            t0 = time.perf_counter()
            await work()
            peer.latencies.append((time.perf_counter() - t0) * 1000)  # type: ignore[union-attr]
        if not chunk and not other:
            break
    if peer is not None:
        peer.completions, peer.seconds = len(peer.latencies), sum(peer.latencies) / 1000
    for side, rate in (("Banwen", mine), ("SpiffWorkflow", peer)):
        if rate is not None and rate.completions != INSTANCES * COMPLETIONS_PER_INSTANCE:
            raise RuntimeError(f"{side}: {rate.completions} completions, expected {INSTANCES * COMPLETIONS_PER_INSTANCE}")
    return mine, peer


class _Counter(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.n = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.n += 1


async def _statements(unit: str, drafters: list[str]) -> list[int]:
    """SQL statements (as Tortoise logs them: without BEGIN and COMMIT) of each of one instance's completions."""
    from runtime.flows import engine

    [iid] = await _start(unit, drafters, 1)
    log = logging.getLogger("tortoise.db_client")
    counts = []
    while batch := await _open(unit, [iid]):
        for tid, who in batch:
            counter, level = _Counter(), log.level
            log.addHandler(counter)
            log.setLevel(logging.DEBUG)
            try:
                await engine.act(unit, tid, who, "approve", opinion="同意")
            finally:
                log.removeHandler(counter)
                log.setLevel(level)
            counts.append(counter.n)
    return counts


# --- SpiffWorkflow -------------------------------------------------------------------------------

def spiff_bpmn() -> str:
    """The 发文 shape as plain BPMN 2.0: seven user tasks in a row, the 会签 one a parallel multi-instance of 3."""
    tasks, flows, prev = [], [], "start"
    for i, (nid, name) in enumerate(NODES):
        mi = ('<bpmn:multiInstanceLoopCharacteristics isSequential="false"><bpmn:loopCardinality>3</bpmn:loopCardinality>'
              '</bpmn:multiInstanceLoopCharacteristics>') if nid == "countersign" else ""
        tasks.append(f'<bpmn:userTask id="{nid}" name="{name}">{mi}</bpmn:userTask>')
        flows.append(f'<bpmn:sequenceFlow id="f{i}" sourceRef="{prev}" targetRef="{nid}"/>')
        prev = nid
    flows.append(f'<bpmn:sequenceFlow id="f_end" sourceRef="{prev}" targetRef="end"/>')
    return ('<?xml version="1.0" encoding="UTF-8"?>'
            '<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="bench" '
            'targetNamespace="https://banwen.local/bench"><bpmn:process id="outgoing_doc" isExecutable="true">'
            '<bpmn:startEvent id="start"/>' + "".join(tasks) + '<bpmn:endEvent id="end"/>' + "".join(flows)
            + "</bpmn:process></bpmn:definitions>")


class _Spiff:
    """Spec parsed once; a workflow as JSON text in and out."""

    def __init__(self) -> None:
        from SpiffWorkflow.bpmn.parser import BpmnParser
        from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
        from SpiffWorkflow.bpmn.workflow import BpmnWorkflow
        from SpiffWorkflow.util.task import TaskState

        parser = BpmnParser()
        parser.add_bpmn_str(spiff_bpmn().encode("utf-8"))
        self.spec = parser.get_spec("outgoing_doc")
        self.serializer = BpmnWorkflowSerializer()
        self.workflow_class = BpmnWorkflow
        self.ready = TaskState.READY

    def started(self) -> str:
        """A new workflow with the drafter's task done, as the engine's ``start`` leaves it."""
        wf = self.workflow_class(self.spec)
        wf.do_engine_steps()
        return self.complete(self.serializer.serialize_json(wf))[0]

    def complete(self, state: str) -> tuple[str, bool]:
        """Deserialise, complete the first ready user task, serialise; and whether the workflow ended."""
        wf = self.serializer.deserialize_json(state)
        task = wf.get_tasks(state=self.ready, manual=True)[0]
        task.data["opinion"] = "同意"
        task.run()
        wf.do_engine_steps()
        return self.serializer.serialize_json(wf), wf.is_completed()


class _SpiffSqlite:
    """Their side on SQLite: one row per workflow, load-complete-save in one transaction (sqlite3, WAL)."""

    def __init__(self, spiff: _Spiff, path: Path) -> None:
        self.spiff = spiff
        self.db = sqlite3.connect(path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("CREATE TABLE workflow (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        self.db.execute("BEGIN")
        self.db.executemany("INSERT INTO workflow (id, state) VALUES (?, ?)", [(i, spiff.started()) for i in range(INSTANCES)])
        self.db.execute("COMMIT")
        self.running = deque(range(INSTANCES))  # round robin over the unfinished workflows

    async def take(self, n: int) -> list[Callable[[], Awaitable[Any]]]:
        return [self._work(self.running.popleft()) for _ in range(min(n, len(self.running)))]

    def _work(self, wid: int) -> Callable[[], Awaitable[Any]]:
        async def load_complete_save() -> None:
            self.db.execute("BEGIN IMMEDIATE")
            [state] = self.db.execute("SELECT state FROM workflow WHERE id = ?", (wid,)).fetchone()
            state, ended = self.spiff.complete(state)
            self.db.execute("UPDATE workflow SET state = ? WHERE id = ?", (state, wid))
            self.db.execute("COMMIT")
            if not ended:
                self.running.append(wid)
        return load_complete_save

    async def close(self) -> None:
        self.db.close()


class _SpiffPostgres:
    """Their side on PostgreSQL: the same, over one asyncpg connection (SELECT … FOR UPDATE, UPDATE)."""

    def __init__(self, spiff: _Spiff, conn: Any, table: str) -> None:
        self.spiff, self.conn, self.table = spiff, conn, table
        self.running = deque(range(INSTANCES))

    @classmethod
    async def open(cls, spiff: _Spiff, url: str, table: str) -> _SpiffPostgres:
        import asyncpg

        conn = await asyncpg.connect(url.replace("postgres://", "postgresql://", 1))
        await conn.execute(f"CREATE TABLE {table} (id INTEGER PRIMARY KEY, state TEXT NOT NULL)")
        await conn.executemany(f"INSERT INTO {table} (id, state) VALUES ($1, $2)",
                               [(i, spiff.started()) for i in range(INSTANCES)])
        return cls(spiff, conn, table)

    async def take(self, n: int) -> list[Callable[[], Awaitable[Any]]]:
        return [self._work(self.running.popleft()) for _ in range(min(n, len(self.running)))]

    def _work(self, wid: int) -> Callable[[], Awaitable[Any]]:
        async def load_complete_save() -> None:
            async with self.conn.transaction():
                state = await self.conn.fetchval(f"SELECT state FROM {self.table} WHERE id = $1 FOR UPDATE", wid)
                state, ended = self.spiff.complete(state)
                await self.conn.execute(f"UPDATE {self.table} SET state = $1 WHERE id = $2", state, wid)
            if not ended:
                self.running.append(wid)
        return load_complete_save

    async def close(self) -> None:
        await self.conn.close()


def _spiff() -> tuple[_Spiff | None, str]:
    try:
        from SpiffWorkflow.version import __version__
    except ImportError:
        return None, "SpiffWorkflow is not installed (pip install SpiffWorkflow): the peer is skipped"
    return _Spiff(), f"SpiffWorkflow {__version__}"


async def _peer(spiff: _Spiff | None, url: str, phase: str) -> Any | None:
    if spiff is None:
        return None
    if url.startswith("postgres"):
        return await _SpiffPostgres.open(spiff, url, f"spiff_{phase}")
    return _SpiffSqlite(spiff, Path(tempfile.mkdtemp()) / f"spiff_{phase}.db")


# --- the run -----------------------------------------------------------------------------------

async def run(url: str) -> dict[str, Any]:
    """Both sides on the database ``url`` names (a PostgreSQL server gets a scratch database)."""
    from runtime import db
    from runtime.settings import Settings

    scratch = None
    if url.startswith("postgres"):
        scratch = f"banwen_bench_flows_{uuid.uuid4().hex[:8]}"
        await _pg_admin_execute(url, f'CREATE DATABASE "{scratch}"')
        url = url.rsplit("/", 1)[0] + f"/{scratch}"
    try:
        data_dir = Path(tempfile.mkdtemp())
        _build_city(url, data_dir)
        spiff, peer_name = _spiff()
        await db.connect(Settings(data_dir=data_dir, database_url=url))
        try:
            unit, drafters = await _unit_and_drafters()
            warm = _Engine(unit, await _start(unit, drafters, 5))  # the caches: flows, calendar, forms
            while work := await warm.take(1):
                await work[0]()
            out: dict[str, Any] = {"peer": peer_name}
            for phase, concurrent in (("serial", 1), ("together", CONCURRENT)):
                theirs = await _peer(spiff, url, phase)
                try:
                    out[phase] = await _side_by_side(_Engine(unit, await _start(unit, drafters, INSTANCES)), theirs,
                                                     concurrent)
                finally:
                    if theirs is not None:
                        await theirs.close()
            out["statements"] = await _statements(unit, drafters)
            return out
        finally:
            await db.close()
    finally:
        if scratch:
            await _pg_admin_execute(url, f'DROP DATABASE IF EXISTS "{scratch}" WITH (FORCE)')


def _line(name: str, r: Rate) -> str:
    timing = f"p50 {r.p50:6.2f} ms   p99 {r.p99:6.2f} ms" if r.latencies else ""
    return f"  {name:<54} {r.per_second:8,.0f} /s   {timing}"


def bench_flows() -> None:
    url = os.environ.get("BANWEN_BENCH_DATABASE_URL") or f"sqlite://{tempfile.mkdtemp()}/bench.db"
    where = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"\nflows: task completions, {INSTANCES} 发文 instances × {COMPLETIONS_PER_INSTANCE} approvals ({where})")
    out = asyncio.run(run(url))
    for phase, label in (("serial", "one command at a time"), ("together", f"{CONCURRENT} commands at once")):
        ours, theirs = out[phase]
        print(_line(f"Banwen engine.act, {label}", ours))
        if theirs is None:
            print(f"  {out['peer']}")
            continue
        print(_line(f"{out['peer']} load-complete-save (same turns)", theirs))
        print(f"  ratio Banwen / SpiffWorkflow: {ours.per_second / theirs.per_second:4.2f}×")
    print("  (DESIGN §6 on SQLite: Tortoise one await per statement 0.38×, one-hop store 4.4×)")
    n = out["statements"]
    print(f"  SQL statements per completion (besides BEGIN, COMMIT): {statistics.mean(n):.1f} on average, "
          f"{min(n)}–{max(n)} ({', '.join(map(str, n))})")


if __name__ == "__main__":
    bench_flows()
