"""``banwen tenant list | export ID DIR | import DIR``: units and their bundles as folders."""

from __future__ import annotations

from pathlib import Path

import click
from tortoise.transactions import in_transaction

from runtime.cli.common import actor, echo_json, run
from runtime.settings import Settings
from tenants import store
from tenants.bundle import parse_bundle, read_folder, write_folder
from tenants.errors import BanwenError, BundleError, BundleInvalid
from tenants.kinds import kind_of
from tenants.models import Unit, User
from tenants.scope import platform_scope


@click.group()
def tenant() -> None:
    """单位及其配置包。 / Units and their bundles."""


@tenant.command("list")
@click.option("--level", type=click.Choice(["市", "县区", "乡镇"]), help="只列出某一级 / only one level.")
@click.option("--parent", help="只列出某单位的下级 / only the children of a unit.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def list_units(level: str | None, parent: str | None, fmt: str) -> None:
    """列出单位。 / List units."""

    async def main(s: Settings) -> list[dict]:
        qs = Unit.all().order_by("id")
        if level:
            qs = qs.filter(level=level)
        if parent:
            qs = qs.filter(parent_id=parent)
        units = await qs
        with platform_scope():
            counts: dict[str, int] = {}
            for tid in await User.all().values_list("tenant_id", flat=True):
                counts[tid] = counts.get(tid, 0) + 1
        return [{"id": u.id, "name": u.name, "level": u.level, "category": u.category,
                 "parent": u.parent_id, "office_code": u.office_code,  # type: ignore[attr-defined]
                 "exchange_unit": u.exchange_unit, "version": u.published_version,
                 "users": counts.get(u.id, 0)} for u in units]

    rows = run(main)
    if fmt == "json":
        echo_json(rows)
        return
    for r in rows:
        click.echo(f"{r['id']:<24} {r['level']:<3} {r['category']:<3} v{r['version']:<3} "
                   f"{r['users']:>4} 人  {r['name']}")
    click.echo(f"共 {len(rows)} 个单位 / {len(rows)} unit(s)")


@tenant.command("export")
@click.argument("unit_id")
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option("--version", "number", type=click.IntRange(1), help="导出指定版本（默认最新）/ version (default newest).")
@click.option("--draft", is_flag=True, help="导出草稿 / export the draft.")
@click.option("--force", is_flag=True, help="覆盖文件夹中已有的配置文件 / overwrite bundle files in the folder.")
def export(unit_id: str, folder: Path, number: int | None, draft: bool, force: bool) -> None:
    """把单位的配置包导出到文件夹（原样保留注释与顺序）。 / Export a unit's bundle to a folder, byte for byte."""
    if draft and number:
        raise click.UsageError("--draft 与 --version 只能选一个 / use either --draft or --version.")
    if folder.exists() and not force and any(kind_of(p.relative_to(folder).as_posix())
                                             for p in folder.rglob("*") if p.is_file()):
        raise BanwenError(f"文件夹 {folder} 已有配置文件；加 --force 覆盖。",
                          f"Folder {folder} already holds bundle files; add --force to overwrite.")

    async def main(s: Settings) -> tuple[str, int]:
        if draft:
            source = await store.draft_source(unit_id)
            label = "草稿 / draft"
        else:
            v = await store.get_version(unit_id, number)
            source = store.version_source(unit_id, v)
            label = f"版本 / version {v.number}"
        written = write_folder(source, folder)
        return label, len(written)

    label, n = run(main)
    click.echo(f"已导出 {unit_id} 的{label}：{n} 个文件 → {folder} / exported {n} file(s).")


@tenant.command("import")
@click.argument("folder", type=click.Path(path_type=Path, exists=True, file_okay=False))
@click.option("--as", "who", help="记录为哪个账号所做 / record the change as this account.")
@click.option("--publish", "publish_message", help="导入后立即发布，并写明说明 / publish at once with this message.")
def import_(folder: Path, who: str | None, publish_message: str | None) -> None:
    """把文件夹导入为单位的草稿（单位不存在时新建）。 / Import a folder as a unit's draft (creating the unit if new)."""
    source = read_folder(folder)
    bundle = parse_bundle(source)
    unit = bundle.unit if isinstance(bundle.unit, dict) else None
    if not unit or not isinstance(unit.get("id"), str):
        raise BundleInvalid(bundle.errors or [BundleError(str(folder / "unit.yaml"), "/id", "missing_unit",
                                                          "缺少单位标识。", "The unit id is missing.")])
    unit_id = unit["id"]
    author = actor(who)

    async def main(s: Settings) -> tuple[bool, int, object]:
        async with in_transaction():
            created = False
            if not await Unit.exists(id=unit_id):
                if unit.get("kind") == "template":
                    raise BanwenError("模板不能导入为单位。", "A template cannot be imported as a unit.")
                result = await _check_new(unit_id, source)
                if result:
                    raise BundleInvalid(result)
                await store.create_unit(unit, author=author)
                created = True
            draft = await store.save_draft(unit_id, source, author)
            info = None
            if publish_message:
                info = await store.publish(unit_id, author, publish_message)
        return created, draft.revision, info

    created, revision, info = run(main)
    what = "新建单位并导入草稿 / created the unit and imported the draft" if created else "已导入草稿 / draft imported"
    click.echo(f"{unit_id}: {what}（修订 / revision {revision}，{len(source.files)} 个文件 / files）")
    if info is not None:
        click.echo(f"已发布版本 {info.number} / published version {info.number} ({info.content_hash[:12]})")


async def _check_new(unit_id: str, source) -> list[BundleError]:
    """A new unit has no users yet: check everything but user references, and the parent."""
    from tenants.lint import lint_source

    result = lint_source(source)
    errors = list(result.errors)
    parent = (result.bundle.unit or {}).get("parent")
    if parent and not await Unit.exists(id=parent):
        errors.append(BundleError(result.bundle.display("unit.yaml"), "/parent", "unknown_unit",
                                  f"上级单位 “{parent}” 不存在。", f"Parent unit '{parent}' does not exist."))
    return errors
