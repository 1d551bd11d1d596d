"""The tenant scope: the one place where every ORM query gets its ``tenant_id`` filter.

A request (or a CLI command, or a job) runs inside ``tenant_scope(unit_id)``; every model that
carries ``tenant_id`` uses ``TenantManager`` as ``Meta.manager`` (a plain class attribute would
leave ``Model.all()`` unscoped — DESIGN §5, measured), so ``Model.filter(...)``, ``.all()``,
``.get()``, ``.update()``, ``.delete()`` and ``.count()`` only ever see that tenant's rows.
Outside any scope a tenant-owned query raises instead of silently seeing everything. Work that
spans tenants on purpose (the platform admin, the city auditor's read-only console, ``init``)
says so with ``platform_scope()``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from tortoise import fields
from tortoise.manager import Manager
from tortoise.models import Model
from tortoise.queryset import QuerySet

from tenants.errors import BanwenError


class _Platform:
    def __repr__(self) -> str:
        return "<platform scope>"


PLATFORM = _Platform()
_scope: ContextVar[str | _Platform | None] = ContextVar("banwen_tenant_scope", default=None)


class ScopeMissing(BanwenError):
    """A tenant-owned table was queried outside any tenant scope: a programming error, loudly."""

    status = 500

    def __init__(self, what: str) -> None:
        super().__init__(f"内部错误：查询 {what} 时未指定单位。", f"Internal error: {what} queried outside a tenant scope.")


class CrossTenantWrite(BanwenError):
    status = 404

    def __init__(self) -> None:
        super().__init__("不存在。", "Not found.")


@contextmanager
def tenant_scope(tenant_id: str) -> Iterator[str]:
    """Run the block as ``tenant_id``: every tenant-owned query sees only that unit's rows."""
    if not tenant_id or not isinstance(tenant_id, str):
        raise ValueError("tenant_scope needs a unit id")
    token = _scope.set(tenant_id)
    try:
        yield tenant_id
    finally:
        _scope.reset(token)


@contextmanager
def platform_scope() -> Iterator[None]:
    """Run the block across all tenants, deliberately (platform administration, audit, init)."""
    token = _scope.set(PLATFORM)
    try:
        yield None
    finally:
        _scope.reset(token)


def current_tenant() -> str | None:
    """The unit id of the current scope; ``None`` in platform scope; raises outside any scope."""
    value = _scope.get()
    if value is None:
        raise ScopeMissing("tenant")
    return None if value is PLATFORM else value  # type: ignore[return-value]


class TenantManager(Manager):
    """Filters every query of a tenant-owned model by the current scope."""

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset()
        value = _scope.get()
        if value is None:
            raise ScopeMissing(self._model.__name__ if self._model else "model")
        if value is PLATFORM:
            return qs
        return qs.filter(tenant_id=value)


class TenantModel(Model):
    """Base of every tenant-owned table: a ``tenant_id`` column filled and checked from the scope."""

    tenant: fields.ForeignKeyRelation[Any] = fields.ForeignKeyField(
        "models.Unit", related_name=False, on_delete=fields.RESTRICT, db_index=True
    )

    class Meta:
        abstract = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Tortoise reads ``manager`` from each model's own Meta only, so a manager on this abstract
        # base would silently not apply to subclasses; install it on every subclass here instead.
        super().__init_subclass__(**kwargs)
        meta = cls.__dict__.get("_meta")
        if meta is not None and not isinstance(meta.manager, TenantManager):
            meta.manager = TenantManager()
            meta.manager._model = cls

    async def save(self, *args: Any, **kwargs: Any) -> None:
        _stamp(self)
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        _stamp(self)
        await super().delete(*args, **kwargs)

    @classmethod
    def bulk_create(cls, objects: Any, *args: Any, **kwargs: Any) -> Any:
        objects = list(objects)
        for obj in objects:
            _stamp(obj)
        return super().bulk_create(objects, *args, **kwargs)


def _stamp(obj: TenantModel) -> None:
    """Fill ``tenant_id`` from the scope, or refuse a row of another tenant."""
    value = _scope.get()
    if value is None:
        raise ScopeMissing(type(obj).__name__)
    if value is PLATFORM:
        if not obj.tenant_id:  # type: ignore[attr-defined]
            raise ScopeMissing(f"{type(obj).__name__} without tenant_id")
        return
    if not obj.tenant_id:  # type: ignore[attr-defined]
        obj.tenant_id = value  # type: ignore[attr-defined]
    elif obj.tenant_id != value:  # type: ignore[attr-defined]
        raise CrossTenantWrite()
