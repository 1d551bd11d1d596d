"""``banwen secret rotate``: a new session-signing key; sessions signed with the old one keep working
until they expire (it moves to ``var/secret.key.previous``), and a second rotation drops it."""

from __future__ import annotations

import os

import click

from runtime.cli.common import settings
from runtime.settings import rotate_stored_secret


@click.group("secret")
def secret_group() -> None:
    """会话签名密钥。 / The session-signing key."""


@secret_group.command("rotate")
def rotate() -> None:
    """更换会话签名密钥（旧密钥签发的会话到期前仍有效）。 / Rotate the session key (old sessions live until they expire)."""
    if os.environ.get("BANWEN_SECRET_KEY"):
        raise click.UsageError("密钥由环境变量 BANWEN_SECRET_KEY 提供：请在那里更换，并把旧值放入 BANWEN_SECRET_KEY_PREVIOUS。"
                               " / The key comes from BANWEN_SECRET_KEY: change it there and put the old value in "
                               "BANWEN_SECRET_KEY_PREVIOUS.")
    s = settings()
    rotate_stored_secret(s.data_dir)
    click.echo(f"已更换 {s.data_dir / 'secret.key'}；旧密钥保存在 secret.key.previous。重启服务后生效。"
               f" / Rotated {s.data_dir / 'secret.key'}; the old key is kept in secret.key.previous. Restart to apply.")
