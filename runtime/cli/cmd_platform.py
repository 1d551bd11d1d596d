"""``banwen platform grant | revoke | list``: platform roles (city auditor, platform admin, filing officer).

A platform role is held by a user of some unit and reaches every unit (schemas/rbac_model.conf).
Granting or revoking writes the ``PlatformGrant`` row, the ``PolicyChange`` that makes every
process reload the grants, and the audit event, in one transaction.
"""

from __future__ import annotations

from typing import Any

import click
from tortoise.transactions import in_transaction

from rbac.access import platform_roles
from rbac.authority import policy_changed
from runtime.cli.common import actor, echo_json, run
from runtime.settings import Settings
from tenants import audit
from tenants.errors import BanwenError, Conflict, NotFound
from tenants.models import PlatformGrant, User
from tenants.scope import platform_scope


class UnknownPlatformRole(BanwenError):
    def __init__(self, role: str) -> None:
        roles = platform_roles()
        zh = "、".join(f"{r.id}（{r.name}）" for r in roles.values())
        en = ", ".join(roles)
        super().__init__(f"没有平台角色 “{role}”。可选：{zh}。", f"No platform role '{role}'. Choose from: {en}.")


def _role(role: str) -> str:
    if role not in platform_roles():
        raise UnknownPlatformRole(role)
    return role


async def _user(login: str) -> User:
    with platform_scope():
        user = await User.get_or_none(login=login)
    if user is None:
        raise NotFound(f"没有账号 “{login}” 的用户。", f"No user with the login '{login}'.")
    return user


async def _audit(action: str, user: User, row: dict[str, Any], who: str) -> None:
    """The audit event of a grant change, chained in the grantee's unit."""
    before, after = (None, row) if action == "grant" else (row, None)
    await audit.record("platform_grant", action, before=before, after=after,
                       tenant=user.tenant_id, actor=who)  # type: ignore[attr-defined]


def _describe(login: str, role: str, unit: str | None, granted_by: str, at: Any = None) -> dict[str, Any]:
    r = platform_roles().get(role)
    return {"login": login, "role": role, "role_name": r.name if r else role, "unit": unit,
            "granted_by": granted_by, "granted_at": at.isoformat(timespec="seconds") if at else None}


@click.group("platform")
def platform_group() -> None:
    """平台角色：市信息化部门审计员、平台管理员、备案员。 / Platform roles: city auditor, platform admin, filing officer."""


@platform_group.command("grant")
@click.option("--login", required=True, help="被授予者的账号 / the grantee's login.")
@click.option("--role", required=True, help="平台角色 / platform role (city_auditor, platform_admin, city_filer).")
@click.option("--as", "who", help="记录为哪个账号所做 / record the change as this account.")
def grant(login: str, role: str, who: str | None) -> None:
    """授予平台角色。 / Grant a platform role to a user."""
    _role(role)
    by = actor(who)

    async def main(s: Settings) -> str:
        user = await _user(login)
        async with in_transaction():
            if await PlatformGrant.exists(login=login, role=role):
                raise Conflict(f"{login} 已有平台角色 {role}。", f"{login} already holds the platform role {role}.")
            row = await PlatformGrant.create(login=login, role=role, granted_by=by)
            await policy_changed("*")
            await _audit("grant", user, _describe(login, role, user.tenant_id, by, row.created_at), by)  # type: ignore[attr-defined]
        return user.tenant_id  # type: ignore[attr-defined]

    unit = run(main)
    name = platform_roles()[role].name
    click.echo(f"已授予 {login}（{unit}）平台角色 {name} / granted {role} to {login} ({unit}).")


@platform_group.command("revoke")
@click.option("--login", required=True, help="持有者的账号 / the holder's login.")
@click.option("--role", required=True, help="平台角色 / platform role.")
@click.option("--as", "who", help="记录为哪个账号所做 / record the change as this account.")
def revoke(login: str, role: str, who: str | None) -> None:
    """收回平台角色。 / Revoke a platform role."""
    _role(role)
    by = actor(who)

    async def main(s: Settings) -> None:
        with platform_scope():
            user = await User.get_or_none(login=login)
        async with in_transaction():
            row = await PlatformGrant.filter(login=login, role=role).select_for_update().first()
            if row is None:
                if user is None:
                    await _user(login)  # says the login does not exist
                raise NotFound(f"{login} 没有平台角色 {role}。", f"{login} does not hold the platform role {role}.")
            unit = user.tenant_id if user is not None else None  # type: ignore[attr-defined]
            await row.delete()
            await policy_changed("*")
            if user is not None:  # a grant left behind by a vanished account is revoked all the same
                await _audit("revoke", user, _describe(login, role, unit, row.granted_by, row.created_at), by)

    run(main)
    click.echo(f"已收回 {login} 的平台角色 {platform_roles()[role].name} / revoked {role} from {login}.")


@platform_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="以 JSON 输出 / print JSON.")
def list_grants(as_json: bool) -> None:
    """列出平台角色的持有者。 / List who holds which platform role."""

    async def main(s: Settings) -> list[dict[str, Any]]:
        rows = await PlatformGrant.all().order_by("role", "login")
        with platform_scope():
            units = dict(await User.filter(login__in=[r.login for r in rows]).values_list("login", "tenant_id"))
        return [_describe(r.login, r.role, units.get(r.login), r.granted_by, r.created_at) for r in rows]

    rows = run(main)
    if as_json:
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['role']:<16} {r['login']:<24} {r['unit'] or '-':<24} {r['role_name']}（{r['granted_by']}）")
    click.echo(f"共 {len(rows)} 项 / {len(rows)} grant(s)")
