"""Every route says what it needs, in one place: the ``Need`` it is registered with.

``guarded(path, endpoint, need)`` builds the route. Before the endpoint runs, the wrapper finds
the principal (a signed-in user from the session, or an API token on ``/api/``), refuses an unsafe
method without the session's CSRF token, works out the Casbin domain (the user's own unit, the
``{unit}`` of the path, ``?unit=`` for the auditor's console, or ``platform``), asks the
permission layer, and only then runs the endpoint inside that domain's tenant scope and the audit
actor context. A refusal in another unit's domain is a 404 — the same answer as for a unit that
does not exist — so a refusal never confirms that something exists.

``unguarded(app)`` lists routes registered without a ``Need``; a test keeps it empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from runtime.security import CSRF_FIELD, CSRF_HEADER, UNSAFE_METHODS, CsrfRejected, csrf_ok, token_from_header
from tenants import audit
from tenants.errors import BanwenError, NotFound
from tenants.models import Unit, User
from tenants.scope import platform_scope, tenant_scope

PLATFORM = "platform"


@dataclass(frozen=True)
class Need:
    """What a route needs: nothing (public), a signed-in principal, or (object, action) in a domain.

    ``obj`` may name a path parameter (``record:{form}``): the object checked is then filled from the path.
    ``domain`` is where the permission is checked: ``own`` (the principal's unit), ``path`` (the
    route's ``{unit}``), ``query`` (``?unit=``, default own: the auditor's console) or ``platform``.
    """

    obj: str | None = None
    act: str | None = None
    domain: str = "own"
    public: bool = False

    def describe(self) -> str:
        if self.public:
            return "public"
        if self.obj is None:
            return "signed-in"
        return f"{self.obj}:{self.act}@{self.domain}"


PUBLIC = Need(public=True)
SIGNED_IN = Need()


def need(obj: str, act: str, domain: str = "own") -> Need:
    if domain not in ("own", "path", "query", "platform"):
        raise ValueError(f"unknown domain source {domain!r}")
    return Need(obj, act, domain)


@dataclass(frozen=True)
class Principal:
    """Who is asking: a user (by login) or an API token (``token:<id>``), always of one unit."""

    kind: str  # user | token
    login: str
    name: str
    unit: str
    user_id: int | None = None
    token_id: int | None = None

    @property
    def subject(self) -> str:
        return self.login if self.kind == "user" else f"token:{self.token_id}"

    def is_member_of(self, domain: str) -> bool:
        """A person of ``domain`` (so the roles every member holds apply); a token never is."""
        return self.kind == "user" and domain == self.unit


@dataclass(frozen=True)
class Ctx:
    principal: Principal
    domain: str
    request: Request

    @property
    def authority(self) -> Any:
        return self.request.app.state.authority


class Denied(BanwenError):
    status = 403

    def __init__(self) -> None:
        super().__init__("没有权限执行此操作。", "You do not have permission to do this.")


class SignInNeeded(BanwenError):
    status = 401

    def __init__(self) -> None:
        super().__init__("请先登录。", "Please sign in first.")


def hidden() -> NotFound:
    """The one 404 for anything outside the principal's reach, existing or not."""
    return NotFound("不存在。", "Not found.")


Endpoint = Callable[[Request, Ctx], Awaitable[Response]]


def client_address(request: Request) -> str | None:
    return request.client.host if request.client else None


async def principal_of(request: Request) -> Principal | None:
    """The signed-in user (session) or, on ``/api/``, the API token; None when neither is valid."""
    if request.url.path.startswith("/api/") and "authorization" in request.headers:
        token = await token_from_header(request.headers.get("authorization"))
        if token is None:
            return None
        return Principal("token", f"token:{token.id}", token.name, token.tenant_id,  # type: ignore[attr-defined]
                         token_id=token.id)
    session = request.session
    uid, tenant = session.get("uid"), session.get("tenant")
    if not uid or not tenant:
        return None
    with tenant_scope(tenant):
        user = await User.get_or_none(id=uid, is_active=True)
    if user is None or user.session_epoch != session.get("epoch"):
        session.clear()  # password changed elsewhere, or the account was closed
        return None
    return Principal("user", user.login, user.name, tenant, user_id=user.id)


def _domain(request: Request, principal: Principal, n: Need) -> str:
    if n.domain == "platform":
        return PLATFORM
    if n.domain == "path":
        return str(request.path_params["unit"])
    if n.domain == "query":
        return request.query_params.get("unit") or principal.unit
    return principal.unit


@contextlib.contextmanager
def _scope_for(domain: str) -> Iterator[None]:
    if domain == PLATFORM:
        with platform_scope():
            yield
    else:
        with tenant_scope(domain):
            yield


async def authorise(request: Request, principal: Principal, n: Need) -> str:
    """The domain the request runs in, or raise: 403 in the principal's own unit, 404 elsewhere."""
    from rbac.authority import refresh

    domain = _domain(request, principal, n)
    authority = request.app.state.authority
    await refresh(authority)  # also for signed-in-only pages: they show the principal's posts and roles
    if n.obj is None:
        return domain
    obj = n.obj.format_map(request.path_params) if "{" in n.obj else n.obj  # record:{form} -> record:outgoing_doc
    allowed = authority.check(principal.subject, domain, obj, n.act, member=principal.is_member_of(domain))
    if not allowed:
        if domain == principal.unit:
            raise Denied()
        raise hidden()
    if domain != PLATFORM and domain != principal.unit and not await Unit.exists(id=domain):
        raise hidden()
    return domain


def guarded(path: str, endpoint: Endpoint, n: Need, *, methods: tuple[str, ...] = ("GET",),
            name: str | None = None) -> Route:
    """A route whose endpoint runs only after ``n`` holds (see the module docstring)."""

    async def handler(request: Request) -> Response:
        if n.public:
            return await endpoint(request, None)  # type: ignore[arg-type]
        principal = await principal_of(request)
        if principal is None:
            if request.url.path.startswith("/api/"):
                raise SignInNeeded()
            target = request.url_for("login").include_query_params(next=request.url.path)
            if request.scope.get("session_expired"):
                target = target.include_query_params(expired="1")
            return RedirectResponse(str(target), status_code=303)
        if principal.kind == "token" and not request.url.path.startswith("/api/"):
            raise SignInNeeded()
        if request.method in UNSAFE_METHODS and principal.kind == "user":
            offered = request.headers.get(CSRF_HEADER)
            if offered is None and request.headers.get("content-type", "").startswith(
                    ("application/x-www-form-urlencoded", "multipart/form-data")):
                offered = (await request.form()).get(CSRF_FIELD)  # type: ignore[assignment]
            if not csrf_ok(request.session, offered):
                raise CsrfRejected()
        domain = await authorise(request, principal, n)
        with _scope_for(domain), audit.actor_context(principal.subject, client=client_address(request)):
            return await endpoint(request, Ctx(principal, domain, request))

    route = Route(path, handler, methods=list(methods), name=name or endpoint.__name__)
    route.banwen_need = n  # type: ignore[attr-defined]
    route.banwen_endpoint = endpoint  # type: ignore[attr-defined]
    return route


PUBLIC_MOUNTS = frozenset({"static"})


def route_needs(app: Any) -> Iterator[tuple[BaseRoute, Need | None]]:
    for route in app.routes:
        if isinstance(route, Mount):
            continue
        yield route, getattr(route, "banwen_need", None)


def unguarded(app: Any) -> list[str]:
    """Routes without a declared Need, and mounts other than the static files: should be none."""
    out = []
    for route in app.routes:
        if isinstance(route, Mount):
            if route.name not in PUBLIC_MOUNTS:
                out.append(route.path)
        elif getattr(route, "banwen_need", None) is None:
            out.append(getattr(route, "path", repr(route)))
    return out
