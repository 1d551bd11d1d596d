"""The list page at 100,000 records in one unit: ``records.list_records`` as the screens and the API call it.

One unit of the demo city gets 100,000 ``outgoing_doc`` records (bulk insert, untimed). Then each
kind of list query is timed many times: the first page, a page deep in the list reached by
cursor (keyset) and — side by side — the same depth reached by offset, a title search, and an
enum filter. p50 and p99 per kind, and the ratio offset / keyset.

On SQLite by default (a scratch file); ``BANWEN_BENCH_DATABASE_URL=postgres://…/name`` (an empty,
existing database) runs it on PostgreSQL. Run alone with ``python -m benchmarks.records``.
"""

from __future__ import annotations

import asyncio
import os
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

RECORDS = 100_000
ROUNDS = 60
WORDS = ["关于", "做好", "加强", "进一步", "全市", "安全生产", "防汛", "森林防火", "乡村振兴", "营商环境", "数字政府",
         "工作", "的通知", "的意见", "的报告", "的请示", "的函", "实施方案", "专项行动", "年度"]


async def _timed(fn: Callable[[], Awaitable[Any]], rounds: int = ROUNDS) -> tuple[float, float]:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        await fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.99))]


async def _fill(unit: str, n: int) -> None:
    from tenants.models import Record
    from tenants.scope import tenant_scope

    rng = random.Random(2026)
    urgencies = ["无"] * 8 + ["加急", "特急"]
    with tenant_scope(unit):
        batch = []
        for i in range(n):
            title = "".join(rng.sample(WORDS, 5))
            data = {"doc_type": rng.choice(["通知", "意见", "报告", "请示", "函"]), "title": title,
                    "main_recipients": ["各县区人民政府"], "classification": "非涉密", "urgency": rng.choice(urgencies),
                    "body": "正文" * 20}
            batch.append(Record(form="outgoing_doc", form_version=1, title=title, serial=f"余发〔2026〕{i + 1}号",
                                status="draft", data=data, created_by="bench", updated_by="bench"))
            if len(batch) == 2000:
                await Record.bulk_create(batch)
                batch = []
        if batch:
            await Record.bulk_create(batch)


async def run(database_url: str) -> dict[str, tuple[float, float]]:
    from runtime import db, records
    from runtime.auth import hash_password
    from runtime.settings import Settings
    from tenants.bundle import BundleSource
    from tenants.demo import plan_city
    from tenants.store import NewUnit, create_units

    settings = Settings(data_dir=Path(tempfile.mkdtemp()), database_url=database_url)
    await db.connect(settings)
    try:
        await db.migrate(settings)
        plan = plan_city(units=1, users=6)
        u = plan.units[0]
        await create_units([NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users)], author="bench",
                           message="bench", password_hash=hash_password("x"))
        started = time.perf_counter()
        await _fill(u.id, RECORDS)
        if not settings.is_sqlite:  # what autovacuum would do soon after such a load
            from tortoise import Tortoise

            await Tortoise.get_connection("default").execute_script("ANALYZE record")
        print(f"  filled {RECORDS:,} records in {time.perf_counter() - started:.1f} s (untimed below)")

        cursor = None
        for _ in range(1000):  # walk 1,000 pages of 50 to reach record ~50,000 by cursor
            page = await records.list_records(u.id, "outgoing_doc", limit=50, cursor=cursor)
            cursor = page.next_cursor
        deep = cursor
        out = {
            "first page": await _timed(lambda: records.list_records(u.id, "outgoing_doc", limit=50)),
            "page at 50,000 (cursor)": await _timed(lambda: records.list_records(u.id, "outgoing_doc", limit=50,
                                                                                  cursor=deep)),
            "page at 50,000 (offset)": await _timed(lambda: records.list_records(u.id, "outgoing_doc", limit=50,
                                                                                  offset=50_000), rounds=20),
            "title search": await _timed(lambda: records.list_records(u.id, "outgoing_doc", q="森林防火", limit=50)),
            "title search, no match (scan)": await _timed(lambda: records.list_records(u.id, "outgoing_doc",
                                                                                        q="无此标题", limit=50), rounds=20),
            "filter urgency=特急": await _timed(lambda: records.list_records(u.id, "outgoing_doc",
                                                                           filters={"urgency": "特急"}, limit=50)),
            "sort by title": await _timed(lambda: records.list_records(u.id, "outgoing_doc", sort="title", desc=False,
                                                                     limit=50)),
        }
        return out
    finally:
        await db.close()


def bench_records() -> None:
    url = os.environ.get("BANWEN_BENCH_DATABASE_URL") or f"sqlite://{tempfile.mkdtemp()}/bench.db"
    where = "PostgreSQL" if url.startswith("postgres") else "SQLite"
    print(f"\nrecords: list page with {RECORDS:,} records in one unit ({where})")
    results = asyncio.run(run(url))
    print(f"  {'query':<28} {'p50 ms':>8} {'p99 ms':>8}")
    for name, (p50, p99) in results.items():
        print(f"  {name:<28} {p50:>8.2f} {p99:>8.2f}")
    keyset, offset = results["page at 50,000 (cursor)"][0], results["page at 50,000 (offset)"][0]
    print(f"  offset / cursor at depth 50,000: {offset / keyset:.1f}× (the screens and the API page by cursor)")


if __name__ == "__main__":
    bench_records()
