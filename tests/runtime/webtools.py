"""Helpers for the web tests: the app opened with its lifespan, clients, signing in through the form."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from runtime.app import create_app
from runtime.settings import Settings

CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')


class Web:
    """The app, open, and a way to make clients (optionally from another address)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def client(self, address: str = "127.0.0.1") -> httpx.AsyncClient:
        """A client of the app; an unhandled error comes back as the 500 a browser would see."""
        transport = httpx.ASGITransport(app=self.app, client=(address, 40000), raise_app_exceptions=False)
        return httpx.AsyncClient(transport=transport, base_url="http://testserver")


@asynccontextmanager
async def open_web(settings: Settings) -> AsyncIterator[Web]:
    app = create_app(settings, jobs_in_process=False)
    async with app.router.lifespan_context(app):
        yield Web(app)



async def login_csrf(client: httpx.AsyncClient) -> str:
    page = await client.get("/login")
    match = CSRF_INPUT.search(page.text)
    assert match, page.text
    return match.group(1)


async def sign_in(client: httpx.AsyncClient, login: str, password: str = "Banwen@2026") -> str:
    """Sign in through the form; returns the session's CSRF token for later unsafe requests."""
    token = await login_csrf(client)
    r = await client.post("/login", data={"login": login, "password": password, "csrf_token": token})
    assert r.status_code == 303, (r.status_code, r.text[:500])
    me = await client.get("/api/me")
    assert me.status_code == 200, me.text
    return me.json()["csrf_token"]
