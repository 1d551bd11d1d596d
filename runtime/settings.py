"""Settings, read once from the environment into a frozen value and passed in (STYLE §2.4, §2.13)."""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from tenants.errors import BanwenError
from tenants.paths import ROOT

# Loopback and the private ranges: a government network and its VPN are usually inside them.
DEFAULT_NETWORKS = ("127.0.0.0/8", "::1/128", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")


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
    # Keys that signed sessions before the last rotation: still accepted, never used to sign.
    previous_secret_keys: tuple[Secret, ...] = field(default=(), repr=False)
    allowed_networks: tuple[str, ...] = DEFAULT_NETWORKS
    session_idle_seconds: int = 30 * 60
    session_absolute_seconds: int = 12 * 3600
    login_max_failures_account: int = 5
    login_max_failures_address: int = 20
    login_window_seconds: int = 15 * 60
    login_lock_seconds: int = 15 * 60
    https: bool = False
    # Reverse proxies whose X-Forwarded-For names the real client (allowlist, lock-out, audit); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Largest attachment accepted (bytes); BANWEN_MAX_UPLOAD_MB sets it in megabytes.
    max_upload_bytes: int = 50 * 1024 * 1024
    # How often the job consumer sweeps for due reminders (seconds, at most 60; huey's own periodic
    # check runs once a minute); BANWEN_SWEEP_SECONDS, lowered by the tests.
    sweep_seconds: int = 60

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read the ``BANWEN_*`` variables (README lists them); a malformed value is an error that names it.

        ``BANWEN_DATA_DIR`` (default ``./var``), ``BANWEN_DATABASE_URL`` (default SQLite in the data
        folder), ``BANWEN_QUEUE_URL`` (``redis://…``; default a SQLite queue in the data folder),
        ``BANWEN_SECRET_KEY`` (default: made once and kept in ``var/secret.key``; ``banwen secret
        rotate`` keeps the old one in ``var/secret.key.previous``), ``BANWEN_SECRET_KEY_PREVIOUS``
        (comma-separated), ``BANWEN_ALLOWED_NETWORKS`` (comma-separated CIDRs),
        ``BANWEN_TRUSTED_PROXIES`` (CIDRs of reverse proxies whose ``X-Forwarded-For`` is believed), the session and
        sign-in limits, ``BANWEN_HTTPS=1`` behind TLS (Secure cookies, HSTS), and
        ``BANWEN_SWEEP_SECONDS`` (how often the job consumer sweeps for due reminders; default 60).
        """
        env = dict(os.environ if env is None else env)
        data_dir = Path(env.get("BANWEN_DATA_DIR") or ROOT / "var").resolve()
        db = env.get("BANWEN_DATABASE_URL") or f"sqlite://{data_dir / 'banwen.db'}"
        secret = env.get("BANWEN_SECRET_KEY") or _stored_secret(data_dir)
        previous = [x.strip() for x in env.get("BANWEN_SECRET_KEY_PREVIOUS", "").split(",") if x.strip()]
        if not env.get("BANWEN_SECRET_KEY"):
            previous += _stored_previous(data_dir)
        networks = env.get("BANWEN_ALLOWED_NETWORKS")
        return cls(
            data_dir=data_dir,
            database_url=db,
            queue_url=env.get("BANWEN_QUEUE_URL") or None,
            secret_key=Secret(secret),
            previous_secret_keys=tuple(Secret(x) for x in previous),
            host=env.get("BANWEN_HOST", "127.0.0.1"),
            port=_int(env, "BANWEN_PORT", 8000),
            allowed_networks=parse_networks(networks, "BANWEN_ALLOWED_NETWORKS") if networks else DEFAULT_NETWORKS,
            session_idle_seconds=_int(env, "BANWEN_SESSION_IDLE_SECONDS", 30 * 60),
            session_absolute_seconds=_int(env, "BANWEN_SESSION_ABSOLUTE_SECONDS", 12 * 3600),
            login_max_failures_account=_int(env, "BANWEN_LOGIN_MAX_FAILURES", 5),
            login_max_failures_address=_int(env, "BANWEN_LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
            login_window_seconds=_int(env, "BANWEN_LOGIN_WINDOW_SECONDS", 15 * 60),
            login_lock_seconds=_int(env, "BANWEN_LOGIN_LOCK_SECONDS", 15 * 60),
            https=env.get("BANWEN_HTTPS", "").lower() in ("1", "true", "yes"),
            trusted_proxies=parse_networks(env["BANWEN_TRUSTED_PROXIES"], "BANWEN_TRUSTED_PROXIES")
            if env.get("BANWEN_TRUSTED_PROXIES") else (),
            max_upload_bytes=_int(env, "BANWEN_MAX_UPLOAD_MB", 50) * 1024 * 1024,
            sweep_seconds=_int(env, "BANWEN_SWEEP_SECONDS", 60),
        )


def parse_networks(text: str, name: str) -> tuple[str, ...]:
    """Comma-separated CIDRs, each checked; a bad one is named with the setting it came from."""
    out = []
    for part in (x.strip() for x in text.split(",")):
        if not part:
            continue
        try:
            out.append(str(ipaddress.ip_network(part, strict=False)))
        except ValueError:
            raise BanwenError(f"设置 {name} 中的 “{part}” 不是有效的网段（例如 10.0.0.0/8）。",
                              f"'{part}' in {name} is not a network (for example 10.0.0.0/8).") from None
    if not out:
        raise BanwenError(f"设置 {name} 为空：至少需要一个网段。", f"{name} is empty: it needs at least one network.")
    return tuple(out)


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        value = -1
    if value <= 0:
        raise BanwenError(f"设置 {name}=“{raw}” 必须是正整数。", f"{name}='{raw}' must be a positive whole number.")
    return value


def _stored_secret(data_dir: Path) -> str:
    path = data_dir / "secret.key"
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_urlsafe(48)
    path.write_text(value)
    path.chmod(0o600)
    return value


def _stored_previous(data_dir: Path) -> list[str]:
    path = data_dir / "secret.key.previous"
    if not path.exists():
        return []
    return [x.strip() for x in path.read_text().splitlines() if x.strip()]


def rotate_stored_secret(data_dir: Path) -> None:
    """Make a new session key; the current one moves to ``secret.key.previous`` (accepted, not used to sign).

    Sessions signed with the old key stay valid until they expire; rotating again drops it.
    """
    current = _stored_secret(data_dir)
    previous = data_dir / "secret.key.previous"
    previous.write_text(current + "\n")
    previous.chmod(0o600)
    path = data_dir / "secret.key"
    path.write_text(secrets.token_urlsafe(48))
    path.chmod(0o600)
