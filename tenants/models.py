"""Units (the tenants), their users, and their bundle versions and drafts.

``Unit`` is the tenant itself and is platform-level; every other table is tenant-owned and
inherits ``TenantModel`` (tenants/scope.py), which is what keeps units apart.
"""

from __future__ import annotations

from typing import Any

from tortoise import fields
from tortoise.models import Model

from tenants.errors import BanwenError
from tenants.scope import TenantModel


class Unit(Model):
    """A government unit: the tenant. Units form a tree 市 → 县区 → 乡镇, departments under each."""

    id = fields.CharField(max_length=64, primary_key=True)
    name = fields.CharField(max_length=200)
    short_name = fields.CharField(max_length=50, null=True)
    level = fields.CharField(max_length=8)
    category = fields.CharField(max_length=8)
    parent: fields.ForeignKeyNullableRelation[Unit] = fields.ForeignKeyField(
        "models.Unit", related_name=False, null=True, on_delete=fields.RESTRICT
    )
    office_code = fields.CharField(max_length=20)
    exchange_unit = fields.BooleanField(default=False)
    extends: Any = fields.JSONField(default=list)
    published_version = fields.IntField(default=0)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "unit"


class User(TenantModel):
    """A person with an account in one unit. ``login`` is unique across the platform."""

    id = fields.IntField(primary_key=True)
    login = fields.CharField(max_length=64, unique=True)
    name = fields.CharField(max_length=50)
    department = fields.CharField(max_length=64, null=True)
    title = fields.CharField(max_length=50, null=True)
    phone = fields.CharField(max_length=32, null=True)
    password_hash = fields.CharField(max_length=200)
    is_active = fields.BooleanField(default=True)
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "app_user"


class ImmutableVersion(BanwenError):
    status = 409
    exit_code = 3

    def __init__(self) -> None:
        super().__init__("已发布的版本不可修改或删除。", "A published version cannot be changed or deleted.")


class BundleVersion(TenantModel):
    """One published, immutable version of a unit's bundle.

    ``files`` holds the unit's own files as text (comments and key order kept, so export
    round-trips); ``resolved`` the effective configuration with templates merged, which is what
    the runtime reads and what ``diff`` compares.
    """

    id = fields.IntField(primary_key=True)
    number = fields.IntField()
    files: Any = fields.JSONField()
    resolved: Any = fields.JSONField()
    content_hash = fields.CharField(max_length=64)
    author = fields.CharField(max_length=64)
    message = fields.TextField()
    created_at = fields.DatetimeField(auto_now_add=True)

    class Meta:
        table = "bundle_version"
        unique_together = (("tenant", "number"),)

    async def save(self, *args: Any, **kwargs: Any) -> None:
        if self._saved_in_db:
            raise ImmutableVersion()
        await super().save(*args, **kwargs)

    async def delete(self, *args: Any, **kwargs: Any) -> None:
        raise ImmutableVersion()


class BundleDraft(TenantModel):
    """The unit's working copy: edited freely, checked, then published as a new version."""

    id = fields.IntField(primary_key=True)
    files: Any = fields.JSONField()
    base_number = fields.IntField(default=0)
    revision = fields.IntField(default=1)
    updated_by = fields.CharField(max_length=64)
    updated_at = fields.DatetimeField(auto_now=True)

    class Meta:
        table = "bundle_draft"
        unique_together = (("tenant",),)
