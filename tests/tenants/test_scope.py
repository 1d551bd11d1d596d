"""Tenant isolation at the ORM: every tenant-owned query is scoped in one place (tenants/scope.py)."""

from __future__ import annotations

import pytest
from tortoise import Tortoise

from tenants.bundle import BundleSource
from tenants.demo import plan_city
from tenants.models import BundleDraft, User
from tenants.scope import CrossTenantWrite, ScopeMissing, TenantManager, TenantModel, platform_scope, tenant_scope
from tenants.store import NewUnit, create_units


async def two_units() -> tuple[str, str]:
    plan = plan_city(units=2, users=12, exchange_units=1)
    batch = [NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    await create_units(batch, author="test", message="t", password_hash="x")
    return plan.units[0].id, plan.units[1].id


def test_every_tenant_owned_model_uses_the_scoped_manager() -> None:
    models = [m for m in TenantModel.__subclasses__()]
    assert {m.__name__ for m in models} >= {"User", "BundleVersion", "BundleDraft"}
    for model in models:
        assert isinstance(model._meta.manager, TenantManager), model
        assert model._meta.manager._model is model


async def test_queries_see_only_the_scoped_tenant(database) -> None:
    a, b = await two_units()
    with tenant_scope(a):
        logins_a = await User.all().values_list("login", flat=True)
        assert logins_a and all(x.startswith(f"{a}_") for x in logins_a)
        assert await User.filter(login=f"{b}_01").first() is None
        assert await User.get_or_none(login=f"{b}_01") is None
        assert await User.filter().count() == len(logins_a)
        # an update aimed at the other tenant's row changes nothing
        assert await User.filter(login=f"{b}_01").update(name="篡改") == 0
    with platform_scope():
        assert (await User.get(login=f"{b}_01")).name != "篡改"
        assert await User.all().count() == 12


async def test_query_outside_any_scope_fails_loudly(database) -> None:
    await two_units()
    with pytest.raises(ScopeMissing):
        await User.all()
    with pytest.raises(ScopeMissing):
        await User.filter(login="x").first()


async def test_rows_are_stamped_and_cross_tenant_writes_refused(database) -> None:
    a, b = await two_units()
    with tenant_scope(a):
        draft = BundleDraft(files={}, updated_by="t")
        await draft.save()
        assert draft.tenant_id == a
        other = await platform_user(b)
        other.name = "越权"
        with pytest.raises(CrossTenantWrite):
            await other.save()
        with pytest.raises(CrossTenantWrite):
            await other.delete()
        with pytest.raises(CrossTenantWrite):
            await BundleDraft.bulk_create([BundleDraft(tenant_id=b, files={}, updated_by="t")])


async def platform_user(unit: str) -> User:
    with platform_scope():
        return await User.get(login=f"{unit}_01")


async def test_raw_rows_carry_tenant_id(database) -> None:
    a, _ = await two_units()
    conn = Tortoise.get_connection("default")
    rows = await conn.execute_query_dict('SELECT DISTINCT tenant_id FROM "app_user"')
    assert len(rows) == 2 and {r["tenant_id"] for r in rows} >= {a}
