"""Accounts (admins only): see them, disable or enable, remove, set a new password.

Disabling an account or changing its password ends every session it has, at once.
"""

from __future__ import annotations

from aiohttp import web

from knowledge import accounts
from workspace.common import redirect, store
from workspace.pages import render
from workspace.session import form_of, translator

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
    form = form_of(request)
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
        return render(
            request,
            "users.html",
            status=400,
            users=users,
            notice=None,
            error=_refusal(request, exc),
        )
    return redirect(f"/users?notice={action}")


def _refusal(request: web.Request, exc: accounts.AccountError) -> str:
    """Why the change was refused, in the practitioner's language."""
    t = translator(request)
    reasons = {
        "short_password": t.gettext("The password needs at least {n} characters.").format(
            n=accounts.MIN_PASSWORD
        ),
        "weak_password": t.gettext(
            "This password is too easy to guess: avoid common passwords, the account's name "
            "and repeated characters."
        ),
        "unknown_user": t.gettext("There is no such account."),
        "last_admin": t.gettext("This is the last admin: make another admin first."),
    }
    return reasons.get(exc.code, t.gettext("Not done: check the form and try again."))
