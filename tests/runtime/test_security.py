"""The pieces of runtime/security.py on their own: lock-out timing, the password policy, the
allowlist's address matching, settings that name what is wrong."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from runtime.security import AddressAllowlist, Throttle, password_problems
from runtime.settings import DEFAULT_NETWORKS, Settings
from tenants.errors import BanwenError


async def test_a_lock_out_ends_when_its_time_is_up(database: Settings) -> None:
    s = dataclasses.replace(database, login_max_failures_account=2, login_lock_seconds=1)
    throttle = Throttle(s)
    assert await throttle.failed("wang_fang", "10.1.2.3") is None
    lock = await throttle.failed("wang_fang", "10.1.2.3")
    assert lock is not None and not lock.by_address
    assert await throttle.locked("wang_fang", "10.9.9.9") is not None
    assert await throttle.locked("li_na", "10.1.2.3") is None  # the address is not locked yet
    assert "请于" in lock.message(throttle.now(), "zh") and "Try again after" in lock.message(throttle.now(), "en")
    await asyncio.sleep(1.2)
    assert await throttle.locked("wang_fang", "10.1.2.3") is None
    await throttle.succeeded("wang_fang")


def test_password_policy_names_each_problem() -> None:
    assert password_problems("Xinyu-Office-2027", login="wang_fang") == []
    assert len(password_problems("short", login="wang_fang")) == 2
    assert any("账号" in zh for zh, _ in password_problems("wang_fang-2027X", login="wang_fang"))
    assert any("相同" in zh for zh, _ in password_problems("Xinyu-Office-2027", login="x", current="Xinyu-Office-2027"))


def test_allowlist_matches_v4_v6_and_mapped_addresses() -> None:
    gate = AddressAllowlist(None, DEFAULT_NETWORKS)
    assert gate.allows("127.0.0.1") and gate.allows("10.20.30.40") and gate.allows("::1")
    assert gate.allows("::ffff:192.168.1.5")
    assert not gate.allows("8.8.8.8") and not gate.allows("2001:db8::1") and not gate.allows("not-an-ip")
    assert not gate.allows(None)


def test_settings_name_a_bad_value() -> None:
    with pytest.raises(BanwenError, match="BANWEN_ALLOWED_NETWORKS"):
        Settings.from_env({"BANWEN_SECRET_KEY": "k", "BANWEN_ALLOWED_NETWORKS": "10.0.0.0/8, 300.1.1.1/33"})
    with pytest.raises(BanwenError, match="BANWEN_SESSION_IDLE_SECONDS"):
        Settings.from_env({"BANWEN_SECRET_KEY": "k", "BANWEN_SESSION_IDLE_SECONDS": "soon"})
    s = Settings.from_env({"BANWEN_SECRET_KEY": "k", "BANWEN_SECRET_KEY_PREVIOUS": "old1, old2",
                           "BANWEN_ALLOWED_NETWORKS": "10.8.0.0/16"})
    assert s.allowed_networks == ("10.8.0.0/16",) and [k.reveal() for k in s.previous_secret_keys] == ["old1", "old2"]
