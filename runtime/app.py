"""The web application, built from what it is handed (STYLE §2.4): ``create_app(settings)``.

The lifespan opens the database and, for the embedded setup, starts the job consumer in-process.
Requests find the ORM through Tortoise's process-wide context (one app per process).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from tortoise import Tortoise

from rbac.authority import load_from_db
from runtime import api, api_flows, api_records, db, pages, pages_flows, pages_forms
from runtime.guard import PUBLIC, guarded
from runtime.jobs import Jobs, LoopRunner, create_huey
from runtime.screens.i18n import LOCALES, translator
from runtime.security import AddressAllowlist, SecurityHeaders, SignedSession
from runtime.settings import Settings
from tenants.errors import BanwenError, BundleInvalid

SCREENS = Path(__file__).resolve().parent / "screens"
log = logging.getLogger("banwen.app")


def create_app(settings: Settings, *, jobs_in_process: bool | None = None) -> Starlette:
    templates = Jinja2Templates(directory=str(SCREENS / "templates"))
    run_jobs = settings.in_process_jobs if jobs_in_process is None else jobs_in_process

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(config=db.tortoise_config(settings.database_url), _enable_global_fallback=True)
        app.state.authority = await load_from_db()
        huey = create_huey(settings)
        app.state.jobs = Jobs(huey, LoopRunner(asyncio.get_running_loop()), sweep_seconds=settings.sweep_seconds,
                              heads_dir=settings.data_dir / "audit-heads")
        consumer = app.state.jobs.start_consumer() if run_jobs else None
        try:
            yield
        finally:
            if consumer is not None:
                await asyncio.to_thread(consumer.stop, graceful=True)
            await Tortoise.close_connections()

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        lang = locale(request)
        return templates.TemplateResponse(request, name, {"lang": lang, "t": translator(lang),
                                                          "csrf": request.session.get("csrf", ""), **ctx},
                                          status_code=status)

    async def health(request: Request, ctx: Any) -> Response:
        ok = await db.is_initialised()
        return JSONResponse({"status": "ok" if ok else "uninitialised", "database": "sqlite" if settings.is_sqlite
                             else "postgres"}, status_code=200 if ok else 503)

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": {"zh": "不存在。", "en": "Not found."}}, status_code=404)
        return render(request, "error.html", 404, user=None, message=translator(locale(request))("not_found"))

    async def banwen_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BanwenError)
        if request.url.path.startswith("/api/"):
            body: dict[str, Any] = {"error": {"zh": exc.zh, "en": exc.en}}
            if isinstance(exc, BundleInvalid):
                body["errors"] = [e.as_dict() for e in exc.errors]
            elif isinstance(getattr(exc, "problems", None), list):  # field-level problems of a submitted form
                body["errors"] = exc.problems  # type: ignore[attr-defined]
            return JSONResponse(body, status_code=exc.status)
        message = exc.en if locale(request) == "en" else exc.zh
        return render(request, "error.html", exc.status, user=None, message=message)

    routes = [
        *pages.routes(),
        *pages_forms.routes(),
        *pages_flows.routes(),
        guarded("/healthz", health, PUBLIC, name="health"),
        *api.routes(),
        *api_records.routes(),
        *api_flows.routes(),
        Mount("/static", StaticFiles(directory=str(SCREENS / "static")), name="static"),
    ]
    middleware = [
        Middleware(AddressAllowlist, networks=settings.allowed_networks),
        Middleware(SecurityHeaders, https=settings.https),
        Middleware(LocaleMiddleware),
        Middleware(SignedSession, settings=settings),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: not_found, BanwenError: banwen_error})
    app.state.settings = settings
    app.state.render = render
    return app


def locale(request: Request) -> str:
    lang = request.scope.get("banwen_lang") or "zh"
    return lang if lang in LOCALES else "zh"


class LocaleMiddleware:
    """``?lang=en`` switches the locale and remembers it in a cookie; Chinese is the default."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        asked = request.query_params.get("lang")
        lang = asked if asked in LOCALES else request.cookies.get("banwen_lang", "zh")
        scope["banwen_lang"] = lang if lang in LOCALES else "zh"

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if asked in LOCALES and message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"set-cookie", f"banwen_lang={asked}; Path=/; Max-Age=31536000; SameSite=Lax".encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_cookie)

