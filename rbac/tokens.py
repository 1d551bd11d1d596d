"""API tokens for machine clients (connectors): one unit, one of that unit's roles, revocable.

The token is shown once when issued; only its sha256 is kept. Issuing and revoking change who
may do what in the unit, so both mark the unit's permissions as changed (every process reloads
them) and write an audit event, in the same transaction.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from rbac.authority import policy_changed
from tenants import audit
from tenants.errors import BanwenError, NotFound
from tenants.models import ApiToken, Unit
from tenants.scope import tenant_scope

MAX_NAME = 100
TOKEN_PREFIX = "bw_"


def new_token() -> tuple[str, str, str]:
    """(token shown once, its display prefix, the sha256 that is stored)."""
    prefix = secrets.token_hex(4)
    token = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    return token, prefix, token_digest(token)


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class Issued:
    token: str
    row: ApiToken


def describe(row: ApiToken) -> dict[str, Any]:
    """What anyone allowed to list tokens may see: never the token, only its prefix."""
    def iso(d: datetime | None) -> str | None:
        return d.isoformat(timespec="seconds") if d else None

    return {"id": row.id, "name": row.name, "role": row.role, "prefix": f"bw_{row.prefix}_…",
            "created_by": row.created_by, "created_at": iso(row.created_at), "expires_at": iso(row.expires_at),
            "revoked_at": iso(row.revoked_at), "revoked_by": row.revoked_by, "last_used_at": iso(row.last_used_at),
            "active": row.revoked_at is None and (row.expires_at is None or row.expires_at > datetime.now(UTC))}


async def unit_roles(unit_id: str) -> set[str]:
    unit = await Unit.get_or_none(id=unit_id)
    if unit is None:
        raise NotFound(f"单位 “{unit_id}” 不存在。", f"Unit '{unit_id}' does not exist.")
    access = unit.access
    if access is None:
        from rbac.authority import domain_input

        access = (await domain_input(unit_id)).access
    return set((access or {}).get("roles") or {})


async def issue(unit_id: str, name: str, role: str, actor: str, *, expires_days: int | None = None) -> Issued:
    """A new token for ``unit_id`` holding ``role`` (one of the unit's roles)."""
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise BanwenError(f"name：令牌名称必填，且不超过 {MAX_NAME} 个字符。",
                          f"name: a token needs a name of at most {MAX_NAME} characters.")
    roles = await unit_roles(unit_id)
    if role not in roles:
        raise BanwenError(f"role：本单位没有角色 “{role}”（可选：{'、'.join(sorted(roles))}）。",
                          f"role: the unit has no role '{role}' (choose from: {', '.join(sorted(roles))}).")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise BanwenError("expires_days：有效期须在 1 到 3650 天之间。", "expires_days: must be between 1 and 3650 days.")
    token, prefix, digest = new_token()
    # in the ORM's zone, as every stored time: SQLite compares times as text (rbac.authority filters on it)
    expires = localtime(datetime.now(UTC) + timedelta(days=expires_days)) if expires_days else None
    with tenant_scope(unit_id):
        async with in_transaction():
            row = ApiToken(name=name, role=role, prefix=prefix, token_hash=digest, created_by=actor, expires_at=expires)
            await row.save()
            await audit.record(f"api_token:{row.id}", "create", after=describe(row), actor=actor)
            await policy_changed(unit_id)
    return Issued(token, row)


async def revoke(unit_id: str, token_id: int, actor: str) -> ApiToken:
    """Revoke a token of ``unit_id``; another unit's id is simply not found."""
    with tenant_scope(unit_id):
        async with in_transaction():
            row = await ApiToken.filter(id=token_id).select_for_update().first()
            if row is None:
                raise NotFound(f"令牌 {token_id} 不存在。", f"Token {token_id} does not exist.")
            if row.revoked_at is not None:
                raise BanwenError(f"令牌 {token_id} 已于 {row.revoked_at:%Y-%m-%d %H:%M} 吊销。",
                                  f"Token {token_id} was already revoked at {row.revoked_at:%Y-%m-%d %H:%M}.")
            before = describe(row)
            row.revoked_at = localtime(datetime.now(UTC))
            row.revoked_by = actor
            await row.save()
            await audit.record(f"api_token:{row.id}", "revoke", before=before, after=describe(row), actor=actor)
            await policy_changed(unit_id)
    return row


async def list_tokens(unit_id: str) -> list[dict[str, Any]]:
    with tenant_scope(unit_id):
        rows = await ApiToken.filter().order_by("-id")
    return [describe(r) for r in rows]
