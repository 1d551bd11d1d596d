"""Running the real ``banwen`` commands as processes: ``banwen init`` and ``banwen serve`` on a free
port, for the tests that speak real HTTP (browser tests, the security tests)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT = 30.0
STOP_TIMEOUT = 5.0


def banwen_command() -> list[str]:
    """The ``banwen`` console script of this interpreter's environment (``runtime.cli`` has no ``__main__``)."""
    script = Path(sys.executable).with_name("banwen")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from runtime.cli import main; sys.exit(main())"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def answers(url: str) -> bool:
    """The server answers at all (any status: an allowlist may refuse us with 403)."""
    try:
        with urllib.request.urlopen(url + "/healthz", timeout=2):
            return True
    except urllib.error.HTTPError:
        return True
    except (urllib.error.URLError, OSError):
        return False


def init(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([*banwen_command(), "init", *args], env=env, cwd=cwd, capture_output=True, text=True,
                          timeout=180)
    assert done.returncode == 0, f"banwen init failed ({done.returncode}):\n{done.stdout}\n{done.stderr}"
    return done


@contextmanager
def serve(env: dict[str, str], cwd: Path, log: Path) -> Iterator[str]:
    """``banwen serve`` on a free port; yields its URL once it answers, stops it afterwards."""
    import pytest

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("w") as out:
        server = subprocess.Popen([*banwen_command(), "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not answers(url):
            if server.poll() is not None:
                pytest.fail(f"banwen serve exited with {server.returncode} before answering:\n{tail(log)}")
            if time.monotonic() > deadline:
                pytest.fail(f"banwen serve did not answer {url}/healthz within {START_TIMEOUT:.0f} s:\n{tail(log)}")
            time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(10)
            warnings.warn(f"banwen serve ignored SIGTERM for {STOP_TIMEOUT:.0f} s and was killed", stacklevel=1)
