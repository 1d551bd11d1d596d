"""Drafts and immutable versions through ``tenants.store``, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from tortoise import Tortoise

from tenants import store
from tenants.bundle import BundleSource, read_folder
from tenants.demo import plan_city
from tenants.diff import diff_documents, render_text
from tenants.errors import BundleInvalid, Conflict, NotFound
from tenants.models import ImmutableVersion
from tenants.scope import tenant_scope

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "bundles"


async def city(units: int = 3) -> list:
    plan = plan_city(units=units, users=units * 8, exchange_units=1)
    batch = [store.NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await store.create_units(batch, author="demo", message="v1", password_hash="x")
    return plan.units


def edited(source: BundleSource, path: str, old: str, new: str) -> BundleSource:
    files = dict(source.files)
    assert old in files[path]
    files[path] = files[path].replace(old, new)
    return BundleSource(source.label, files)


async def test_publish_creates_numbered_immutable_versions(database) -> None:
    unit = (await city())[1]
    v1 = await store.get_version(unit.id)
    assert v1.number == 1 and len(v1.content_hash) == 64
    source = edited(store.version_source(unit.id, v1), "unit.yaml", f"name: {unit.name}", "name: 新名称")
    await store.save_draft(unit.id, source, "admin")
    info = await store.publish(unit.id, "admin", "改名")
    assert (info.number, info.author, info.message) == (2, "admin", "改名")
    assert [v.number for v in await store.list_versions(unit.id)] == [1, 2]
    assert (await store.get_unit(unit.id)).name == "新名称"
    v2 = await store.get_version(unit.id, 2)
    assert v2.files == source.files  # texts kept as written
    with tenant_scope(unit.id):
        v2.message = "rewrite history"
        with pytest.raises(ImmutableVersion):
            await v2.save()
        with pytest.raises(ImmutableVersion):
            await v2.delete()


async def test_publishing_unchanged_content_is_refused(database) -> None:
    unit = (await city())[0]
    v1 = await store.get_version(unit.id)
    await store.save_draft(unit.id, store.version_source(unit.id, v1), "admin")
    with pytest.raises(Conflict):
        await store.publish(unit.id, "admin", "nothing")
    assert len(await store.list_versions(unit.id)) == 1


async def test_invalid_bundle_writes_nothing(database) -> None:
    unit = (await city())[0]
    v1 = await store.get_version(unit.id)
    bad = edited(store.version_source(unit.id, v1), "org.yaml", "a_holder: ", "a_holder: nobody_")
    with pytest.raises(BundleInvalid) as info:
        await store.save_draft(unit.id, bad, "admin")
    assert any(e.code == "unknown_user" for e in info.value.errors)
    with pytest.raises(NotFound):
        await store.draft_source(unit.id)
    with pytest.raises(BundleInvalid):
        await store.publish(unit.id, "admin", "bad", source=bad)
    assert len(await store.list_versions(unit.id)) == 1


async def test_publish_needs_a_message_and_a_draft(database) -> None:
    unit = (await city())[0]
    with pytest.raises(NotFound):
        await store.publish(unit.id, "admin", "no draft")
    from tenants.errors import BanwenError

    with pytest.raises(BanwenError):
        await store.publish(unit.id, "admin", "   ")


async def test_draft_revisions_guard_against_lost_updates(database) -> None:
    unit = (await city())[0]
    v1 = store.version_source(unit.id, await store.get_version(unit.id))
    d = await store.save_draft(unit.id, v1, "alice")
    a = edited(v1, "unit.yaml", f"name: {unit.name}", "name: 甲")
    b = edited(v1, "unit.yaml", f"name: {unit.name}", "name: 乙")
    await store.save_draft(unit.id, a, "alice", expected_revision=d.revision)
    with pytest.raises(Conflict) as info:
        await store.save_draft(unit.id, b, "bob", expected_revision=d.revision)
    assert "alice" in info.value.en
    assert "name: 甲" in (await store.draft_source(unit.id)).files["unit.yaml"]


async def test_bundle_belongs_to_its_unit(database) -> None:
    units = await city()
    other = store.version_source(units[1].id, await store.get_version(units[1].id))
    with pytest.raises(BundleInvalid) as info:
        await store.save_draft(units[0].id, other, "admin")
    assert {e.code for e in info.value.errors} >= {"unit_mismatch"}


async def test_concurrent_publishes_get_distinct_numbers_or_a_conflict(database) -> None:
    unit = (await city())[0]
    base = store.version_source(unit.id, await store.get_version(unit.id))
    sources = [edited(base, "unit.yaml", f"name: {unit.name}", f"name: 名称{i}") for i in range(3)]
    results = await asyncio.gather(*(store.publish(unit.id, "admin", f"m{i}", source=s)
                                     for i, s in enumerate(sources)), return_exceptions=True)
    numbers = [r.number for r in results if not isinstance(r, BaseException)]
    errors = [r for r in results if isinstance(r, BaseException)]
    assert all(isinstance(e, Conflict) for e in errors), errors
    assert len(numbers) == len(set(numbers)) and numbers
    assert sorted(v.number for v in await store.list_versions(unit.id)) == list(range(1, len(numbers) + 2))


async def test_diff_of_two_stored_versions_is_per_item_and_field(database) -> None:
    unit = (await city())[0]
    v1 = await store.get_version(unit.id)
    source = edited(store.version_source(unit.id, v1), "org.yaml", "name: 核稿员", "name: 机要核稿员")
    info = await store.publish(unit.id, "admin", "改岗位名", source=source)
    v2 = await store.get_version(unit.id, info.number)
    changes = diff_documents(v1.resolved, v2.resolved)
    assert [(c.area, c.path, c.old, c.new) for c in changes] == [("org", "/name", "核稿员", "机要核稿员")]
    assert "机要核稿员" in render_text(changes)


async def test_stored_version_tampering_is_detectable(database) -> None:
    from runtime.jobs import verify_versions

    unit = (await city())[0]
    assert await verify_versions() == []
    conn = Tortoise.get_connection("default")
    await conn.execute_query(
        "UPDATE bundle_version SET files = $1 WHERE tenant_id = $2" if "postgres" in database.database_url
        else "UPDATE bundle_version SET files = ? WHERE tenant_id = ?",
        ['{"unit.yaml": "tampered"}', unit.id])
    bad = await verify_versions()
    assert [(b["unit"], b["version"]) for b in bad] == [(unit.id, 1)]


async def test_folder_round_trip_keeps_comments_and_order(database, tmp_path: Path) -> None:
    from tenants.bundle import write_folder

    unit = (await city())[0]
    v1 = await store.get_version(unit.id)
    folder = tmp_path / "exported"
    write_folder(store.version_source(unit.id, v1), folder)
    org = folder / "org.yaml"
    org.write_text(org.read_text(encoding="utf-8").replace("departments:", "# 注释：保留\ndepartments:"), "utf-8")
    await store.save_draft(unit.id, read_folder(folder), "admin")
    await store.publish(unit.id, "admin", "加注释")
    again = tmp_path / "again"
    write_folder(store.version_source(unit.id, await store.get_version(unit.id)), again)
    for name in ("unit.yaml", "org.yaml"):
        assert (again / name).read_bytes() == (folder / name).read_bytes()
    assert "# 注释：保留" in (again / "org.yaml").read_text(encoding="utf-8")
