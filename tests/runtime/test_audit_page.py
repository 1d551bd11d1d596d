"""The city auditor's page: pick a unit, filter its events, verify its chain — and see an edit in SQL."""

from __future__ import annotations

from tortoise import Tortoise
from webtools import Web, sign_in

from tenants.models import AuditEvent, PlatformGrant, Unit
from tenants.scope import platform_scope


async def test_auditor_browses_filters_and_verifies_any_unit(web: Web) -> None:
    with platform_scope():
        units = await Unit.all().order_by("id")
        auditor = (await PlatformGrant.get(role="city_auditor")).login
    target = units[-1]
    async with web.client() as client:
        await sign_in(client, auditor)
        page = await client.get("/audit", params={"unit": target.id})
        assert page.status_code == 200 and "审计日志" in page.text
        assert all(f'<option value="{u.id}"' in page.text for u in units)  # the auditor may pick any unit
        created = await client.get("/audit", params={"unit": target.id, "action": "create", "object": "unit"})
        assert "unit</td><td>create" in created.text.replace("\n", "").replace(" ", "")
        assert "login</td>" not in created.text
        ok = await client.get("/audit", params={"unit": target.id, "verify": "1"})
        assert "哈希链完整" in ok.text

        with platform_scope():
            first = await AuditEvent.filter(tenant_id=target.id).order_by("seq").first()
        assert first is not None
        await Tortoise.get_connection("default").execute_query(
            "UPDATE audit_event SET action = 'tampered' WHERE id = " + str(first.id))
        broken = await client.get("/audit", params={"unit": target.id, "verify": "1"})
        assert 'role="alert"' in broken.text and f"第 {first.seq} 条审计事件" in broken.text and "已被篡改" in broken.text
        english = await client.get("/audit", params={"unit": target.id, "verify": "1", "lang": "en"})
        assert "Audit trail" in english.text
