"""Records: filled-in forms of a unit — create, edit, view, list — and their numbers (编号).

Every function takes the unit id and runs its queries in that unit's tenant scope; every write is
one transaction together with its audit event (tenants.audit). A record keeps the bundle version it
was created under (``form_version``): its form — schema, rules, numbering — keeps applying to it
after the unit publishes a newer one (DESIGN §4 "Versions").

Public API (the screens build on it; keep it stable):

- ``await form_of(unit, form_id, version=None) -> CompiledForm`` and ``await forms_of(unit) -> list[dict]``
- ``await create(unit, form_id, data, actor) -> Record``
- ``await update(unit, record_id, data, actor, expected_version) -> Record``
- ``await get(unit, record_id) -> Record``
- ``await list_records(unit, form_id, *, q, filters, sort, desc, limit, cursor, offset) -> Page`` (alias ``list``)
- ``await assign_number(record, *, using_db=None) -> str`` for the flow engine's ``assign_at`` nodes
- ``describe(record) -> dict`` (JSON-ready) and ``row(form, record) -> dict`` (list columns)
"""

from __future__ import annotations

import base64
import json
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q, RawSQL
from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from runtime.forms.compiled import CompiledForm, compile_form
from runtime.forms.messages import problem
from runtime.security import CITY_TZ
from tenants import audit
from tenants.errors import BanwenError, Conflict, FieldErrors, NotFound
from tenants.models import Attachment, BundleVersion, Record, Unit
from tenants.scope import current_tenant, tenant_scope

EDITABLE = ("draft", "returned")
SORTS = {"updated_at": "updated_at", "created_at": "created_at", "title": "title", "serial": "serial", "id": "id"}
MAX_LIMIT = 200
_CACHE_SIZE = 512
_forms: OrderedDict[tuple[str, int, str, str], CompiledForm] = OrderedDict()


class BadQuery(BanwenError):
    status = 422


# --- forms of the unit's published versions --------------------------------------------------

async def _version(unit: str, number: int | None) -> tuple[int, str]:
    with tenant_scope(unit):
        qs = BundleVersion.filter() if number is None else BundleVersion.filter(number=number)
        found = await qs.order_by("-number").limit(1).values_list("number", "content_hash")
    if not found:
        if not await Unit.exists(id=unit):
            raise NotFound(f"单位 “{unit}” 不存在。", f"Unit '{unit}' does not exist.")
        raise NotFound(f"单位 “{unit}” 没有已发布的版本 {number or ''}。", f"Unit '{unit}' has no published version {number or ''}.")
    return int(found[0][0]), str(found[0][1])


async def _resolved_forms(unit: str, number: int) -> dict[str, Any]:
    with tenant_scope(unit):
        v = await BundleVersion.get(number=number)
    return dict((v.resolved or {}).get("forms") or {})


def _no_form(form_id: str) -> NotFound:
    return NotFound(f"表单 “{form_id}” 不存在。", f"Form '{form_id}' does not exist.")


async def form_of(unit: str, form_id: str, version: int | None = None) -> CompiledForm:
    """The compiled form of the unit's version ``version`` (newest published when None), cached.

    The cache key includes the version's content hash, so a cached form is never one of another
    database (tests) or of a rewritten version; published versions never change otherwise.
    """
    number, digest = await _version(unit, version)
    key = (unit, number, digest, form_id)
    cached = _forms.get(key)
    if cached is not None:
        _forms.move_to_end(key)
        return cached
    with tenant_scope(unit):
        resolved = (await BundleVersion.get(number=number)).resolved or {}
    form = (resolved.get("forms") or {}).get(form_id)
    if not isinstance(form, dict):
        raise _no_form(form_id)
    # The version's own lists: the key's content hash covers them, so a cached form never shows stale options.
    compiled = compile_form(form, number, resolved.get("lists"))
    _forms[key] = compiled
    if len(_forms) > _CACHE_SIZE:
        _forms.popitem(last=False)
    return compiled


async def forms_of(unit: str) -> list[dict[str, Any]]:
    """The forms of the unit's newest published version: id, name, name_en, description."""
    number, _ = await _version(unit, None)
    forms = await _resolved_forms(unit, number)
    return [{"id": fid, "name": f.get("name") or fid, "name_en": f.get("name_en") or fid,
             "description": f.get("description") or "", "version": number} for fid, f in sorted(forms.items())]


# --- reading ---------------------------------------------------------------------------------

def _not_found(record_id: Any) -> NotFound:
    return NotFound(f"记录 #{record_id} 不存在。", f"Record #{record_id} does not exist.")


async def get(unit: str, record_id: int, form_id: str | None = None) -> Record:
    """One record of the unit (of ``form_id`` when given); another unit's id is not found, like an unknown one."""
    try:
        ident = int(record_id)
    except (TypeError, ValueError):
        raise _not_found(record_id) from None
    with tenant_scope(unit):
        rec = await Record.get_or_none(id=ident)
    if rec is None or (form_id is not None and rec.form != form_id):
        raise _not_found(record_id)
    return rec


def _iso(d: datetime | None) -> str | None:
    return d.isoformat(timespec="seconds") if d else None


def describe(rec: Record) -> dict[str, Any]:
    """A record as the API returns it; ``version`` is what an edit must send as ``expected_version``."""
    return {"id": rec.id, "unit": rec.tenant_id, "form": rec.form, "form_version": rec.form_version,  # type: ignore[attr-defined]
            "title": rec.title, "serial": rec.serial, "status": rec.status, "data": rec.data,
            "created_by": rec.created_by, "updated_by": rec.updated_by, "created_at": _iso(rec.created_at),
            "updated_at": _iso(rec.updated_at), "version": rec.lock_version}


def row(form: CompiledForm, rec: Record) -> dict[str, Any]:
    """The values of the form's list columns for one record (system columns included)."""
    system = {"title": rec.title, "serial_no": rec.serial, "status": rec.status, "created_at": _iso(rec.created_at),
              "updated_at": _iso(rec.updated_at), "drafter": rec.created_by}
    data = rec.data or {}
    return {"id": rec.id, **{c: (data.get(c) if c in form.fields else system.get(c)) for c in form.list_columns}}


@dataclass(frozen=True)
class Page:
    """One page of a list; ``next_cursor`` (None on the last page) fetches the next one."""

    records: list[Record]
    next_cursor: str | None


def _encode(sort: str, value: Any, ident: int) -> str:
    raw = json.dumps([sort, value.isoformat() if isinstance(value, datetime) else value, ident], ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str, sort: str) -> tuple[Any, int]:
    try:
        got, value, ident = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if got != sort or not isinstance(ident, int):
            raise ValueError
        if sort in ("updated_at", "created_at"):
            value = datetime.fromisoformat(value)
        return value, ident
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise BadQuery("翻页游标无效（可能排序方式已改变），请从第一页重新开始。",
                       "The page cursor is invalid (perhaps the sort changed); start again from the first page.") from None


def _json_text(field: str) -> str:
    """SQL for ``data[field]`` as text; ``field`` is a declared field id (``[a-z][a-z0-9_]*``), never user text."""
    dialect = Tortoise.get_connection("default").capabilities.dialect
    if dialect == "postgres":
        return f"\"data\"->>'{field}'"
    return f"json_extract(\"data\", '$.{field}')"


async def list_records(unit: str, form_id: str, *, q: str | None = None, filters: dict[str, Any] | None = None,
                       sort: str = "updated_at", desc: bool = True, limit: int = 50, cursor: str | None = None,
                       offset: int | None = None) -> Page:
    """A page of the form's records: search in titles (``q``), filters on declared string fields, sorted.

    Keyset pagination (``cursor``, from the previous page's ``next_cursor``) stays as fast on page
    1,000 as on page 1: it seeks in the index on (tenant, form, updated_at) — or (tenant, form, title)
    — instead of counting past the earlier rows; ``offset`` is there for small jumps. Ties are broken
    by id, so no record is skipped or shown twice. Filters compare ``data->>field`` (PostgreSQL) or
    ``json_extract`` (SQLite) with the value as text.
    """
    form = await form_of(unit, form_id)
    if sort not in SORTS:
        raise BadQuery(f"不能按 “{sort}” 排序（可用：{'、'.join(SORTS)}）。", f"Cannot sort by '{sort}' (use one of: {', '.join(SORTS)}).")
    if not 1 <= limit <= MAX_LIMIT or (offset or 0) < 0:
        raise BadQuery(f"每页 1–{MAX_LIMIT} 条，offset 不能为负。", f"limit must be 1–{MAX_LIMIT} and offset not negative.")
    with tenant_scope(unit):
        qs = Record.filter(form=form_id)
        if q and q.strip():
            qs = qs.filter(title__icontains=q.strip())
        for i, (fid, value) in enumerate((filters or {}).items()):
            if not form.filterable(fid):
                raise BadQuery(f"不能按 “{fid}” 筛选：表单中没有这个文字字段。",
                               f"Cannot filter by '{fid}': the form has no such text field.")
            name = f"_f{i}"
            qs = qs.annotate(**{name: RawSQL(_json_text(fid))}).filter(**{name: str(value)})
        col = SORTS[sort]
        if cursor:
            value, ident = _decode(cursor, sort)
            op = "lt" if desc else "gt"
            if value is None:
                qs = qs.filter(**{f"{col}__isnull": True, f"id__{op}": ident})
            else:
                qs = qs.filter(Q(**{f"{col}__{op}e": value}) & (Q(**{f"{col}__{op}": value}) | Q(**{f"id__{op}": ident})))
        order = [f"-{col}", "-id"] if desc else [col, "id"]
        if col == "id":
            order = order[:1]
        qs = qs.order_by(*order)
        if offset:
            qs = qs.offset(offset)
        rows = await qs.limit(limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = _encode(sort, getattr(rows[-1], col), rows[-1].id) if more and rows else None
    return Page(rows, nxt)


# --- writing ---------------------------------------------------------------------------------

def _now() -> datetime:
    return localtime(datetime.now(UTC))


async def _attachments(form: CompiledForm, clean: dict[str, Any], record_id: int | None) -> list[dict[str, str]]:
    """Problems with the attachment ids in ``clean``: each must be an upload of this unit, not another record's."""
    problems = []
    for fid in form.attachment_fields():
        ids = clean.get(fid) or []
        for i, raw in enumerate(ids):
            try:
                ident = int(raw)
            except (TypeError, ValueError):
                problems.append(problem(f"{fid}/{i}", f"附件编号 {raw!r} 无效", f"invalid attachment id {raw!r}"))
                continue
            att = await Attachment.get_or_none(id=ident)
            if att is None or att.record_id not in (None, record_id):
                problems.append(problem(f"{fid}/{i}", f"附件 #{raw} 不存在", f"attachment #{raw} does not exist"))
    return problems


async def _claim(form: CompiledForm, clean: dict[str, Any], record_id: int, conn: BaseDBAsyncClient) -> None:
    ids = [int(x) for fid in form.attachment_fields() for x in clean.get(fid) or []]
    await Attachment.filter(record_id=record_id).exclude(id__in=ids or [0]).using_db(conn).update(record_id=None)
    if ids:
        await Attachment.filter(id__in=ids, record_id__isnull=True).using_db(conn).update(record_id=record_id)


async def _next_seq(conn: BaseDBAsyncClient, tenant: str, key: str) -> int:
    """Advance the unit's sequence ``key`` by one and return the new value, inside ``conn``'s transaction.

    One upsert (``INSERT … ON CONFLICT DO UPDATE … RETURNING``) on both databases: on PostgreSQL it
    takes the row lock that a ``SELECT … FOR UPDATE`` would, held to commit, so concurrent writers
    queue on it; the very first number of a key cannot race either, because the unique (tenant, key)
    turns the second insert into the update. SQLite's write transaction serialises anyway. The row
    advances in the record's own transaction, so a refused or failed record gives its number back:
    no gaps, no duplicates.
    """
    pg = conn.capabilities.dialect == "postgres"
    a, b = ("$1", "$2") if pg else ("?", "?")
    rows = await conn.execute_query_dict(
        f'INSERT INTO "sequence" ("tenant_id", "key", "value") VALUES ({a}, {b}, 1) '
        'ON CONFLICT ("tenant_id", "key") DO UPDATE SET "value" = "sequence"."value" + 1 RETURNING "value"', [tenant, key])
    return int(rows[0]["value"])


async def _number(conn: BaseDBAsyncClient, form: CompiledForm, data: dict[str, Any]) -> str:
    numbering = form.numbering
    if numbering is None:
        raise BanwenError(f"表单 “{form.id}” 没有编号规则。", f"Form '{form.id}' has no numbering rule.")
    tenant = current_tenant()
    if tenant is None:
        raise BanwenError("编号必须在单位范围内进行。", "Numbering must run in a unit's scope.")
    unit = await Unit.get(id=tenant).using_db(conn)
    year = datetime.now(CITY_TZ).year
    seq = await _next_seq(conn, tenant, numbering.key(form.id, year))
    return numbering.format(seq, office_code=unit.office_code, year=year, data=data)


async def create(unit: str, form_id: str, data: dict[str, Any], actor: str) -> Record:
    """Create a record of ``form_id`` from the unit's newest published version (status ``draft``).

    The data goes through ``CompiledForm.apply`` (nothing is written when it has problems:
    ``FieldErrors``); the title comes from the form's ``title_template``; a form numbered at create
    (``numbering`` without ``assign_at``) gets its number in the same transaction as the insert.
    """
    form = await form_of(unit, form_id)
    clean, problems = form.apply(data)
    with tenant_scope(unit):
        problems += await _attachments(form, clean, None)
        if problems:
            raise FieldErrors(problems)
        async with in_transaction() as conn:
            serial = None
            if form.numbering is not None and form.numbering.at_create:
                serial = await _number(conn, form, clean)
                clean[form.numbering.field] = serial
            rec = Record(form=form_id, form_version=form.version, title=form.title_of(clean), serial=serial,
                         status="draft", data=clean, created_by=actor, updated_by=actor)
            await rec.save(using_db=conn)
            await _claim(form, clean, rec.id, conn)
            await audit.record(f"record:{rec.id}", "create", after=_audit_view(rec), tenant=unit, actor=actor)
    return rec


async def update(unit: str, record_id: int, data: dict[str, Any], actor: str, expected_version: int) -> Record:
    """Replace the data of a record that is still a draft or returned (退回), checking ``expected_version``.

    The record keeps its ``form_version``. A stale ``expected_version`` — someone saved in between —
    is a ``Conflict`` and nothing is written; so is a record no longer editable.
    """
    rec = await get(unit, record_id)
    if rec.status not in EDITABLE:
        raise Conflict(f"记录 #{record_id} 当前状态为 {rec.status}，不能修改。",
                       f"Record #{record_id} is {rec.status} and can no longer be edited.")
    if expected_version != rec.lock_version:
        raise _stale(record_id)
    form = await form_of(unit, rec.form, rec.form_version)
    clean, problems = form.apply(data, previous=rec.data)
    with tenant_scope(unit):
        problems += await _attachments(form, clean, rec.id)
        if problems:
            raise FieldErrors(problems)
        before = _audit_view(rec)
        now, title = _now(), form.title_of(clean)
        async with in_transaction() as conn:
            changed = await Record.filter(id=rec.id, lock_version=expected_version, status__in=EDITABLE).using_db(conn).update(
                data=clean, title=title, updated_by=actor, updated_at=now, lock_version=expected_version + 1)
            if changed != 1:
                raise _stale(record_id)
            await _claim(form, clean, rec.id, conn)
            rec.data, rec.title, rec.updated_by, rec.updated_at = clean, title, actor, now
            rec.lock_version = expected_version + 1
            await audit.record(f"record:{rec.id}", "update", before=before, after=_audit_view(rec), tenant=unit, actor=actor)
    return rec


def _stale(record_id: Any) -> Conflict:
    return Conflict(f"记录 #{record_id} 已被他人修改，请刷新后重试。",
                    f"Record #{record_id} was changed by someone else; reload and try again.")


def _audit_view(rec: Record) -> dict[str, Any]:
    return {"form": rec.form, "form_version": rec.form_version, "title": rec.title, "serial": rec.serial,
            "status": rec.status, "version": rec.lock_version, "data": rec.data}


async def assign_number(record: Record, *, using_db: BaseDBAsyncClient | None = None) -> str:
    """Give ``record`` its number now (a flow node named by ``numbering.assign_at``); idempotent.

    Inside the caller's transaction (``using_db``) it only advances the sequence and sets
    ``record.serial`` and the numbered field — the caller saves the record with its other writes.
    Without one it opens its own transaction and saves the record with an audit event. Runs in the
    record's unit's tenant scope.
    """
    if record.serial:
        return record.serial
    unit = record.tenant_id  # type: ignore[attr-defined]
    form = await form_of(unit, record.form, record.form_version)
    with tenant_scope(unit):
        if using_db is not None:
            return await _assign(using_db, form, record)
        async with in_transaction() as conn:
            serial = await _assign(conn, form, record)
            await Record.filter(id=record.id).using_db(conn).update(serial=serial, data=record.data)
            await audit.record(f"record:{record.id}", "number", after={"serial": serial}, tenant=unit)
        return serial


async def _assign(conn: BaseDBAsyncClient, form: CompiledForm, record: Record) -> str:
    serial = await _number(conn, form, record.data or {})
    record.serial = serial
    record.data = {**(record.data or {}), form.numbering.field: serial}  # type: ignore[union-attr]
    return serial
