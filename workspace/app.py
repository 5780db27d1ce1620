"""The workspace application: `witaj web`, beside the sandbox in `make run`, and in the same
aiohttp app as the webhook in production (the command line composes them)."""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy.exc import SQLAlchemyError

from knowledge import health, people
from knowledge.accounts import LoginThrottle
from knowledge.handoff import Messenger
from knowledge.i18n import I18n, workspace_i18n
from knowledge.library import Librarian
from knowledge.links import LinkBase
from knowledge.schools import OncePerDay
from knowledge.settings import Settings
from knowledge.store import Store
from workspace import (
    announcements,
    auth,
    inbox,
    paths,
    ready_messages,
    schools,
    tickets,
    topics,
    usage,
    users,
)
from workspace.access import access_middleware
from workspace.pages import STATIC, render
from workspace.public import pages as public
from workspace.session import (
    EXEMPT,
    I18N,
    LIBRARIAN,
    LINKS,
    SECURE,
    SIGNER,
    STORE,
    bypasses,
    session_middleware,
    translator,
)

COOKIE_KEY_NAME = "workspace-cookie-key"
"""Name of the signing key in the app_secret table (the key itself is random)."""
log = logging.getLogger(__name__)


async def build_workspace(
    store: Store,
    librarian: Librarian,
    settings: Settings,
    bot_username: str,
    sandbox_url: str | None = None,
    messenger: Messenger | None = None,
    exempt: frozenset[str] = frozenset(),
    *,
    ops: bool = True,
) -> web.Application:
    """`messenger`: how to reach a migrant's chat, when the bot runs in the same process;
    `exempt`: paths the same app serves that are not workspace pages (the Telegram webhook,
    which authenticates with its own secret instead of a session); `ops`: serve `/healthz` and
    `/metrics` here (off when the bot's runtime serves its own on the same app)."""
    async with store.transaction() as session:
        secret = await people.app_secret(session, COOKIE_KEY_NAME)
    middlewares: list[Any] = [database_errors, session_middleware, access_middleware]
    if settings.proxy_networks:
        # Behind the reverse proxy: the client's address from X-Forwarded-For, believed only
        # when the proxy sent it (requests that bypass the proxy are refused, except health).
        from aiohttp_remotes import XForwardedStrict

        remote = XForwardedStrict(
            [settings.proxy_networks], white_paths=set(exempt) | set(health.OPS_PATHS)
        )
        middlewares.insert(0, remote.middleware)
    app = web.Application(middlewares=middlewares)
    app.on_response_prepare.append(_security_headers)
    app[EXEMPT] = set(exempt) | set(health.OPS_PATHS)
    app[STORE] = store
    app[LIBRARIAN] = librarian
    app[I18N] = workspace_i18n(settings.default_language)
    app[SIGNER] = URLSafeTimedSerializer(secret, salt="workspace-session")
    app[SECURE] = settings.secure_cookies
    app[auth.THROTTLE] = LoginThrottle()
    app[LINKS] = LinkBase(bot_username, settings.public_url, sandbox_url)
    app[public.PUBLIC_I18N] = I18n(default=settings.default_language)
    app[public.VISITS] = OncePerDay()
    if messenger is not None:
        app[ready_messages.MESSENGER] = messenger
    for module in (
        auth,
        topics,
        inbox,
        users,
        schools,
        tickets,
        announcements,
        ready_messages,
        usage,
        paths,
    ):
        app.add_routes(module.routes)
    app.add_routes(public.routes)
    app.router.add_static("/static", STATIC)
    if ops:
        health.add_routes(app, store)
    return app


SECURITY_HEADERS = {
    # Scripts only from /static (no inline ones), no framing, forms only to this site:
    # markup someone managed to inject could neither run nor send a form elsewhere.
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; "
    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; object-src 'none'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


async def _security_headers(request: web.Request, response: web.StreamResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        # Pages show conversations and accounts: none stays in the browser's cache after
        # logging out of a shared computer.
        response.headers.setdefault("Cache-Control", "no-store")


@web.middleware
async def database_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A database that went away gets a page saying so, not a stack trace."""
    if bypasses(request):
        response: web.StreamResponse = await handler(request)
        return response
    try:
        page: web.StreamResponse = await handler(request)
        return page
    except SQLAlchemyError:
        log.exception("workspace: database error")
        t = translator(request)
        return render(
            request,
            "message.html",
            status=503,
            message=t.gettext("The database is not reachable. Nothing was saved; try again."),
        )
