"""What stands between the network and a handler: the address allowlist, security headers, the
signed session (idle and absolute expiry, key rotation), CSRF tokens, the password policy, sign-in
throttling and API tokens.

Order of the middleware (outermost first, runtime/app.py): allowlist → headers → locale → session.
The allowlist answers 403 before anything else runs, the database included.
"""

from __future__ import annotations

import hmac
import ipaddress
import json
import secrets
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from tortoise.timezone import localtime
from tortoise.transactions import in_transaction

from rbac.tokens import TOKEN_PREFIX, token_digest
from runtime.settings import Settings
from tenants.errors import BanwenError
from tenants.models import ApiToken, LoginThrottle
from tenants.scope import platform_scope

SESSION_COOKIE = "banwen_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Scripts and styles come from our own /static only; nothing may frame a page (clickjacking).
# 'wasm-unsafe-eval' lets the JsonLogic evaluator's WebAssembly build run in the browser.
CSP = ("default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data:; "
       "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")


# ---- the allowlist ------------------------------------------------------------------------

class AddressAllowlist:
    """Refuses (403) a request whose client address is outside the configured networks."""

    def __init__(self, app: Any, networks: tuple[str, ...]) -> None:
        self.app = app
        self.networks = [ipaddress.ip_network(n, strict=False) for n in networks]

    def allows(self, host: str | None) -> bool:
        if not host:
            return False
        try:
            address = ipaddress.ip_address(host)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in n for n in self.networks if n.version == address.version)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] in ("http", "websocket"):
            client = scope.get("client")
            if not self.allows(client[0] if client else None):
                body = ("本平台仅允许政务网和 VPN 地址访问。\nThis platform only answers the government network "
                        "and its VPN.\n").encode()
                await send({"type": "http.response.start", "status": 403,
                            "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                                        (b"content-length", str(len(body)).encode()),
                                        (b"x-content-type-options", b"nosniff"),
                                        (b"content-security-policy", CSP.encode()),
                                        (b"cache-control", b"no-store")]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


# ---- headers --------------------------------------------------------------------------------

class SecurityHeaders:
    """Adds CSP, frame-ancestors, no-sniff, referrer policy (and HSTS behind TLS) to every response."""

    def __init__(self, app: Any, https: bool = False) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("content-security-policy", CSP)
                headers.setdefault("x-content-type-options", "nosniff")
                headers.setdefault("x-frame-options", "DENY")
                headers.setdefault("referrer-policy", "same-origin")
                headers.setdefault("cross-origin-opener-policy", "same-origin")
                headers.setdefault("permissions-policy", "camera=(), microphone=(), geolocation=()")
                if not scope["path"].startswith("/static/"):
                    headers.setdefault("cache-control", "no-store")
                if self.https:
                    headers.setdefault("strict-transport-security", "max-age=31536000")
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ---- the session ----------------------------------------------------------------------------

class SignedSession:
    """A session kept in a cookie signed with the current key (older keys still verify).

    Like Starlette's SessionMiddleware (``request.session`` works the same), plus what government
    users need: an idle timeout and an absolute lifetime, both enforced on the server side from
    timestamps inside the signed value, and key rotation without signing everybody out at once.
    An expired session arrives empty with ``scope["session_expired"]`` set, so the login page can say why.
    """

    def __init__(self, app: Any, settings: Settings) -> None:
        self.app = app
        keys = [k.reveal() for k in settings.previous_secret_keys] + [settings.secret_key.reveal()]
        self.serializer = URLSafeTimedSerializer(keys, salt="banwen.session")
        self.idle = settings.session_idle_seconds
        self.absolute = settings.session_absolute_seconds
        self.secure = "; Secure" if settings.https else ""

    def load(self, raw: str | None, now: float) -> tuple[dict[str, Any], bool]:
        if not raw:
            return {}, False
        try:
            data = self.serializer.loads(raw, max_age=self.absolute)
        except BadSignature:
            return {}, False
        if not isinstance(data, dict):
            return {}, False
        if "uid" in data:
            if now - float(data.get("seen", 0)) > self.idle or now - float(data.get("iat", 0)) > self.absolute:
                return {}, True
        return data, False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        now = time.time()
        connection = HTTPConnection(scope)
        raw = connection.cookies.get(SESSION_COOKIE)
        data, expired = self.load(raw, now)
        if "uid" in data:
            data["seen"] = int(now)
        original = json.dumps(data, sort_keys=True)
        scope["session"] = data
        scope["session_expired"] = expired

        async def send_with_cookie(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                session = scope["session"]
                headers = MutableHeaders(scope=message)
                if session:
                    if json.dumps(session, sort_keys=True) != original or raw is None or "uid" in session:
                        value = self.serializer.dumps(session)
                        headers.append("set-cookie", f"{SESSION_COOKIE}={value}; Path=/; Max-Age={self.absolute}; "
                                                     f"HttpOnly; SameSite=Lax{self.secure}")
                elif raw is not None:
                    headers.append("set-cookie", f"{SESSION_COOKIE}=null; Path=/; Max-Age=0; "
                                                 f"Expires=Thu, 01 Jan 1970 00:00:00 GMT; HttpOnly; SameSite=Lax")
            await send(message)

        await self.app(scope, receive, send_with_cookie)


def start_session(session: dict[str, Any], *, uid: int, tenant: str, epoch: int) -> None:
    """A fresh session after sign-in: a new CSRF token too, so nothing from before carries over."""
    session.clear()
    now = int(time.time())
    session.update({"uid": uid, "tenant": tenant, "epoch": epoch, "iat": now, "seen": now,
                    "csrf": secrets.token_urlsafe(24)})


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token, made on first use (also for the anonymous login form)."""
    token = session.get("csrf")
    if not token:
        token = session["csrf"] = secrets.token_urlsafe(24)
    return token


def csrf_ok(session: dict[str, Any], offered: str | None) -> bool:
    expected = session.get("csrf")
    return bool(expected and offered and hmac.compare_digest(str(expected), str(offered)))


class CsrfRejected(BanwenError):
    status = 403

    def __init__(self) -> None:
        super().__init__("请求缺少有效的防伪令牌（CSRF），未执行。请刷新页面后重试。",
                         "The request lacks a valid anti-forgery (CSRF) token and was not carried out. Reload the page "
                         "and try again.")


# ---- passwords ------------------------------------------------------------------------------

MIN_PASSWORD_LENGTH = 10


def password_problems(password: str, *, login: str, current: str | None = None) -> list[tuple[str, str]]:
    """Why ``password`` is not acceptable, as (zh, en) pairs; empty when it is.

    At least 10 characters and three of four kinds (lower case, upper case, digits, symbols), not
    containing the account name, different from the current one.
    """
    out = []
    if len(password) < MIN_PASSWORD_LENGTH:
        out.append((f"密码至少 {MIN_PASSWORD_LENGTH} 位。", f"The password needs at least {MIN_PASSWORD_LENGTH} characters."))
    kinds = sum([any(c.islower() for c in password), any(c.isupper() for c in password),
                 any(c.isdigit() for c in password), any(not c.isalnum() for c in password)])
    if kinds < 3:
        out.append(("密码须包含大写字母、小写字母、数字、符号中的至少三类。",
                    "The password needs three of: lower case, upper case, digits, symbols."))
    if login and login.lower() in password.lower():
        out.append(("密码不能包含账号。", "The password must not contain the account name."))
    if current is not None and password == current:
        out.append(("新密码不能与当前密码相同。", "The new password must differ from the current one."))
    return out


# ---- sign-in throttling ---------------------------------------------------------------------

@dataclass(frozen=True)
class Lockout:
    until: datetime
    by_address: bool

    def minutes_left(self, now: datetime) -> int:
        return max(1, int((self.until - now).total_seconds() + 59) // 60)

    def message(self, now: datetime, lang: str) -> str:
        local = self.until.astimezone(CITY_TZ).strftime("%H:%M")
        n = self.minutes_left(now)
        if lang == "en":
            who = "this address" if self.by_address else "this account"
            return f"Too many failed sign-ins from {who}. Try again after {local} (in about {n} min)."
        who = "本机地址" if self.by_address else "该账号"
        return f"登录失败次数过多，{who}已暂时锁定，请于 {local}（约 {n} 分钟后）再试。"


def _city_tz() -> Any:
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


CITY_TZ = _city_tz()


class Throttle:
    """Counts failed sign-ins per account and per client address in the database (so every worker
    process sees the same counts) and locks either one out for a while after too many."""

    def __init__(self, settings: Settings) -> None:
        self.limits = {"account": settings.login_max_failures_account, "address": settings.login_max_failures_address}
        self.window = timedelta(seconds=settings.login_window_seconds)
        self.lock = timedelta(seconds=settings.login_lock_seconds)

    @staticmethod
    def now() -> datetime:
        # In the ORM's zone: SQLite stores times as text with their offset and compares text, so
        # every time written and compared here must carry the same offset as the auto_now columns.
        return localtime(datetime.now(UTC))

    async def locked(self, login: str, address: str) -> Lockout | None:
        now = self.now()
        rows = await LoginThrottle.filter(locked_until__gt=now).filter(
            kind__in=["account", "address"], key__in=[login, address]).all()
        for row in sorted(rows, key=lambda r: r.kind):  # the account first: its message is the useful one
            if (row.kind, row.key) in (("account", login), ("address", address)):
                return Lockout(row.locked_until, row.kind == "address")
        return None

    async def failed(self, login: str, address: str) -> Lockout | None:
        """Count one failure for both keys; the lock-out it caused, if any."""
        now = self.now()
        result = None
        async with in_transaction():
            for kind, key in (("account", login), ("address", address)):
                if not key:
                    continue
                row = await LoginThrottle.filter(kind=kind, key=key).select_for_update().first()
                if row is None:
                    row = LoginThrottle(kind=kind, key=key, failures=0, first_failure_at=now)
                if now - row.first_failure_at > self.window:
                    row.failures, row.first_failure_at = 0, now
                row.failures += 1
                if row.failures >= self.limits[kind]:
                    row.locked_until = now + self.lock
                    row.failures, row.first_failure_at = 0, now
                    result = result or Lockout(row.locked_until, kind == "address")
                await row.save()
        return result

    async def succeeded(self, login: str) -> None:
        await LoginThrottle.filter(kind="account", key=login).delete()


# ---- API tokens -----------------------------------------------------------------------------

async def token_from_header(value: str | None) -> ApiToken | None:
    """The live token named by an ``Authorization: Bearer …`` header, or None."""
    if not value or not value.lower().startswith("bearer "):
        return None
    token = value[7:].strip()
    if not token.startswith(TOKEN_PREFIX):
        return None
    now = localtime(datetime.now(UTC))
    with platform_scope():
        row = await ApiToken.get_or_none(token_hash=token_digest(token), revoked_at=None)
        if row is None or (row.expires_at is not None and row.expires_at <= now):
            return None
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            await ApiToken.filter(id=row.id).update(last_used_at=now)
    return row
