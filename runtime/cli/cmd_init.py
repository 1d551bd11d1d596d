"""``banwen init``: create or upgrade the database schema; with ``--demo``, build the demo city."""

from __future__ import annotations

import time

import click
from rich.progress import Progress
from tortoise.transactions import in_transaction

from rbac.appointments import Onboarding, onboard
from rbac.authority import policy_changed
from runtime import db
from runtime.auth import hash_password
from runtime.cli.common import run
from runtime.settings import Settings
from runtime.timers.calendar import seed_if_empty as seed_calendar_if_empty
from tenants import audit, demo
from tenants.bundle import BundleSource
from tenants.models import PlatformGrant, Unit, User
from tenants.scope import platform_scope
from tenants.store import NewUnit, create_units


@click.command()
@click.option("--demo", "with_demo", is_flag=True, help="建立演示城市（新余市）/ build the demo city (Xinyu).")
@click.option("--if-new", is_flag=True, help="数据库已有单位时不再建立 / skip when the database already has units.")
@click.option("--units", default=demo.DEFAULT_UNITS, show_default=True, type=click.IntRange(1),
              help="演示单位数 / number of demo units.")
@click.option("--users", default=demo.DEFAULT_USERS, show_default=True, type=click.IntRange(1),
              help="演示用户数 / number of demo users.")
@click.option("--exchange-units", default=None, type=click.IntRange(0),
              help="公文交换单位数（默认按 269/375 的比例）/ units in document exchange (default: Xinyu's share, 269 of 375).")
@click.option("--seed", default=2026, show_default=True, help="随机种子（结果可复现）/ random seed (same seed, same city).")
def init(with_demo: bool, if_new: bool, units: int, users: int, exchange_units: int | None, seed: int) -> None:
    """初始化数据库（可重复运行），可选建立演示城市。 / Initialise the database (safe to re-run); optionally build the demo city."""
    if exchange_units is not None and exchange_units > units:
        raise click.BadParameter(f"不能多于单位数 {units} / cannot exceed the {units} units", param_hint="--exchange-units")

    async def main(s: Settings) -> None:
        applied = await db.migrate(s)
        await seed_calendar_if_empty()  # the national working-day calendar; a no-op once seeded
        where = "SQLite " + s.database_url.split("://", 1)[1] if s.is_sqlite else _safe_url(s.database_url)
        click.echo(f"数据库 / database: {where}" + (f"（迁移 / migrations: {', '.join(applied)}）" if applied else ""))
        if not with_demo:
            return
        with platform_scope():
            existing = await Unit.all().count()
        plan = demo.plan_city(units, users, exchange_units, seed)
        if existing:
            if not if_new:
                click.echo(f"数据库已有 {existing} 个单位，未建立演示城市。/ The database already has {existing} "
                           "units; the demo city was not built.", err=True)
                raise click.exceptions.Exit(1)
            click.echo(f"数据库已有 {existing} 个单位，跳过建立演示城市。/ {existing} units exist; demo skipped.")
        else:
            await _build(s, plan)
        await _print_logins(s, plan)

    run(main, need_schema=False)


async def _build(s: Settings, plan: demo.CityPlan) -> None:
    started = time.perf_counter()
    batch = [NewUnit(u.unit_doc(), BundleSource(u.id, u.files()), u.users) for u in plan.units]
    password_hash = hash_password(s.demo_password)  # one hash, shared: demo accounts only
    with Progress(transient=True) as progress:
        task = progress.add_task("检查配置 / checking bundles", total=len(batch))
        count = await create_units(batch, author="demo", message="演示城市初始版本 / demo city, first version",
                                   password_hash=password_hash,
                                   progress=lambda n: progress.advance(task, n))
    # 系统管理员 and 收发文员 hold office through filed appointments, recorded as filed at onboarding;
    # the information office's people get the platform roles
    rows = [Onboarding(u.id, post, login) for u in plan.units for post, login in u.appointments]
    async with in_transaction():
        await onboard(rows, actor="demo")
        with platform_scope():
            await PlatformGrant.bulk_create([PlatformGrant(login=login, role=role, granted_by="demo")
                                             for login, role in plan.platform_grants])
        await audit.record_many(audit.Event("platform_grant", "grant", tenant=plan.info_office, actor="demo",
                                            after={"login": login, "role": role, "granted_by": "demo"})
                                for login, role in plan.platform_grants)
        await policy_changed("*")
    elapsed = time.perf_counter() - started
    click.echo(f"演示城市已建立：{count} 个单位，{plan.user_count} 个用户，用时 {elapsed:.1f} 秒。"
               f" / Demo city built: {count} units, {plan.user_count} users in {elapsed:.1f} s.")


async def _print_logins(s: Settings, plan: demo.CityPlan) -> None:
    logins = demo.demo_logins(plan)
    with platform_scope():
        present = set(await User.filter(login__in=[x[0] for x in logins]).values_list("login", flat=True))
    rows = [x for x in logins if x[0] in present]
    if not rows:
        return
    click.echo(f"\n演示账号（密码均为 {s.demo_password}）/ Demo logins (password {s.demo_password}):")
    for login, who, unit in rows:
        click.echo(f"  {login:<24} {unit} · {who}")


def _safe_url(url: str) -> str:
    """The URL without its password."""
    if "@" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}@{host}"
