"""Settings, read once from the environment into a frozen value and passed in (STYLE §2.4, §2.13)."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tenants.paths import ROOT


class Secret:
    """A string whose ``repr`` does not show it (session keys, passwords)."""

    def __init__(self, value: str) -> None:
        self._value = value

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return self._value

    def reveal(self) -> str:
        return self._value


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    database_url: str
    queue_url: str | None = None
    secret_key: Secret = field(default_factory=lambda: Secret(secrets.token_urlsafe(32)), repr=False)
    host: str = "127.0.0.1"
    port: int = 8000
    demo_password: str = "Banwen@2026"
    in_process_jobs: bool = True

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """``BANWEN_DATA_DIR`` (default ``./var``), ``BANWEN_DATABASE_URL`` (default SQLite in the
        data folder), ``BANWEN_QUEUE_URL`` (``redis://…``; default a SQLite queue in the data
        folder), ``BANWEN_SECRET_KEY`` (default: made once and kept in ``var/secret.key``)."""
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("BANWEN_DATA_DIR") or ROOT / "var").resolve()
        db = env.get("BANWEN_DATABASE_URL") or f"sqlite://{data_dir / 'banwen.db'}"
        secret = env.get("BANWEN_SECRET_KEY") or _stored_secret(data_dir)
        return cls(
            data_dir=data_dir,
            database_url=db,
            queue_url=env.get("BANWEN_QUEUE_URL") or None,
            secret_key=Secret(secret),
            host=env.get("BANWEN_HOST", "127.0.0.1"),
            port=int(env.get("BANWEN_PORT", "8000")),
        )


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value
