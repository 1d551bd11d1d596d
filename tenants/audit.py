"""The audit trail: every state change as an append-only event, hash-chained per unit (DESIGN §4).

An event's ``hash`` is the sha256 of a canonical JSON of all its other columns (``canonical``),
``prev_hash`` included, so each unit's events form a chain that ``verify`` walks:

- an edited row no longer matches its hash (*altered*);
- a removed row leaves a gap in ``seq`` or a ``prev_hash`` that names no neighbour (*deleted*);
- a forged row slipped between two events is skipped over by the next event's ``prev_hash``,
  or occupies a position twice (*inserted*).

What a chain cannot show on its own: the removal of its *newest* events (the chain is merely
shorter), and events appended — or a whole tail rewritten — by someone who recomputes the hashes,
since no secret goes into them. Both are caught only by comparing with a head (``seq`` and hash)
noted earlier outside the database: ``banwen audit verify`` prints it for that purpose.

``record`` is awaited inside the caller's transaction so the event commits or rolls back with the
change it describes. Who acts comes from ``actor_context`` (set per request by the web app, per
command by the CLI) unless the caller names the actor.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
import os
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from enum import Enum
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient, TransactionalDBClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q
from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from tenants.errors import BanwenError, Conflict, NotFound
from tenants.models import AuditEvent, Unit
from tenants.scope import ScopeMissing, current_tenant, platform_scope, tenant_scope

GENESIS = "0" * 64  # the prev_hash of a unit's first event
CITY_TZ = ZoneInfo("Asia/Shanghai")
BATCH = 2000  # rows per read while walking or exporting a chain
# Column widths of the table (PostgreSQL enforces them; SQLite would silently store more).
_LIMITS = {"actor": 64, "acting_for": 64, "client": 64, "obj": 200, "action": 64}
# The public shape of an event (query, export): alias → model field.
_COLUMNS = {"id": "id", "unit": "tenant_id", "seq": "seq", "at": "at", "actor": "actor", "acting_for": "acting_for",
            "object": "obj", "action": "action", "before": "before", "after": "after", "client": "client",
            "prev_hash": "prev_hash", "hash": "hash"}


# --- who is acting ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Actor:
    """Who acts (login or ``cli:<os user>``), for whom (a B holder acting for A), and from where."""

    actor: str
    acting_for: str | None = None
    client: str | None = None


_actor: ContextVar[Actor | None] = ContextVar("banwen_audit_actor", default=None)


@contextmanager
def actor_context(actor: str, *, acting_for: str | None = None, client: str | None = None) -> Iterator[Actor]:
    """Record events in this block as done by ``actor`` (per request in the web app, per CLI command)."""
    if not actor:
        raise ValueError("actor_context needs an actor")
    value = Actor(actor, acting_for, client)
    token = _actor.set(value)
    try:
        yield value
    finally:
        _actor.reset(token)


def current_actor() -> Actor | None:
    return _actor.get()


# --- the hash --------------------------------------------------------------------------------

def json_safe(value: Any) -> Any:
    """``value`` as plain JSON that reads back identically from SQLite JSON and PostgreSQL JSONB.

    Dates become ISO strings; integral floats become ints and NUL characters U+FFFD, because JSONB
    would return ``1e16`` as ``10000000000000000`` and refuses ``\\u0000`` — the hash is computed
    over the stored form, so the stored form must survive the round trip.
    """
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        return int(value) if value.is_integer() else value
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Enum):
        return json_safe(value.value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((json_safe(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True, ensure_ascii=False))
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return str(value)  # Path, UUID and the like: their text is what an auditor reads


def utc_text(at: datetime | str) -> str:
    """The hashed form of a time: UTC, ISO-8601, always with microseconds."""
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    if at.tzinfo is None:
        raise ValueError("audit times must carry a time zone")
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def canonical(event: Mapping[str, Any]) -> str:
    """The text that is hashed: every column but ``id`` and ``hash``, keys sorted, no spaces.

    ``event`` has the public shape (``unit``, ``object``, …) that ``query`` and the JSONL export
    give, so an exported event can be re-hashed outside Banwen.
    """
    doc = {"tenant_id": event["unit"], "seq": event["seq"], "at": utc_text(event["at"]), "actor": event["actor"],
           "acting_for": event["acting_for"], "object": event["object"], "action": event["action"],
           "before": event["before"], "after": event["after"], "client": event["client"],
           "prev_hash": event["prev_hash"]}
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def event_hash(event: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(event).encode("utf-8")).hexdigest()


# --- recording -------------------------------------------------------------------------------

class EventRefused(BanwenError):
    """An event that cannot be recorded: no actor, no unit, or a value too long for its column."""


@dataclass(frozen=True)
class Event:
    """An event to record; unset fields come from the tenant scope and ``actor_context``."""

    obj: str
    action: str
    tenant: str | None = None
    before: Any = None
    after: Any = None
    actor: str | None = None
    acting_for: str | None = None
    client: str | None = None


async def record(obj: str, action: str, *, before: Any = None, after: Any = None, tenant: str | None = None,
                 actor: str | None = None, acting_for: str | None = None, client: str | None = None) -> AuditEvent:
    """Append one event to the unit's chain, inside the caller's transaction (or a new one)."""
    event = Event(obj, action, tenant, before, after, actor, acting_for, client)
    return (await _append([_resolve(event)]))[0]


async def record_many(events: Iterable[Event]) -> int:
    """Append many events (one or more units) with one INSERT batch; returns how many.

    Ids are not read back from a batch insert, so no rows are returned.
    """
    ready = [_resolve(e) for e in events]
    if ready:
        await _append(ready, bulk=True)
    return len(ready)


def _resolve(event: Event) -> dict[str, Any]:
    """Fill the event from the scope and the actor context and check it, before any I/O."""
    ctx = _actor.get()
    actor = event.actor or (ctx.actor if ctx else None)
    acting_for = event.acting_for
    if acting_for is None and ctx is not None and actor == ctx.actor:
        acting_for = ctx.acting_for
    client = event.client if event.client is not None else (ctx.client if ctx else None)
    tenant = event.tenant
    if tenant is None:
        try:
            tenant = current_tenant()
        except ScopeMissing:
            tenant = None
    if not actor:
        raise EventRefused("审计事件必须记录操作人，未作任何修改。", "An audit event needs an actor; nothing was changed.")
    if not tenant:
        raise EventRefused("审计事件必须属于某个单位，未作任何修改。", "An audit event needs a unit; nothing was changed.")
    values = {"actor": actor, "acting_for": acting_for, "client": client, "obj": event.obj, "action": event.action}
    for name, text in values.items():
        if text is None:
            continue
        if not isinstance(text, str) or "\x00" in text or len(text) > _LIMITS[name] or (name in ("obj", "action") and not text):
            raise EventRefused(f"审计事件的 {name} 无效（须为不超过 {_LIMITS[name]} 字的文字）：{text!r}",
                               f"Invalid audit event {name} (text of at most {_LIMITS[name]} characters): {text!r}")
    return {"unit": tenant, **{("object" if k == "obj" else k): v for k, v in values.items()},
            "before": json_safe(event.before), "after": json_safe(event.after)}


async def _append(events: list[dict[str, Any]], *, bulk: bool = False) -> list[AuditEvent]:
    conn = Tortoise.get_connection("default")
    if isinstance(conn, TransactionalDBClient):
        return await _append_in(conn, events, bulk)
    async with in_transaction() as tx:
        return await _append_in(tx, events, bulk)


async def _append_in(conn: BaseDBAsyncClient, events: list[dict[str, Any]], bulk: bool) -> list[AuditEvent]:
    """Lock the chains, read their heads, link the new events on and insert them.

    On PostgreSQL the unit rows are locked ``FOR NO KEY UPDATE`` (in id order, so two writers
    never wait on each other crosswise): it serialises appends to one chain, yet does not conflict
    with the key-share locks that inserting any row referencing the unit takes. On SQLite the
    write transaction already serialises. The unique (tenant, seq) stays the last line of defence.
    """
    units = sorted({e["unit"] for e in events})
    found: set[str] = set()
    heads: dict[str, tuple[int, str]] = {}
    for chunk in _chunks(units, 500):
        found |= {r["id"] for r in await conn.execute_query_dict(
            f'SELECT "id" FROM "unit" WHERE "id" IN ({_marks(conn, len(chunk))}) ORDER BY "id"'
            + (" FOR NO KEY UPDATE" if _dialect(conn) == "postgres" else ""), chunk)}
        for r in await conn.execute_query_dict(
                'SELECT e."tenant_id", e."seq", e."hash" FROM "audit_event" e JOIN (SELECT "tenant_id", MAX("seq") AS "seq" '
                f'FROM "audit_event" WHERE "tenant_id" IN ({_marks(conn, len(chunk))}) GROUP BY "tenant_id") m '
                'ON m."tenant_id" = e."tenant_id" AND m."seq" = e."seq"', chunk):
            heads[r["tenant_id"]] = (int(r["seq"]), r["hash"])
    missing = [u for u in units if u not in found]
    if missing:
        raise NotFound(f"单位 “{missing[0]}” 不存在，审计事件未记录。", f"Unit '{missing[0]}' does not exist; no event was recorded.")
    at = datetime.now(UTC)  # taken under the lock, so times follow seq within a chain
    rows = []
    for e in events:
        seq, prev = heads.get(e["unit"], (0, GENESIS))
        full = {**e, "seq": seq + 1, "at": at, "prev_hash": prev}
        full["hash"] = event_hash(full)
        heads[e["unit"]] = (seq + 1, full["hash"])
        rows.append(AuditEvent(tenant_id=e["unit"], seq=full["seq"], at=at, actor=e["actor"], acting_for=e["acting_for"],
                               obj=e["object"], action=e["action"], before=e["before"], after=e["after"],
                               client=e["client"], prev_hash=prev, hash=full["hash"]))
    try:
        if bulk:
            with platform_scope():
                await AuditEvent.bulk_create(rows, batch_size=500, using_db=conn)
        else:
            for row in rows:
                with tenant_scope(row.tenant_id):  # type: ignore[attr-defined]
                    await row.save(using_db=conn)
    except IntegrityError:
        raise Conflict("审计链同时被另一操作写入，本次操作未完成，请重试。",
                       "Another operation wrote to the audit chain at the same moment; nothing was changed, try again.") from None
    return rows


def _dialect(conn: BaseDBAsyncClient) -> str:
    return conn.capabilities.dialect


def _marks(conn: BaseDBAsyncClient, n: int) -> str:
    if _dialect(conn) == "postgres":
        return ", ".join(f"${i}" for i in range(1, n + 1))
    return ", ".join("?" * n)


def _chunks(items: list[Any], size: int) -> Iterator[list[Any]]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


# --- reading ---------------------------------------------------------------------------------

async def _require_unit(unit: str) -> None:
    if not await Unit.exists(id=unit):
        raise NotFound(f"单位 “{unit}” 不存在。", f"Unit '{unit}' does not exist.")


async def _batches(unit: str, *, since: datetime | None = None, until: datetime | None = None) -> AsyncIterator[list[dict]]:
    """The unit's events in chain order, ``BATCH`` at a time (keyset on seq, id: no OFFSET scans)."""
    last: tuple[int, int] | None = None
    while True:
        with tenant_scope(unit):  # entered per read only: the scope must not leak to the consumer
            qs = AuditEvent.filter()
            if since is not None:
                qs = qs.filter(at__gte=_db_time(since))
            if until is not None:
                qs = qs.filter(at__lt=_db_time(until))
            if last is not None:
                qs = qs.filter(Q(seq__gt=last[0]) | Q(seq=last[0], id__gt=last[1]))
            rows = await qs.order_by("seq", "id").limit(BATCH).values(**_COLUMNS)
        if not rows:
            return
        yield rows
        if len(rows) < BATCH:
            return
        last = (rows[-1]["seq"], rows[-1]["id"])


def _public(row: dict[str, Any]) -> dict[str, Any]:
    """A stored event as JSON-ready values; ``at`` in the city's time, which hashes the same."""
    return {**row, "at": row["at"].astimezone(CITY_TZ).isoformat(timespec="microseconds")}


def _local(at: datetime) -> str:
    return at.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M:%S")


async def query(tenant: str | None, *, actor: str | None = None, action: str | None = None, obj: str | None = None,
                since: datetime | None = None, until: datetime | None = None, limit: int = 50,
                offset: int = 0) -> tuple[list[dict[str, Any]], int]:
    """One page of events, newest first, and how many match (the auditor's console, the JSON API).

    Filters are exact; ``obj`` ending in ``:`` or ``*`` is a prefix (``appointment:*``).
    ``since`` and ``until`` are both inclusive; a naive time is read as the city's time.
    ``tenant=None`` searches every unit (the city auditor).
    """
    if not 1 <= limit <= 1000 or offset < 0:
        raise BanwenError("每页 1–1000 条，起点不能为负。", "limit must be 1–1000 and offset not negative.")
    if tenant is not None:
        await _require_unit(tenant)
    with tenant_scope(tenant) if tenant is not None else platform_scope():
        qs = AuditEvent.filter()
        if actor:
            qs = qs.filter(actor=actor)
        if action:
            qs = qs.filter(action=action)
        if obj:
            qs = qs.filter(obj__startswith=obj.removesuffix("*")) if obj.endswith(("*", ":")) else qs.filter(obj=obj)
        if since is not None:
            qs = qs.filter(at__gte=_db_time(since))
        if until is not None:
            qs = qs.filter(at__lte=_db_time(until))
        total = await qs.count()
        order = ("-seq",) if tenant is not None else ("-at", "-id")
        rows = await qs.order_by(*order).offset(offset).limit(limit).values(**_COLUMNS)
    return [_public(r) for r in rows], total


def _db_time(at: datetime) -> datetime:
    """A time bound as the ORM stores times: in its configured zone (Asia/Shanghai, runtime.db).

    SQLite keeps times as text and compares them as text, so a bound written with another UTC
    offset than the stored rows would compare wrongly; a naive bound is taken as city time.
    """
    return localtime(at if at.tzinfo is not None else at.replace(tzinfo=CITY_TZ))


# --- verifying -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Problem:
    """The first break in a chain: what (altered, deleted, inserted), where, in both languages."""

    kind: str
    unit: str
    seq: int
    event_id: int
    at: datetime
    zh: str
    en: str

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "unit": self.unit, "seq": self.seq, "event_id": self.event_id,
                "at": self.at.astimezone(CITY_TZ).isoformat(), "message_zh": self.zh, "message_en": self.en}


@dataclass(frozen=True)
class ChainReport:
    """One unit's chain: events read, its head (seq 0 and ``GENESIS`` when empty), first problem."""

    unit: str
    events: int
    head_seq: int
    head_hash: str
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None

    def as_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "events": self.events, "head_seq": self.head_seq, "head_hash": self.head_hash,
                "ok": self.ok, "problem": self.problem.as_json() if self.problem else None}


@dataclass(frozen=True)
class VerifyReport:
    chains: tuple[ChainReport, ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.chains)

    @property
    def broken(self) -> list[ChainReport]:
        return [c for c in self.chains if not c.ok]

    @property
    def events(self) -> int:
        return sum(c.events for c in self.chains)

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "units": len(self.chains), "events": self.events,
                "chains": [c.as_json() for c in self.chains]}


@dataclass(frozen=True)
class _Linked:
    """The last event that checked out: what the next one must follow."""

    seq: int
    hash: str
    prev_hash: str
    id: int
    at: datetime


class ChainWalk:
    """Checks one chain fed row by row in seq order; pure, so it is tested without a database.

    A row that does not fit is judged with the row after it in hand: if that one links back past
    it to the last good event, the misfit was *inserted*. Otherwise a row still linked to its
    predecessor but not matching its own hash was *altered*, and a row that links elsewhere (or
    after a gap in ``seq``) follows *deleted* events. Only the first problem is reported: after
    it, every later row is suspect anyway, so the walk just counts to the head.
    """

    def __init__(self, unit: str) -> None:
        self.unit = unit
        self.events = 0
        self.head_seq = 0
        self.head_hash = GENESIS
        self.problem: Problem | None = None
        self._last: _Linked | None = None
        self._suspect: dict[str, Any] | None = None

    def feed(self, row: Mapping[str, Any]) -> None:
        self.events += 1
        self.head_seq, self.head_hash = row["seq"], row["hash"]
        if self.problem is not None:
            return
        if self._suspect is not None:
            self.problem = self._judge(self._suspect, row)
            return
        last = self._last
        if last is not None and row["seq"] == last.seq:
            self.problem = self._found("inserted", row, "与另一条事件占用同一序号", "it occupies the same position as another event")
            return
        expected_seq, expected_link = (last.seq + 1, last.hash) if last else (1, GENESIS)
        if row["seq"] == expected_seq and row["prev_hash"] == expected_link and event_hash(row) == row["hash"]:
            self._last = _Linked(row["seq"], row["hash"], row["prev_hash"], row["id"], row["at"])
            return
        if last is not None and row["prev_hash"] != expected_link and row["prev_hash"] == last.prev_hash:
            # this row still links to the event before the last good one: that one was slipped in
            self.problem = self._found("inserted", {"seq": last.seq, "id": last.id, "at": last.at},
                                       "其后的事件越过它链接到上一条事件", "the next event links past it to the one before")
            return
        self._suspect = dict(row)

    def finish(self) -> ChainReport:
        if self.problem is None and self._suspect is not None:
            self.problem = self._judge(self._suspect, None)
        return ChainReport(self.unit, self.events, self.head_seq, self.head_hash, self.problem)

    def _judge(self, row: Mapping[str, Any], following: Mapping[str, Any] | None) -> Problem:
        last = self._last
        expected_seq, expected_link = (last.seq + 1, last.hash) if last else (1, GENESIS)
        if following is not None and following["prev_hash"] == expected_link:
            return self._found("inserted", row, "其后的事件越过它链接到上一条事件", "the next event links past it to the one before")
        intact = event_hash(row) == row["hash"]
        if row["prev_hash"] == expected_link:
            if not intact:
                return self._found("altered", row, "内容与其哈希不符", "its content does not match its hash")
            return self._found("altered", row, "序号被改动", "its sequence number was changed")
        if row["seq"] > expected_seq:
            gap = f"{expected_seq}" if row["seq"] - 1 == expected_seq else f"{expected_seq}–{row['seq'] - 1}"
            return Problem("deleted", self.unit, row["seq"], row["id"], row["at"],
                           f"单位 {self.unit}：第 {gap} 条审计事件已被删除（序号缺失），位于第 {row['seq']} 条"
                           f"（事件 {row['id']}，{_local(row['at'])}）之前。",
                           f"Unit {self.unit}: audit event(s) #{gap} were deleted (gap in the sequence) before event "
                           f"#{row['seq']} (id {row['id']}, {_local(row['at'])}).")
        if not intact:
            return self._found("altered", row, "内容与其哈希不符，且不再链接到上一条事件",
                               "its content does not match its hash and it no longer links to the previous event")
        return Problem("deleted", self.unit, row["seq"], row["id"], row["at"],
                       f"单位 {self.unit}：第 {row['seq']} 条审计事件（事件 {row['id']}，{_local(row['at'])}）之前有事件被删除："
                       "它记录的前一哈希不是上一条事件的哈希。",
                       f"Unit {self.unit}: events were deleted before audit event #{row['seq']} (id {row['id']}, "
                       f"{_local(row['at'])}): its prev_hash is not the previous event's hash.")

    def _found(self, kind: str, row: Mapping[str, Any], why_zh: str, why_en: str) -> Problem:
        what_zh = {"altered": "已被篡改", "inserted": "是插入的伪造事件"}[kind]
        what_en = {"altered": "was altered", "inserted": "was inserted"}[kind]
        return Problem(kind, self.unit, row["seq"], row["id"], row["at"],
                       f"单位 {self.unit}：第 {row['seq']} 条审计事件（事件 {row['id']}，{_local(row['at'])}）{what_zh}：{why_zh}。",
                       f"Unit {self.unit}: audit event #{row['seq']} (id {row['id']}, {_local(row['at'])}) {what_en}: {why_en}.")


async def verify(tenant: str | None = None) -> VerifyReport:
    """Walk the chain of ``tenant`` (every unit when None) and report each chain's first problem."""
    if tenant is not None:
        await _require_unit(tenant)
        units = [tenant]
    else:
        units = list(await Unit.all().order_by("id").values_list("id", flat=True))
    chains = []
    for unit in units:
        walk = ChainWalk(unit)
        async for rows in _batches(unit):
            for row in rows:
                walk.feed(row)
        chains.append(walk.finish())
    return VerifyReport(tuple(chains))


@dataclass(frozen=True)
class HeadMismatch:
    """A chain head noted earlier (outside the database) that the chain no longer reaches."""

    unit: str
    seq: int
    zh: str
    en: str


async def check_heads(noted: Iterable[Mapping[str, Any]]) -> list[HeadMismatch]:
    """Compare heads noted earlier (``{"unit", "head_seq", "head_hash"}``, as ``verify`` reports them)
    with the chains now. This is what a chain alone cannot show: its newest events removed, or a
    tail rewritten with recomputed hashes — the noted event is gone or carries another hash."""
    out = []
    with platform_scope():
        for head in noted:
            unit, seq, digest = str(head.get("unit")), int(head.get("head_seq") or 0), str(head.get("head_hash") or "")
            if seq == 0:
                continue
            row = await AuditEvent.filter(tenant_id=unit, seq=seq).first()
            if row is None:
                out.append(HeadMismatch(unit, seq, f"单位 {unit}：此前记下的第 {seq} 条审计事件已不存在（最新事件被删除）。",
                                        f"Unit {unit}: audit event #{seq}, noted earlier, is gone (newest events removed)."))
            elif row.hash != digest:
                out.append(HeadMismatch(unit, seq, f"单位 {unit}：第 {seq} 条审计事件的哈希与此前记下的不同（事件被改写）。",
                                        f"Unit {unit}: audit event #{seq} no longer has the hash noted earlier (rewritten)."))
    return out


async def note_heads(directory: Path) -> Path:
    """Write every chain's head to ``directory/heads-<date>.json`` (the nightly job does, outside the
    database), so a later ``banwen audit verify --against`` can compare."""
    report = await verify(None)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"heads-{datetime.now(CITY_TZ):%Y-%m-%d}.json"
    tmp = path.with_suffix(".part")
    tmp.write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=1), encoding="utf-8")
    tmp.replace(path)
    return path


# --- exporting -------------------------------------------------------------------------------

_EXPORT = [  # (zh, en, width, key)
    ("序号", "Seq", 8, "seq"), ("时间（北京时间）", "Time (UTC+8)", 20, "at"), ("操作人", "Actor", 18, "actor"),
    ("被代理人", "Acting for", 14, "acting_for"), ("对象", "Object", 28, "object"), ("操作", "Action", 14, "action"),
    ("变更前", "Before", 40, "before"), ("变更后", "After", 40, "after"), ("来源", "Client", 16, "client"),
    ("事件ID", "Event id", 10, "id"), ("前一哈希", "Previous hash", 20, "prev_hash"), ("哈希", "Hash", 20, "hash"),
]
_EXCEL_CELL_MAX = 32767


async def export(tenant: str, since: date | None, until: date | None, path: Path) -> int:
    """Write the unit's events of whole days ``since``–``until`` (city time, inclusive) to ``path``.

    ``.xlsx`` for people (two header rows, 中文 then English); ``.jsonl`` for machines: one event
    per line, exactly the fields ``event_hash`` needs. Written to a side file, then renamed, so a
    failed export leaves no half file behind. Returns the number of events.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".jsonl"):
        raise BanwenError(f"不支持的导出格式 “{path.suffix or path.name}”：请用 .xlsx 或 .jsonl。",
                          f"Unsupported export format '{path.suffix or path.name}': use .xlsx or .jsonl.")
    if since and until and since > until:
        raise BanwenError(f"起始日期 {since} 晚于结束日期 {until}。", f"The start date {since} is after the end date {until}.")
    if not path.parent.is_dir():
        raise NotFound(f"文件夹 {path.parent} 不存在。", f"Folder {path.parent} does not exist.")
    await _require_unit(tenant)
    start = datetime.combine(since, time.min, tzinfo=CITY_TZ) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=CITY_TZ) if until else None
    part = path.with_name(path.name + ".part")
    sink = _XlsxSink() if suffix == ".xlsx" else _JsonlSink(part)
    count = 0
    try:
        async for rows in _batches(tenant, since=start, until=end):
            count += len(rows)
            await asyncio.to_thread(sink.write, rows)  # openpyxl is synchronous and CPU-bound
        await asyncio.to_thread(sink.close, part)
        os.replace(part, path)
    except BaseException:
        sink.abort()
        part.unlink(missing_ok=True)
        raise
    return count


class _JsonlSink:
    def __init__(self, part: Path) -> None:
        self._file = part.open("w", encoding="utf-8", newline="\n")

    def write(self, rows: list[dict[str, Any]]) -> None:
        self._file.writelines(json.dumps(_public(r), ensure_ascii=False) + "\n" for r in rows)

    def close(self, part: Path) -> None:
        self._file.close()

    def abort(self) -> None:
        self._file.close()


class _XlsxSink:
    def __init__(self) -> None:
        from openpyxl import Workbook
        from openpyxl.cell import WriteOnlyCell
        from openpyxl.styles import Font
        from openpyxl.utils import get_column_letter

        self._cell = WriteOnlyCell
        self._wb = Workbook(write_only=True)
        self._ws = self._wb.create_sheet("审计事件")
        self._ws.freeze_panes = "A3"
        for i, (_zh, _en, width, _key) in enumerate(_EXPORT, start=1):
            self._ws.column_dimensions[get_column_letter(i)].width = width
        bold = Font(bold=True)
        for row in ([c[0] for c in _EXPORT], [c[1] for c in _EXPORT]):
            self._ws.append([self._text(v, font=bold) for v in row])

    def _text(self, value: Any, **style: Any) -> Any:
        """A cell that is always text: a value starting with '=' must never become a formula."""
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        text = ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value))
        if len(text) > _EXCEL_CELL_MAX:
            text = text[:_EXCEL_CELL_MAX - 20] + "…（已截断 / truncated）"
        cell = self._cell(self._ws, value=text)
        cell.data_type = "s"
        for name, value in style.items():
            setattr(cell, name, value)
        return cell

    def write(self, rows: list[dict[str, Any]]) -> None:
        for r in rows:
            out = []
            for _zh, _en, _width, key in _EXPORT:
                value = r[key]
                if key == "at":
                    cell = self._cell(self._ws, value=value.astimezone(CITY_TZ).replace(tzinfo=None))
                    cell.number_format = "yyyy-mm-dd hh:mm:ss"
                    out.append(cell)
                elif key in ("seq", "id"):
                    out.append(value)
                elif key in ("before", "after"):
                    out.append(None if value is None else self._text(json.dumps(value, ensure_ascii=False, sort_keys=True)))
                else:
                    out.append(None if value is None else self._text(value))
            self._ws.append(out)

    def close(self, part: Path) -> None:
        self._wb.save(part)

    def abort(self) -> None:
        pass
