"""Logging in and out."""

from __future__ import annotations

from aiohttp import web

from knowledge import accounts
from knowledge.accounts import LoginThrottle
from workspace.common import redirect, store
from workspace.pages import render
from workspace.session import start_session, translator

THROTTLE = web.AppKey("login_throttle", LoginThrottle)
routes = web.RouteTableDef()


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    return render(request, "login.html", next=request.query.get("next", "/"), error=None)


@routes.post("/login")
async def login(request: web.Request) -> web.StreamResponse:
    t = translator(request)
    form = await request.post()
    name = str(form.get("name", "")).strip().casefold()[:64]
    password = str(form.get("password", ""))
    target = str(form.get("next", "/"))
    if not target.startswith("/") or target.startswith("//"):
        target = "/"
    throttle = request.app[THROTTLE]
    keys = (f"name:{name}", f"addr:{request.remote}")
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
    start_session(request, user)
    return redirect(target)


@routes.post("/logout")
async def logout(request: web.Request) -> web.StreamResponse:
    start_session(request, None)
    return redirect("/login")
