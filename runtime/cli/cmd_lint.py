"""``banwen lint PATH…``: check bundle folders; exit 0 when valid, 1 with every error listed."""

from __future__ import annotations

from pathlib import Path

import click

from runtime.cli.common import echo_json
from tenants.lint import TemplateLibrary, lint_paths
from tenants.paths import TEMPLATES_DIR


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="输出格式 / output format.")
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(path_type=Path, file_okay=False),
              help=f"模板目录（可多次）/ template folder (repeatable); default {TEMPLATES_DIR}.")
def lint(paths: tuple[Path, ...], fmt: str, template_dirs: tuple[Path, ...]) -> None:
    """检查配置包（含模板与交叉引用）。 / Check bundles: meta-schemas, templates and cross-references."""
    library = TemplateLibrary([*template_dirs, TEMPLATES_DIR])
    results = lint_paths(list(paths), library)
    errors = [e for r in results for e in r.errors]
    # an error in a template shows once even when several units extend it
    seen, unique = set(), []
    for e in errors:
        key = (e.file, e.pointer, e.code, e.en)
        if key not in seen:
            seen.add(key)
            unique.append(e)
    if fmt == "json":
        echo_json({"ok": not unique, "bundles": [r.bundle.source.label for r in results],
                   "errors": [e.as_dict() for e in unique]})
    else:
        for e in unique:
            click.echo(f"{e.where()}: {e.zh}\n    {e.en}")
        n = len(results)
        if unique:
            click.echo(f"\n{n} 个配置包，{len(unique)} 处错误。/ {n} bundle(s), {len(unique)} error(s).")
        else:
            click.echo(f"{n} 个配置包全部通过检查。/ {n} bundle(s), no errors.")
    if unique:
        raise click.exceptions.Exit(1)
