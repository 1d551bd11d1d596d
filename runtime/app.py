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
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates
from tortoise import Tortoise

from runtime import db
from runtime.auth import verify_password
from runtime.jobs import Jobs, LoopRunner, create_huey
from runtime.screens.i18n import LOCALES, translator
from runtime.settings import Settings
from tenants import store
from tenants.errors import BanwenError
from tenants.models import BundleVersion, Unit, User
from tenants.scope import platform_scope, tenant_scope

SCREENS = Path(__file__).resolve().parent / "screens"
SESSION_MAX_AGE = 8 * 3600
log = logging.getLogger("banwen.app")


def create_app(settings: Settings, *, jobs_in_process: bool | None = None) -> Starlette:
    templates = Jinja2Templates(directory=str(SCREENS / "templates"))
    run_jobs = settings.in_process_jobs if jobs_in_process is None else jobs_in_process

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await Tortoise.init(config=db.tortoise_config(settings.database_url), _enable_global_fallback=True)
        huey = create_huey(settings)
        app.state.jobs = Jobs(huey, LoopRunner(asyncio.get_running_loop()))
        consumer = app.state.jobs.start_consumer() if run_jobs else None
        try:
            yield
        finally:
            if consumer is not None:
                await asyncio.to_thread(consumer.stop, graceful=True)
            await Tortoise.close_connections()

    def render(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
        lang = locale(request)
        return templates.TemplateResponse(request, name, {"lang": lang, "t": translator(lang), **ctx},
                                          status_code=status)

    async def current_user(request: Request) -> User | None:
        uid = request.session.get("uid")
        tenant = request.session.get("tenant")
        if not uid or not tenant:
            return None
        with tenant_scope(tenant):
            return await User.get_or_none(id=uid, is_active=True)

    async def health(request: Request) -> Response:
        ok = await db.is_initialised()
        return JSONResponse({"status": "ok" if ok else "uninitialised", "database": "sqlite" if settings.is_sqlite
                             else "postgres"}, status_code=200 if ok else 503)

    async def login(request: Request) -> Response:
        if request.method == "GET":
            return render(request, "login.html")
        form = await request.form()
        login_id = str(form.get("login", "")).strip().lower()
        password = str(form.get("password", ""))
        t = translator(locale(request))
        if not login_id or not password:
            return render(request, "login.html", 400, error=t("missing_login"), login=login_id)
        with platform_scope():
            user = await User.get_or_none(login=login_id, is_active=True)
        if user is None or not verify_password(user.password_hash, password):
            return render(request, "login.html", 401, error=t("bad_login"), login=login_id)
        request.session.clear()
        request.session.update({"uid": user.id, "tenant": user.tenant_id})  # type: ignore[attr-defined]
        return RedirectResponse(request.url_for("home"), status_code=303)

    async def logout(request: Request) -> Response:
        request.session.clear()
        return RedirectResponse(request.url_for("login"), status_code=303)

    async def home(request: Request) -> Response:
        user = await current_user(request)
        if user is None:
            return RedirectResponse(request.url_for("login"), status_code=303)
        tenant = user.tenant_id  # type: ignore[attr-defined]
        unit = await Unit.get(id=tenant)
        with tenant_scope(tenant):
            latest = await BundleVersion.filter().order_by("-number").first()
        versions = await store.list_versions(tenant)
        resolved = latest.resolved if latest else {}
        posts = []
        for p in (resolved.get("org") or {}).get("posts") or []:
            if p.get("a_holder") == user.login:
                posts.append({"name": p["name"], "a": True})
            elif user.login in (p.get("b_holders") or []):
                posts.append({"name": p["name"], "a": False})
        flows = list((resolved.get("flows") or {}).values())
        return render(request, "home.html", user=user, unit=unit, posts=posts, flows=flows,
                      versions=list(reversed(versions)))

    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": {"zh": "不存在。", "en": "Not found."}}, status_code=404)
        return render(request, "base.html", 404, user=None)

    async def banwen_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, BanwenError)
        return JSONResponse({"error": {"zh": exc.zh, "en": exc.en}}, status_code=exc.status)

    routes = [
        Route("/", home, name="home"),
        Route("/login", login, methods=["GET", "POST"], name="login"),
        Route("/logout", logout, methods=["POST"], name="logout"),
        Route("/healthz", health, name="health"),
        Mount("/static", StaticFiles(directory=str(SCREENS / "static")), name="static"),
    ]
    middleware = [
        Middleware(LocaleMiddleware),
        Middleware(SessionMiddleware, secret_key=settings.secret_key.reveal(), session_cookie="banwen_session",
                   max_age=SESSION_MAX_AGE, same_site="lax", https_only=False),
    ]
    app = Starlette(routes=routes, middleware=middleware, lifespan=lifespan,
                    exception_handlers={404: not_found, BanwenError: banwen_error})
    app.state.settings = settings
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


_ = HTTPException  # re-exported for handlers registered later
