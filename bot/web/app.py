"""The workspace application: `witaj web`, beside the sandbox in `make run`, and in the same
aiohttp app as the webhook in production."""

from __future__ import annotations

from aiogram import Bot
from aiohttp import web
from itsdangerous import URLSafeTimedSerializer

from bot.config import Settings
from bot.i18n import I18n
from bot.links import LinkBase
from bot.public.pages import PUBLIC_I18N
from bot.public.pages import routes as public_routes
from bot.web.announcements import routes as announcement_routes
from bot.web.pages import STATIC
from bot.web.ready_messages import BOT
from bot.web.ready_messages import routes as message_routes
from bot.web.reminders import workspace_i18n
from bot.web.schools import routes as school_routes
from bot.web.session import I18N, KNOWLEDGE, LINKS, SECURE, SIGNER, session_middleware
from bot.web.tickets import routes as ticket_routes
from bot.web.views import THROTTLE, database_errors, routes
from knowledge import people
from knowledge.accounts import LoginThrottle
from knowledge.service import Knowledge

COOKIE_KEY_NAME = "workspace-cookie-key"
"""Name of the signing key in the app_secret table (the key itself is random)."""


async def build_workspace(
    knowledge: Knowledge,
    settings: Settings,
    bot_username: str,
    sandbox_url: str | None = None,
    bot: Bot | None = None,
) -> web.Application:
    async with knowledge.sessions.begin() as session:
        secret = await people.app_secret(session, COOKIE_KEY_NAME)
    app = web.Application(middlewares=[database_errors, session_middleware])
    app[KNOWLEDGE] = knowledge
    app[I18N] = workspace_i18n(settings.default_language)
    app[SIGNER] = URLSafeTimedSerializer(secret, salt="workspace-session")
    app[SECURE] = settings.web_secure_cookies
    app[THROTTLE] = LoginThrottle()
    app[LINKS] = LinkBase(bot_username, settings.public_url, sandbox_url)
    app[PUBLIC_I18N] = I18n(default=settings.default_language)
    app.add_routes(routes)
    app.add_routes(school_routes)
    app.add_routes(ticket_routes)
    app.add_routes(announcement_routes)
    app.add_routes(message_routes)
    if bot is not None:
        app[BOT] = bot
    app.add_routes(public_routes)
    app.router.add_static("/static", STATIC)
    return app
