"""Running the bot: polling or webhook, the same code against Telegram or any Bot API server.

The runtime is handed everything it needs — the store, the librarian, the Bot API's address,
and (from the command line) a builder for the web app served on the same port, the
practitioners' workspace — so it knows nothing of the sandbox or of the workspace's insides.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.announcer import Announcer
from bot.factory import build_bot, build_dispatcher, pin_response_types, register_commands
from bot.reminders import send_reminders
from knowledge import handoff, people
from knowledge.i18n import I18n, workspace_i18n
from knowledge.library import Librarian
from knowledge.search import langid
from knowledge.settings import Settings
from knowledge.store import Store

log = logging.getLogger(__name__)
WEBHOOK_PATH = "/telegram/webhook"
REFRESH_SECONDS = 5.0

WebApp = Callable[[Bot, str], Awaitable[web.Application]]
"""Builds the app served beside the bot, given the running bot and its @name."""


@dataclass
class BotRuntime:
    """Owns the bot's resources so tests and commands can start and stop it cleanly."""

    settings: Settings
    token: str
    api_url: str | None
    store: Store
    librarian: Librarian
    web_app: WebApp | None = None
    bot: Bot | None = None
    dp: Dispatcher | None = None
    _tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    _web: web.AppRunner | None = None
    _redis: Any = None
    _response_types: list[Any] = field(default_factory=list)
    _reminded: date | None = None
    web_url: str | None = None
    """Where the web app (and, in webhook mode, the webhook) listens, once started."""
    bot_username: str = ""
    announcer: Announcer | None = None

    async def start(self) -> None:
        settings = self.settings
        await asyncio.to_thread(langid.warm_up)
        async with self.store.transaction() as session:
            secret = await people.user_key_secret(session)
        if settings.redis_url:
            from redis.asyncio import Redis

            self._redis = Redis.from_url(settings.redis_url, protocol=2)
        self._response_types = pin_response_types()
        self.bot = bot = build_bot(self.token, self.api_url)
        me = await bot.get_me()
        self.bot_username = me.username or ""
        i18n = I18n(default=settings.default_language)
        self.dp = dp = build_dispatcher(
            settings,
            self.store,
            self.librarian,
            i18n,
            secret,
            bot_username=self.bot_username,
            redis=self._redis,
        )
        await register_commands(bot, i18n)
        self._tasks.append(asyncio.create_task(self._housekeeping()))
        self.announcer = Announcer(bot, self.store, self.librarian, i18n, settings.announce_rate)
        self._tasks.append(asyncio.create_task(self.announcer.run_forever()))
        if settings.bot_mode == "webhook":
            await self._start_webhook(bot, dp)
        else:
            if self.web_app is not None:
                app = await self.web_app(bot, self.bot_username)
                await self._serve(app, settings.web_host, settings.web_port)
            await bot.delete_webhook()
            self._tasks.append(
                asyncio.create_task(
                    dp.start_polling(bot, handle_signals=False, close_bot_session=False)
                )
            )
        # The library and the language models are built once and live as long as the process:
        # keep them out of the garbage collector's full passes, which would otherwise walk
        # them every few dozen messages.
        gc.collect()
        gc.freeze()
        log.info("bot @%s running (%s)", me.username, settings.bot_mode)

    async def _start_webhook(self, bot: Bot, dp: Dispatcher) -> None:
        settings = self.settings
        if not settings.webhook_url:
            raise ValueError("BOT_MODE=webhook needs WEBHOOK_URL")
        secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
        # One aiohttp app, one port: Telegram's webhook and the web app beside it.
        app = await self.web_app(bot, self.bot_username) if self.web_app else web.Application()
        SimpleRequestHandler(dispatcher=dp, bot=bot, secret_token=secret).register(
            app, path=WEBHOOK_PATH
        )
        setup_application(app, dp, bot=bot)
        await self._serve(app, settings.webhook_host, settings.webhook_port)
        url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
        await bot.set_webhook(url, secret_token=secret, drop_pending_updates=False)

    async def _serve(self, app: web.Application, host: str, port: int) -> None:
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        await web.TCPSite(self._web, host, port).start()
        bound = self._web.addresses[0][1]
        self.web_url = f"http://{host}:{bound}"

    async def _housekeeping(self) -> None:
        """Pick up content edited elsewhere; remind topic owners of overdue reviews once a day
        (per process); drop unanswered questions and closed tickets past retention."""
        ticks = 0
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            ticks += 1
            try:
                await self.librarian.refresh()
                today = date.today()
                if self.bot is not None and self._reminded != today:
                    self._reminded = today
                    await send_reminders(
                        self.bot,
                        self.store,
                        workspace_i18n(self.settings.default_language),
                        today,
                    )
                if ticks % 720 == 1:
                    retention = timedelta(days=self.settings.retention_days)
                    async with self.store.transaction() as session:
                        await people.purge_unanswered(session, retention)
                        await handoff.purge_closed(session, retention)
            except Exception:
                log.warning("housekeeping failed; will retry", exc_info=True)

    async def stop(self) -> None:
        if self.dp is not None:
            # Before stop_polling: its shutdown closes the FSM storage under running handlers.
            await self._drain(self.dp)
        if self.dp is not None and self.settings.bot_mode == "polling":
            with contextlib.suppress(RuntimeError):
                await self.dp.stop_polling()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        if self._web is not None:
            await self._web.cleanup()
        if self.dp is not None:
            await self.dp.storage.close()
        if self.bot is not None:
            await self.bot.session.close()
        if self._redis is not None:
            await self._redis.aclose()

    @staticmethod
    async def _drain(dp: Dispatcher, grace: float = 10.0) -> None:
        """Let updates already being handled finish (replies sent, locks released)."""
        running = set(getattr(dp, "_handle_update_tasks", ()))
        if running:
            await asyncio.wait(running, timeout=grace)

    async def run_forever(self) -> None:
        await self.start()
        try:
            await asyncio.Event().wait()
        finally:
            await self.stop()
