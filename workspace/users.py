"""Accounts (admins only): see them, disable or enable, remove, set a new password.

Disabling an account or changing its password ends every session it has, at once.
"""

from __future__ import annotations

from aiohttp import web

from knowledge import accounts
from workspace.common import redirect, store
from workspace.pages import render
from workspace.session import translator

routes = web.RouteTableDef()


@routes.get("/users")
async def users_page(request: web.Request) -> web.Response:
    async with store(request).sessions() as session:
        users = await accounts.list_users(session)
    return render(
        request, "users.html", users=users, notice=request.query.get("notice"), error=None
    )


@routes.post("/users/{name}/{action:disable|enable|remove|password}")
async def change_user(request: web.Request) -> web.Response:
    name, action = request.match_info["name"], request.match_info["action"]
    form = await request.post()
    try:
        async with store(request).transaction() as session:
            if action == "password":
                await accounts.set_password(session, name, str(form.get("password", "")))
            elif action == "remove":
                await accounts.remove_user(session, name)
            else:
                await accounts.set_disabled(session, name, disabled=action == "disable")
    except accounts.AccountError as exc:
        async with store(request).sessions() as session:
            users = await accounts.list_users(session)
        t = translator(request)
        return render(
            request,
            "users.html",
            status=400,
            users=users,
            notice=None,
            error=t.gettext("Not done: {reason}.").format(reason=str(exc)),
        )
    return redirect(f"/users?notice={action}")
