"""Accounts (admins only)."""

from __future__ import annotations

from aiohttp import web

from knowledge import accounts
from knowledge.enums import Role
from workspace.common import forbidden, store
from workspace.pages import render
from workspace.session import current_user, translator

routes = web.RouteTableDef()


@routes.get("/users")
async def users_page(request: web.Request) -> web.Response:
    if current_user(request).role is not Role.ADMIN:
        return forbidden(request, translator(request).gettext("Only admins can see this."))
    async with store(request).sessions() as session:
        users = await accounts.list_users(session)
    return render(request, "users.html", users=users)
