"""The ``banwen`` command: one module per command group, loaded on demand (click's pattern).

Every command's errors reach the user as one clear message in Chinese and English and an exit
code (1 invalid input or bundle, 2 not found, 3 conflict, 70 unexpected) — never a traceback,
unless ``--debug`` asks for one.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import click

from tenants.errors import BanwenError, BundleInvalid

COMMANDS = {
    "init": ("runtime.cli.cmd_init", "init"),
    "serve": ("runtime.cli.cmd_serve", "serve"),
    "worker": ("runtime.cli.cmd_serve", "worker"),
    "lint": ("runtime.cli.cmd_lint", "lint"),
    "tenant": ("runtime.cli.cmd_tenant", "tenant"),
    "publish": ("runtime.cli.cmd_versions", "publish"),
    "diff": ("runtime.cli.cmd_versions", "diff"),
    "versions": ("runtime.cli.cmd_versions", "versions"),
    "db": ("runtime.cli.cmd_db", "db_group"),
    "audit": ("runtime.cli.cmd_audit", "audit_group"),
    "platform": ("runtime.cli.cmd_platform", "platform_group"),
    "token": ("runtime.cli.cmd_token", "token_group"),
    "secret": ("runtime.cli.cmd_secret", "secret_group"),
    "calendar": ("runtime.cli.cmd_calendar", "calendar_group"),
    "reminders": ("runtime.cli.cmd_reminders", "reminders_group"),
}
UNEXPECTED_EXIT = 70


class BanwenGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            return None
        module, attr = COMMANDS[name]
        return getattr(importlib.import_module(module), attr)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.Abort, SystemExit):
            raise
        except BundleInvalid as exc:
            report_bundle_errors(exc)
            ctx.exit(exc.exit_code)
        except BanwenError as exc:
            click.echo(f"错误：{exc.zh}\nError: {exc.en}", err=True)
            ctx.exit(exc.exit_code)
        except BrokenPipeError:  # output piped into `head` and the like
            ctx.exit(0)
        except Exception as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            text = describe_unexpected(exc)
            click.echo(f"错误：{text}\nError: {text}\n（加 --debug 可查看详细信息 / run with --debug for details）",
                       err=True)
            ctx.exit(UNEXPECTED_EXIT)


def report_bundle_errors(exc: BundleInvalid) -> None:
    click.echo(f"{exc.zh}\n{exc.en}", err=True)
    for e in exc.errors:
        click.echo(f"{e.where()}: {e.zh}\n    {e.en}", err=True)


def describe_unexpected(exc: Exception) -> str:
    """One line for an exception we did not anticipate; connection failures say what to check."""
    name = type(exc).__name__
    if isinstance(exc, ConnectionError | TimeoutError) or "connect" in name.lower():
        return f"无法连接数据库或队列（{exc}）；请检查 BANWEN_DATABASE_URL / BANWEN_QUEUE_URL。"
    return f"{name}: {exc}"


@click.group(cls=BanwenGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--debug", is_flag=True, help="出错时显示完整的调用栈 / show the full traceback on errors.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """办文 Banwen：单位配置、演示城市与服务。 / Banwen: unit bundles, the demo city and the server."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def main() -> None:
    cli(prog_name="banwen")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
