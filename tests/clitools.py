"""Running ``banwen`` in-process for the CLI tests: click's CliRunner against the test's own database."""

from __future__ import annotations

from click.testing import CliRunner, Result

from runtime.cli import cli


def banwen(env: dict[str, str], *args: str) -> Result:
    """``banwen ARGS`` with ``env`` (the ``cli_env`` fixture); exceptions propagate so a traceback shows."""
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
