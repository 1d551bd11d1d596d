"""``banwen publish``, ``banwen versions`` and ``banwen diff``: a unit's configuration history."""

from __future__ import annotations

from typing import Any

import click

from runtime.cli.common import actor, echo_json, run
from runtime.settings import Settings
from tenants import store
from tenants.diff import diff_documents, render_text, summary
from tenants.errors import BundleInvalid


@click.command()
@click.argument("unit_id")
@click.option("--message", "-m", required=True, help="发布说明（必填）/ what changed and why (required).")
@click.option("--as", "who", help="记录为哪个账号所做 / record the change as this account.")
def publish(unit_id: str, message: str, who: str | None) -> None:
    """把单位的草稿发布为新版本（不可修改）。 / Publish the unit's draft as a new, immutable version."""

    async def main(s: Settings) -> store.VersionInfo:
        return await store.publish(unit_id, actor(who), message)

    info = run(main)
    click.echo(f"{unit_id}：已发布版本 {info.number}（{info.content_hash[:12]}，{info.author}，{info.created_at}）"
               f"\n{unit_id}: published version {info.number}.")


@click.command()
@click.argument("unit_id")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def versions(unit_id: str, fmt: str) -> None:
    """列出单位的已发布版本。 / List a unit's published versions."""

    async def main(s: Settings) -> list[store.VersionInfo]:
        return await store.list_versions(unit_id)

    rows = run(main)
    if fmt == "json":
        echo_json([r.__dict__ for r in rows])
        return
    for r in rows:
        click.echo(f"v{r.number:<4} {r.created_at}  {r.author:<20} {r.content_hash[:12]}  {r.message}")


def _parse_ref(value: str) -> int | str:
    if value == "draft":
        return value
    try:
        n = int(value.lstrip("v"))
    except ValueError:
        raise click.BadParameter(f"“{value}” 不是版本号或 draft / not a version number or 'draft'") from None
    if n < 1:
        raise click.BadParameter("版本号从 1 开始 / versions start at 1")
    return n


async def _resolved(unit_id: str, ref: int | str) -> dict[str, Any]:
    if ref == "draft":
        source = await store.draft_source(unit_id)
        result = await store.check(unit_id, source)
        if result.errors:
            raise BundleInvalid(result.errors)
        return result.resolved.as_json()
    v = await store.get_version(unit_id, int(ref))
    return v.resolved


@click.command()
@click.argument("unit_id")
@click.argument("old")
@click.argument("new")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True, help="语言 / language.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def diff(unit_id: str, old: str, new: str, lang: str, fmt: str) -> None:
    """逐项逐字段比较两个版本（版本号或 draft）。 / Compare two versions (numbers or 'draft'), item by item."""
    a, b = _parse_ref(old), _parse_ref(new)

    async def main(s: Settings) -> tuple[dict[str, Any], dict[str, Any]]:
        return await _resolved(unit_id, a), await _resolved(unit_id, b)

    before, after = run(main)
    changes = diff_documents(before, after)
    if fmt == "json":
        echo_json({"unit": unit_id, "old": old, "new": new, "summary": summary(changes),
                   "changes": [c.as_dict() for c in changes]})
    else:
        click.echo(render_text(changes, lang=lang))
