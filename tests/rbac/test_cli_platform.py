"""``banwen platform grant | revoke | list`` through click's CliRunner, against this test's own database."""

from __future__ import annotations

import asyncio
import json

import pytest
from clitools import banwen

from rbac.authority import Authority, load_from_db
from runtime import db
from runtime.settings import Settings
from tenants.models import AuditEvent, PolicyChange
from tenants.scope import platform_scope


@pytest.fixture
def city(cli_env: dict[str, str]) -> dict[str, str]:
    r = banwen(cli_env, "init", "--demo", "--units", "3", "--users", "30", "--exchange-units", "1")
    assert r.exit_code == 0, r.output
    return cli_env


def look(settings: Settings) -> tuple[Authority, list[str], list[tuple[str, str, str]]]:
    """What a fresh process sees: the authority, the policy changes, the grant audit events."""

    async def main() -> tuple[Authority, list[str], list[tuple[str, str, str]]]:
        async with db.database(settings):
            changes = await PolicyChange.all().order_by("id").values_list("domain", flat=True)
            with platform_scope():
                events = await AuditEvent.filter(obj="platform_grant").order_by("id").values_list(
                    "tenant_id", "action", "actor")
            return await load_from_db(), changes, events

    return asyncio.run(main())


def test_grant_list_revoke(city: dict[str, str], settings: Settings) -> None:
    _, changes0, events0 = look(settings)
    listed0 = json.loads(banwen(city, "platform", "list", "--json").output)  # the demo's own grants
    assert all(x["login"] != "xinyu_szf_03" for x in listed0)
    r = banwen(city, "platform", "grant", "--login", "xinyu_szf_03", "--role", "city_auditor", "--as", "root")
    assert r.exit_code == 0, r.output
    assert "市信息化部门审计员" in r.output and "xinyu_szf" in r.output
    r = banwen(city, "platform", "list", "--json")
    assert r.exit_code == 0
    rows = [x for x in json.loads(r.output) if x not in listed0]
    assert [(x["login"], x["role"], x["role_name"], x["unit"], x["granted_by"]) for x in rows] == [
        ("xinyu_szf_03", "city_auditor", "市信息化部门审计员", "xinyu_szf", "root")]
    authority, changes, events = look(settings)
    assert changes == [*changes0, "*"]
    assert events == [*events0, ("xinyu_szf", "grant", "root")]
    assert authority.platform_roles_of("xinyu_szf_03") == {"city_auditor"}
    assert all(authority.check("xinyu_szf_03", unit, "audit", "read") for unit in authority.domains)
    assert not authority.check("xinyu_szf_03", "xinyu_szf", "bundle", "update")

    r = banwen(city, "platform", "list")
    assert "xinyu_szf_03" in r.output and f"{len(listed0) + 1} grant(s)" in r.output
    r = banwen(city, "platform", "revoke", "--login", "xinyu_szf_03", "--role", "city_auditor", "--as", "root")
    assert r.exit_code == 0, r.output
    authority, changes, events = look(settings)
    assert changes == [*changes0, "*", "*"] and [e[1] for e in events[len(events0):]] == ["grant", "revoke"]
    assert events[-1] == ("xinyu_szf", "revoke", "root")
    assert authority.platform_roles_of("xinyu_szf_03") == set()
    assert not authority.check("xinyu_szf_03", "xinyu_swb", "audit", "read")
    assert json.loads(banwen(city, "platform", "list", "--json").output) == listed0


def test_bad_input_gets_one_clear_message_and_changes_nothing(city: dict[str, str], settings: Settings) -> None:
    _, changes0, events0 = look(settings)
    r = banwen(city, "platform", "grant", "--login", "xinyu_szf_03", "--role", "emperor")
    assert r.exit_code == 1
    assert "没有平台角色 “emperor”" in r.output and "city_auditor" in r.output and "Traceback" not in r.output
    r = banwen(city, "platform", "grant", "--login", "nobody", "--role", "city_auditor")
    assert r.exit_code == 2 and "No user with the login 'nobody'" in r.output
    r = banwen(city, "platform", "revoke", "--login", "xinyu_szf_03", "--role", "city_filer")
    assert r.exit_code == 2 and "does not hold the platform role city_filer" in r.output
    r = banwen(city, "platform", "revoke", "--login", "nobody", "--role", "city_filer")
    assert r.exit_code == 2 and "No user with the login 'nobody'" in r.output
    assert banwen(city, "platform", "grant", "--login", "xinyu_szf_03", "--role", "city_filer").exit_code == 0
    r = banwen(city, "platform", "grant", "--login", "xinyu_szf_03", "--role", "city_filer")
    assert r.exit_code == 3 and "already holds" in r.output
    _, changes, events = look(settings)
    assert changes == [*changes0, "*"] and len(events) == len(events0) + 1  # only the grant that succeeded
    r = banwen(city, "platform", "grant", "--login", "xinyu_szf_03")
    assert r.exit_code == 2 and "--role" in r.output  # click's own usage error
