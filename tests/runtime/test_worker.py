"""``banwen worker`` runs jobs from the same queue the web server enqueues to."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from runtime.cli import cli
from runtime.jobs import Jobs, create_huey
from runtime.settings import Settings


def test_worker_process_runs_enqueued_jobs(settings: Settings, cli_env: dict[str, str]) -> None:
    assert CliRunner().invoke(cli, ["init"], env=cli_env).exit_code == 0
    huey = create_huey(settings)
    huey.flush()
    jobs = Jobs(huey, run=lambda coro: None)  # this side only enqueues
    banwen = shutil.which("banwen", path=str(Path(sys.executable).parent)) or "banwen"
    proc = subprocess.Popen([banwen, "worker", "--workers", "1"], env={**os.environ, **cli_env},
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        result = jobs.ping("from-test")
        assert result.get(blocking=True, timeout=20) == "pong:from-test"
        found = jobs.verify_versions().get(blocking=True, timeout=20)
        assert found == []  # ran in the worker, against the database, nothing altered
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            out, _ = proc.communicate(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
        huey.flush()
    assert proc.returncode == 0, out
    assert "worker running" in out
