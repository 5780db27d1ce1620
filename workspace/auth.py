"""Logging in and out."""

from __future__ import annotations

from urllib.parse import urlsplit

from aiohttp import web

from knowledge import accounts
from knowledge.accounts import LoginThrottle
from workspace.common import redirect, store
from workspace.pages import render
from workspace.session import form_of, log_in, log_out, translator

THROTTLE = web.AppKey("login_throttle", LoginThrottle)
routes = web.RouteTableDef()


def safe_next(target: str) -> str:
    """Where to go after logging in: a path on this site, never another site. Anything else
    (`//evil`, `/\\evil`, `https://…`, `javascript:`, control characters) becomes `/`."""
    if (
        not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or len(target) > 2000
        or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    target = safe_next(request.query.get("next", "/"))
    return render(request, "login.html", next=target, error=None)


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    form = form_of(request)
    name = str(form.get("name", "")).strip().casefold()[:64]
    password = str(form.get("password", ""))
    target = safe_next(str(form.get("next", "/")))
    throttle = request.app[THROTTLE]
    keys = throttle.keys(name, request.remote or "?")
    wait = throttle.blocked_for(*keys)
    if wait > 0:
        error = t.gettext("Too many failed attempts. Try again in {minutes} min.").format(
            minutes=int(wait // 60) + 1
        )
        return render(request, "login.html", status=429, next=target, error=error)
    async with store(request).sessions.begin() as session:
        user = await accounts.authenticate(session, name, password)
    if user is None:
        throttle.failed(*keys)
        error = t.gettext("Wrong name or password.")
        return render(request, "login.html", status=401, next=target, error=error)
    throttle.succeeded(*keys)
    await log_in(request, user)
    return redirect(target)


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    await log_out(request)
    return redirect("/login")
