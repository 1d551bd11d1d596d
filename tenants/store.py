"""Drafts and published versions of a unit's bundle, in the database.

The unit's administrator (or ``banwen tenant import``) writes a *draft*; ``publish`` checks the
draft fully (meta-schemas, templates, cross-references, users that exist) and stores it as a new
immutable *version* with its content hash, author, time and message. Every write is one
transaction; a bundle with any error writes nothing. Each write also appends its audit event
(tenants.audit) in that same transaction, recorded as the function's ``author``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from tenants import audit
from tenants.access import access_of
from tenants.bundle import BundleSource
from tenants.errors import BanwenError, BundleInvalid, Conflict, NotFound
from tenants.lint import LintResult, TemplateLibrary, lint_source
from tenants.models import BundleDraft, BundleVersion, PolicyChange, Unit, User
from tenants.references import Context
from tenants.scope import platform_scope, tenant_scope


@dataclass(frozen=True)
class VersionInfo:
    number: int
    content_hash: str
    author: str
    message: str
    created_at: str

    @classmethod
    def of(cls, v: BundleVersion) -> VersionInfo:
        return cls(v.number, v.content_hash, v.author, v.message, v.created_at.isoformat(timespec="seconds"))


async def get_unit(unit_id: str) -> Unit:
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound(f"单位 “{unit_id}” 不存在。", f"Unit '{unit_id}' does not exist.")
    return unit


async def check(unit_id: str, source: BundleSource, templates: TemplateLibrary | None = None) -> LintResult:
    """Lint ``source`` as unit ``unit_id`` would publish it: users and parent units must exist."""
    with tenant_scope(unit_id):
        users = set(await User.all().values_list("login", flat=True))
    ctx = Context(known_users=users)
    result = lint_source(source, templates, ctx)
    unit = result.bundle.unit if isinstance(result.bundle.unit, dict) else {}
    path = result.bundle.display(result.bundle.singles.get("unit", "unit.yaml"))
    from tenants.errors import BundleError

    extra = []
    if unit.get("id") and unit["id"] != unit_id:
        extra.append(BundleError(path, "/id", "unit_mismatch",
                                 f"配置包属于单位 “{unit['id']}”，不是 “{unit_id}”。",
                                 f"The bundle belongs to unit '{unit['id']}', not '{unit_id}'."))
    if unit.get("kind") == "template":
        extra.append(BundleError(path, "/kind", "template_as_unit",
                                 "模板不能作为单位的配置发布。", "A template cannot be published as a unit's bundle."))
    parent = unit.get("parent")
    if parent and not await Unit.exists(id=parent):
        extra.append(BundleError(path, "/parent", "unknown_unit",
                                 f"上级单位 “{parent}” 不存在。", f"Parent unit '{parent}' does not exist."))
    result.errors = extra + result.errors
    return result


async def save_draft(unit_id: str, source: BundleSource, author: str, *,
                     expected_revision: int | None = None,
                     templates: TemplateLibrary | None = None) -> BundleDraft:
    """Store ``source`` as the unit's draft after a full check; refuses a bundle with errors.

    ``expected_revision`` guards against two editors overwriting each other: if the draft moved
    on since the caller read it, nothing is written and ``Conflict`` says so.
    """
    await get_unit(unit_id)
    result = await check(unit_id, source, templates)
    if result.errors:
        raise BundleInvalid(result.errors)
    with tenant_scope(unit_id):
        async with in_transaction():
            draft = await BundleDraft.filter().select_for_update().first()
            if draft is None:
                latest = await BundleVersion.filter().order_by("-number").first()
                draft = BundleDraft(files=source.files, updated_by=author,
                                    base_number=latest.number if latest else 0)
                await draft.save()
                await audit.record("bundle:draft", "save", before={"revision": None},
                                   after={"revision": draft.revision, "content_hash": source.content_hash()},
                                   tenant=unit_id, actor=author)
                return draft
            if expected_revision is not None and draft.revision != expected_revision:
                raise Conflict(
                    f"草稿已被 {draft.updated_by} 修改（修订号 {draft.revision}，你的是 {expected_revision}），未保存。",
                    f"The draft was changed by {draft.updated_by} (revision {draft.revision}, yours "
                    f"{expected_revision}); nothing was saved.",
                )
            old_revision = draft.revision
            draft.files = source.files
            draft.revision += 1
            draft.updated_by = author
            await draft.save()
            await audit.record("bundle:draft", "save", before={"revision": old_revision},
                               after={"revision": draft.revision, "content_hash": source.content_hash()},
                               tenant=unit_id, actor=author)
            return draft


async def draft_source(unit_id: str) -> BundleSource:
    with tenant_scope(unit_id):
        draft = await BundleDraft.filter().first()
    if draft is None:
        raise NotFound(f"单位 “{unit_id}” 没有草稿。", f"Unit '{unit_id}' has no draft.")
    return BundleSource(f"{unit_id}@draft", dict(draft.files))


async def get_version(unit_id: str, number: int | None = None) -> BundleVersion:
    """Version ``number`` of the unit, or its newest when ``number`` is None."""
    await get_unit(unit_id)
    with tenant_scope(unit_id):
        if number is None:
            v = await BundleVersion.filter().order_by("-number").first()
        else:
            v = await BundleVersion.get_or_none(number=number)
    if v is None:
        what = f"版本 {number}" if number is not None else "任何已发布版本"
        what_en = f"version {number}" if number is not None else "any published version"
        raise NotFound(f"单位 “{unit_id}” 没有{what}。", f"Unit '{unit_id}' has no {what_en}.")
    return v


def version_source(unit_id: str, v: BundleVersion) -> BundleSource:
    return BundleSource(f"{unit_id}@v{v.number}", dict(v.files))


async def list_versions(unit_id: str) -> list[VersionInfo]:
    await get_unit(unit_id)
    with tenant_scope(unit_id):
        rows = await BundleVersion.filter().order_by("number")
    return [VersionInfo.of(v) for v in rows]


async def publish(unit_id: str, author: str, message: str, *, source: BundleSource | None = None,
                  templates: TemplateLibrary | None = None) -> VersionInfo:
    """Publish the draft (or ``source``) as the next immutable version, in one transaction."""
    if not message or not message.strip():
        raise BanwenError("发布必须写明说明（--message）。", "Publishing needs a message (--message).")
    unit = await get_unit(unit_id)
    if source is None:
        source = await draft_source(unit_id)
    result = await check(unit_id, source, templates)
    if result.errors:
        raise BundleInvalid(result.errors)
    resolved = result.resolved.as_json()
    digest = source.content_hash()
    with tenant_scope(unit_id):
        async with in_transaction():
            latest = await BundleVersion.filter().order_by("-number").first()
            if latest is not None and latest.content_hash == digest:
                raise Conflict(
                    f"内容与版本 {latest.number} 相同，无需发布。",
                    f"Nothing changed since version {latest.number}; nothing was published.",
                )
            number = (latest.number if latest else 0) + 1
            version = BundleVersion(number=number, files=source.files, resolved=resolved,
                                    content_hash=digest, author=author, message=message.strip())
            try:
                await version.save()
            except IntegrityError:
                raise Conflict(
                    f"另一个发布刚刚创建了版本 {number}，请重试。",
                    f"Another publish just created version {number}; try again.",
                ) from None
            draft = await BundleDraft.filter().first()
            if draft is not None:
                draft.base_number = number
                await draft.save()
            with platform_scope():
                _apply_unit_facts(unit, resolved["unit"])
                unit.published_version = number
                unit.access = access_of(resolved)
                await unit.save()
                # every process reloads this unit's permissions before its next decision (rbac.authority)
                await PolicyChange.create(domain=unit_id)
            await audit.record("bundle", "publish", after={"number": number, "content_hash": digest,
                                                           "message": version.message},
                               tenant=unit_id, actor=author)
    return VersionInfo.of(version)


def _apply_unit_facts(unit: Unit, facts: dict[str, Any]) -> None:
    """Keep the unit row (names, office code, tree) in step with the published unit.yaml."""
    unit.name = facts.get("name", unit.name)
    unit.short_name = facts.get("short_name", unit.short_name)
    unit.level = facts.get("level", unit.level)
    unit.category = facts.get("category", unit.category)
    unit.office_code = facts.get("office_code", unit.office_code)
    unit.exchange_unit = bool(facts.get("exchange_unit", unit.exchange_unit))
    unit.extends = list(facts.get("extends") or [])
    unit.parent_id = facts.get("parent") or None  # type: ignore[attr-defined]


async def create_unit(facts: dict[str, Any], author: str | None = None) -> Unit:
    """Register a new unit from its unit.yaml facts (platform administration).

    ``author`` is who the audit event names; without it, the acting person of ``actor_context``.
    """
    if await Unit.exists(id=facts["id"]):
        raise Conflict(f"单位 “{facts['id']}” 已存在。", f"Unit '{facts['id']}' already exists.")
    unit = Unit(id=facts["id"], name=facts.get("name", facts["id"]), level=facts.get("level", ""),
                category=facts.get("category", ""), office_code=facts.get("office_code", ""))
    _apply_unit_facts(unit, facts)
    if unit.parent_id and not await Unit.exists(id=unit.parent_id):  # type: ignore[attr-defined]
        raise NotFound(f"上级单位 “{unit.parent_id}” 不存在。",  # type: ignore[attr-defined]
                       f"Parent unit '{unit.parent_id}' does not exist.")  # type: ignore[attr-defined]
    async with in_transaction():
        await unit.save()
        await audit.record("unit", "create", after=facts, tenant=unit.id, actor=author)
    return unit


@dataclass(frozen=True)
class NewUnit:
    """A unit to create and publish in one go (the demo city, an onboarding import)."""

    facts: dict[str, Any]
    source: BundleSource
    users: list[dict[str, Any]]


async def create_units(batch: list[NewUnit], author: str, message: str, password_hash: str,
                       templates: TemplateLibrary | None = None,
                       progress: Any = None) -> int:
    """Create units with their users and publish version 1 of each, all or nothing.

    Every bundle is checked exactly as ``publish`` checks it (users are the batch's own, parents
    earlier in the batch or already present); one bad bundle and nothing is written.
    """
    templates = templates or TemplateLibrary()
    existing = set(await Unit.all().values_list("id", flat=True))
    known_units = set(existing)
    errors = []
    versions = []
    for item in batch:
        uid = item.facts["id"]
        if uid in known_units:
            raise Conflict(f"单位 “{uid}” 已存在。", f"Unit '{uid}' already exists.")
        parent = item.facts.get("parent")
        if parent and parent not in known_units:
            raise NotFound(f"单位 “{uid}” 的上级单位 “{parent}” 不存在。",
                           f"The parent '{parent}' of unit '{uid}' does not exist.")
        known_units.add(uid)
        result = lint_source(item.source, templates, Context(known_users={u["login"] for u in item.users}))
        errors += result.errors
        versions.append(result.resolved.as_json())
        if progress:
            progress(1)
    if errors:
        raise BundleInvalid(errors)
    async with in_transaction():
        with platform_scope():
            units = []
            for item, resolved in zip(batch, versions, strict=True):
                unit = Unit(id=item.facts["id"], name=item.facts["name"], level="", category="", office_code="")
                _apply_unit_facts(unit, item.facts)
                unit.published_version = 1
                unit.access = access_of(resolved)
                units.append(unit)
            # parents first: the batch is ordered that way, insert in chunks to keep statements small
            for i in range(0, len(units), 200):
                await Unit.bulk_create(units[i:i + 200])
            users = [User(tenant_id=item.facts["id"], login=u["login"], name=u["name"],
                          department=u.get("department"), title=u.get("title"), password_hash=password_hash)
                     for item in batch for u in item.users]
            for i in range(0, len(users), 1000):
                await User.bulk_create(users[i:i + 1000])
            rows = [BundleVersion(tenant_id=item.facts["id"], number=1, files=item.source.files,
                                  resolved=resolved, content_hash=item.source.content_hash(),
                                  author=author, message=message)
                    for item, resolved in zip(batch, versions, strict=True)]
            for i in range(0, len(rows), 100):
                await BundleVersion.bulk_create(rows[i:i + 100])
        await audit.record_many(audit.Event("unit", "create", tenant=item.facts["id"], after=item.facts, actor=author)
                                for item in batch)
    return len(batch)
