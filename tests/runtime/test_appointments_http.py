"""A 系统管理员 appointment through the real API: the unit head submits it, the city's filing officer
reviews and files it (备案), and only then does the appointee hold the post's rights."""

from __future__ import annotations

from webtools import Web, sign_in

from tenants.models import PlatformGrant, Unit, User
from tenants.scope import platform_scope, tenant_scope


async def test_rights_start_only_when_the_city_files_the_appointment(web: Web) -> None:
    with platform_scope():
        unit = await Unit.all().order_by("id").first()
        filer = (await PlatformGrant.get(role="city_filer")).login
    assert unit is not None
    org = unit.access["posts"]
    head = org["unit_head"]["a"]
    with tenant_scope(unit.id):
        appointee = (await User.filter(login__not_in=[head, org["office_director"]["a"]]).order_by("-login").first()).login
    versions = f"/api/units/{unit.id}/versions"

    async with web.client() as newcomer, web.client() as unit_head, web.client() as city:
        await sign_in(newcomer, appointee)
        assert (await newcomer.get("/api/me")).json()["roles"] == ["staff"]  # what every member of the unit holds
        assert (await newcomer.get(versions)).status_code == 403  # no admin rights yet

        csrf = await sign_in(unit_head, head)
        body = {"post": "sys_admin", "holder": "A", "appointee": appointee, "phone": "0790-6221234",
                "appointment_doc": "余办〔2026〕12号", "effective_date": "2026-11-25", "remarks": "原管理员调岗"}
        made = await unit_head.post(f"/api/units/{unit.id}/appointments", json=body, headers={"x-csrf-token": csrf})
        assert made.status_code == 201, made.text
        ident, version = made.json()["id"], made.json()["version"]
        assert made.json()["state"] == "running"
        # the unit head cannot file it: that is the city's step
        own = await unit_head.post(f"/api/units/{unit.id}/appointments/{ident}/approve", json={},
                                   headers={"x-csrf-token": csrf})
        assert own.status_code == 403

        csrf_city = await sign_in(city, filer)
        queue = (await city.get("/api/appointments/pending")).json()["appointments"]
        assert [a["id"] for a in queue if a["unit"] == unit.id] == [ident]
        reviewed = await city.post(f"/api/units/{unit.id}/appointments/{ident}/approve",
                                   json={"opinion": "材料齐全", "expected_version": version},
                                   headers={"x-csrf-token": csrf_city})
        assert reviewed.status_code == 200 and reviewed.json()["state"] == "running", reviewed.text
        stale = await city.post(f"/api/units/{unit.id}/appointments/{ident}/approve",
                                json={"expected_version": version}, headers={"x-csrf-token": csrf_city})
        assert stale.status_code == 409
        assert (await newcomer.get(versions)).status_code == 403  # reviewed, not yet filed

        filed = await city.post(f"/api/units/{unit.id}/appointments/{ident}/approve",
                                json={"opinion": "予以备案", "expected_version": reviewed.json()["version"]},
                                headers={"x-csrf-token": csrf_city})
        assert filed.status_code == 200 and filed.json()["state"] == "filed", filed.text
        assert (await newcomer.get(versions)).status_code == 200  # the post's rights, from this request on
        me = (await newcomer.get("/api/me")).json()
        assert "sys_admin" in me["posts"] and "unit_admin" in me["roles"]

        events = (await unit_head.get(f"/api/units/{unit.id}/audit/events", params={"object": f"appointment:{ident}"}))
        assert events.status_code == 403  # the unit head is no auditor
        trail = (await newcomer.get(f"/api/units/{unit.id}/audit/events",
                                    params={"object": f"appointment:{ident}"})).json()["events"]
        assert [e["action"] for e in reversed(trail)][:1] == ["submit"] and len(trail) == 3
