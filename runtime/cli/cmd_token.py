"""``banwen token create | list | revoke``: API tokens for machine clients (connectors).

A token belongs to one unit and carries one of that unit's roles; it is printed once, when made,
and only its sha256 is kept. Revoking takes effect on the next request in every process.
"""

from __future__ import annotations

import click

from rbac import tokens
from runtime.cli.common import actor, echo_json, run
from runtime.settings import Settings
from tenants.store import get_unit


@click.group("token")
def token_group() -> None:
    """接口令牌（对接系统使用）。 / API tokens for machine clients."""


@token_group.command("create")
@click.option("--tenant", "unit_id", required=True, help="单位标识 / unit id.")
@click.option("--role", required=True, help="本单位的角色标识 / one of the unit's roles.")
@click.option("--name", required=True, help="用途说明，如“档案系统对接” / what it is for.")
@click.option("--expires-days", type=click.IntRange(1, 3650), default=None, help="有效天数（默认不过期）/ days valid.")
@click.option("--as", "as_", default=None, help="记录为谁的操作 / recorded as this actor.")
def create(unit_id: str, role: str, name: str, expires_days: int | None, as_: str | None) -> None:
    """签发令牌（只显示这一次）。 / Issue a token (shown only this once)."""

    async def main(s: Settings) -> tokens.Issued:
        await get_unit(unit_id)
        return await tokens.issue(unit_id, name, role, actor(as_), expires_days=expires_days)

    issued = run(main)
    click.echo(f"令牌 / token #{issued.row.id}（{unit_id} · {role}）：")
    click.echo(issued.token)
    click.echo("请立即妥善保存：它不会再次显示。 / Store it now: it is not shown again.", err=True)


@token_group.command("list")
@click.option("--tenant", "unit_id", required=True, help="单位标识 / unit id.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_(unit_id: str, fmt: str) -> None:
    """列出本单位的令牌（不含令牌本身）。 / List the unit's tokens (never the token itself)."""

    async def main(s: Settings) -> list[dict]:
        await get_unit(unit_id)
        return await tokens.list_tokens(unit_id)

    rows = run(main)
    if fmt == "json":
        echo_json(rows)
        return
    for r in rows:
        state = "有效 / active" if r["active"] else ("已吊销 / revoked" if r["revoked_at"] else "已过期 / expired")
        click.echo(f"#{r['id']:<5} {r['prefix']:<16} {r['role']:<16} {state:<18} {r['name']}")
    click.echo(f"共 {len(rows)} 个 / {len(rows)} token(s)")


@token_group.command("revoke")
@click.option("--tenant", "unit_id", required=True, help="单位标识 / unit id.")
@click.argument("token_id", type=int)
@click.option("--as", "as_", default=None, help="记录为谁的操作 / recorded as this actor.")
def revoke(unit_id: str, token_id: int, as_: str | None) -> None:
    """吊销令牌，立即生效。 / Revoke a token, effective at once."""

    async def main(s: Settings) -> None:
        await get_unit(unit_id)
        await tokens.revoke(unit_id, token_id, actor(as_))

    run(main)
    click.echo(f"令牌 #{token_id} 已吊销。 / Token #{token_id} revoked.")
