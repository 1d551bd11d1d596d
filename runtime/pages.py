"""The HTML pages of the identity layer: sign-in, sign-out, password change, home, the audit console.

Each route is registered in ``routes()`` with the ``Need`` it requires (runtime/guard.py).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route
from tortoise.transactions import in_transaction

from runtime.auth import hash_password, verify_password
from runtime.guard import PLATFORM, PUBLIC, SIGNED_IN, Ctx, client_address, guarded, need
from runtime.screens.i18n import translator
from runtime.security import CITY_TZ, CSRF_FIELD, Throttle, csrf_ok, csrf_token, password_problems, start_session
from tenants import audit, store
from tenants.models import Unit, User
from tenants.scope import platform_scope, tenant_scope

# Verified when the account does not exist, so a wrong login costs the same time as a wrong password.
_DUMMY_HASH = hash_password("banwen-no-such-account")
PAGE_SIZE = 50


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
    return request.app.state.render(request, name, status, **ctx)


def _lang(request: Request) -> str:
    from runtime.app import locale

    return locale(request)


def _safe_next(value: str | None) -> str | None:
    """Only a path on this site: never an absolute or scheme-relative URL (open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return None


async def login(request: Request, ctx: Ctx | None) -> Response:
    t = translator(_lang(request))
    settings = request.app.state.settings
    if request.method == "GET":
        notice = t("session_expired") if request.query_params.get("expired") else None
        return render(request, "login.html", csrf=csrf_token(request.session), notice=notice,
                      next=_safe_next(request.query_params.get("next")))
    form = await request.form()
    login_id = str(form.get("login", "")).strip().lower()
    password = str(form.get("password", ""))
    nxt = _safe_next(str(form.get("next") or "")) or None
    again = {"csrf": csrf_token(request.session), "login": login_id, "next": nxt}
    if not csrf_ok(request.session, str(form.get(CSRF_FIELD) or "")):
        return render(request, "login.html", 403, error=t("csrf_failed"), **again)
    if not login_id or not password:
        return render(request, "login.html", 400, error=t("missing_login"), **again)
    address = client_address(request) or ""
    throttle = Throttle(settings)
    lock = await throttle.locked(login_id, address)
    if lock is not None:
        return render(request, "login.html", 429, error=lock.message(throttle.now(), _lang(request)), **again)
    with platform_scope():
        user = await User.get_or_none(login=login_id, is_active=True)
    if not verify_password(user.password_hash if user else _DUMMY_HASH, password) or user is None:
        lock = await throttle.failed(login_id, address)
        if user is not None:
            await _event(user, "login_failed", {"locked_until": lock.until.isoformat() if lock else None}, address)
        if lock is not None:
            return render(request, "login.html", 429, error=lock.message(throttle.now(), _lang(request)), **again)
        return render(request, "login.html", 401, error=t("bad_login"), **again)
    await throttle.succeeded(login_id)
    start_session(request.session, uid=user.id, tenant=user.tenant_id, epoch=user.session_epoch)  # type: ignore[attr-defined]
    await _event(user, "login", None, address)
    return RedirectResponse(nxt or str(request.url_for("home")), status_code=303)


async def _event(user: User, action: str, after: dict[str, Any] | None, address: str) -> None:
    tenant = user.tenant_id  # type: ignore[attr-defined]
    with tenant_scope(tenant):
        async with in_transaction():
            await audit.record(f"user:{user.login}", action, after=after, tenant=tenant, actor=user.login, client=address)


async def logout(request: Request, ctx: Ctx) -> Response:
    await audit_now(ctx, f"user:{ctx.principal.login}", "logout")
    request.session.clear()
    return RedirectResponse(str(request.url_for("login")), status_code=303)


async def audit_now(ctx: Ctx, obj: str, action: str, **kw: Any) -> None:
    async with in_transaction():
        await audit.record(obj, action, **kw)


async def home(request: Request, ctx: Ctx) -> Response:
    p = ctx.principal
    unit = await Unit.get(id=p.unit)
    versions = await store.list_versions(p.unit)
    resolved: dict[str, Any] = {}
    if versions:
        resolved = (await store.get_version(p.unit)).resolved
    authority = ctx.authority
    mine = authority.roles_of(p.subject, p.unit, member=True)
    held = {r.removeprefix("post:") for r in mine if r.startswith("post:")}
    posts = []
    for post in (resolved.get("org") or {}).get("posts") or []:
        if post["id"] in held or post.get("a_holder") == p.login:
            posts.append({"name": post["name"], "a": True})
        elif p.login in (post.get("b_holders") or []):
            posts.append({"name": post["name"], "a": False})
    roles = [r for r in mine if not r.startswith("post:")]
    flows = list((resolved.get("flows") or {}).values())
    can = {"audit": authority.check(p.subject, p.unit, "audit", "read", member=True)
           or authority.check(p.subject, PLATFORM, "audit", "read")}
    with tenant_scope(p.unit):
        user = await User.get(id=p.user_id)
    return render(request, "home.html", user=user, unit=unit, posts=posts, roles=roles, flows=flows,
                  forms=sorted((resolved.get("forms") or {}).values(), key=lambda f: f["id"]),
                  versions=list(reversed(versions)), can=can,
                  platform_roles=sorted(authority.platform_roles_of(p.login)),
                  changed=request.query_params.get("changed") == "1")


async def password(request: Request, ctx: Ctx) -> Response:
    t = translator(_lang(request))
    csrf = csrf_token(request.session)
    if request.method == "GET":
        return render(request, "password.html", user=ctx.principal, csrf=csrf)
    form = await request.form()
    current, new, confirm = (str(form.get(k, "")) for k in ("current", "new", "confirm"))
    user = await User.get(id=ctx.principal.user_id)
    lang = _lang(request)
    errors = []
    if not verify_password(user.password_hash, current):
        errors.append(t("wrong_current_password"))
    if new != confirm:
        errors.append(t("passwords_differ"))
    errors += [zh if lang == "zh" else en for zh, en in password_problems(new, login=user.login, current=current)]
    if errors:
        return render(request, "password.html", 422, user=ctx.principal, csrf=csrf, errors=errors)
    async with in_transaction():
        user.password_hash = hash_password(new)
        user.session_epoch += 1
        user.password_changed_at = datetime.now(UTC)
        await user.save(update_fields=["password_hash", "session_epoch", "password_changed_at"])
        await audit.record(f"user:{user.login}", "password_change", after={"session_epoch": user.session_epoch})
    start_session(request.session, uid=user.id, tenant=ctx.principal.unit, epoch=user.session_epoch)
    return RedirectResponse(str(request.url_for("home")) + "?changed=1", status_code=303)


def _day(value: str | None, end: bool) -> datetime | None:
    if not value:
        return None
    try:
        d = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.combine(d, time.max if end else time.min, tzinfo=CITY_TZ)


async def audit_console(request: Request, ctx: Ctx) -> Response:
    """Events of one unit, filtered; the city auditor picks any unit, a unit's own admin sees their own."""
    q = request.query_params
    p = ctx.principal
    authority = ctx.authority
    if authority.check(p.subject, PLATFORM, "unit", "read"):
        with platform_scope():
            units = await Unit.all().order_by("id").values("id", "name")
    else:
        units = [{"id": p.unit, "name": (await Unit.get(id=p.unit)).name}]
    try:
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        page = 1
    filters = {k: (q.get(k) or None) for k in ("actor", "action", "object")}
    events, total = await audit.query(ctx.domain, actor=filters["actor"], action=filters["action"],
                                      obj=filters["object"], since=_day(q.get("from"), False),
                                      until=_day(q.get("to"), True), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    report = await audit.verify(ctx.domain) if q.get("verify") else None
    return render(request, "audit.html", user=p, units=units, unit=ctx.domain, events=events, total=total, page=page,
                  pages=max(1, (total + PAGE_SIZE - 1) // PAGE_SIZE), filters={**filters, "from": q.get("from") or "",
                                                                               "to": q.get("to") or ""},
                  report=report)


def routes() -> list[Route]:
    return [
        guarded("/login", login, PUBLIC, methods=("GET", "POST"), name="login"),
        guarded("/logout", logout, SIGNED_IN, methods=("POST",), name="logout"),
        guarded("/", home, SIGNED_IN, name="home"),
        guarded("/password", password, SIGNED_IN, methods=("GET", "POST"), name="password"),
        guarded("/audit", audit_console, need("audit", "read", "query"), name="audit_console"),
    ]
