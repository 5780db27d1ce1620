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
import os
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiogram import Bot, Dispatcher
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramServerError
from aiogram.webhook.aiohttp_server import setup_application
from aiohttp import web

from bot.announcer import Announcer
from bot.factory import (
    build_bot,
    build_dispatcher,
    pin_response_types,
    register_commands,
    warm_up,
)
from bot.jobs import Jobs
from bot.state import Health, open_redis
from bot.webhook import Ledger, MemoryLedger, RedisLedger, WebhookHandler
from knowledge import health, leases, people
from knowledge.i18n import I18n
from knowledge.library import Librarian
from knowledge.search.index import warm_up as warm_up_search
from knowledge.services import Services
from knowledge.settings import Settings
from knowledge.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")
WEBHOOK_PATH = "/telegram/webhook"
FREEZE_AFTER = 5.0
"""Seconds after the start at which what the first answers loaded is collected and frozen."""
REACH_PAUSE = (1.0, 30.0)
"""The first and the longest pause between tries to reach Telegram while the bot starts."""


def _collect_and_freeze() -> None:
    gc.collect()
    gc.freeze()


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
    _freezing: asyncio.TimerHandle | None = None
    redis_health: Health = field(default_factory=Health)
    holder: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")
    """This replica's name on job leases."""
    webhook: WebhookHandler | None = None
    services: Services = field(init=False)

    def __post_init__(self) -> None:
        self.services = Services(self.store)

    web_url: str | None = None
    """Where the web app (and, in webhook mode, the webhook) listens, once started."""
    bot_username: str = ""
    announcer: Announcer | None = None

    async def start(self) -> None:
        settings = self.settings
        if settings.bot_mode == "webhook":
            check_webhook_settings(settings)
        await asyncio.to_thread(warm_up_search)
        async with self.store.transaction() as session:
            secret = await people.user_key_secret(session)
        if settings.redis_url:
            self._redis = open_redis(settings.redis_url)
        self._response_types = pin_response_types()
        self.bot = bot = build_bot(self.token, self.api_url)
        me = await until_reachable(bot.get_me, "ask Telegram for the bot's name")
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
            health=self.redis_health,
            services=self.services,
        )
        warm_up(dp["safety_check"])
        # The command menu is not needed for a first answer (and is seven calls to Telegram).
        self._tasks.append(asyncio.create_task(register_commands(bot, i18n)))
        self.announcer = Announcer(
            bot,
            self.store,
            self.librarian,
            i18n,
            settings.announce_rate,
            holder=self.holder,
            lease=settings.job_lease_seconds,
        )
        jobs = Jobs(
            bot, self.store, self.librarian, settings, self.services,
            holder=self.holder, limiter=self.announcer.limiter,
        )  # fmt: skip
        self._tasks.append(asyncio.create_task(jobs.run_forever()))
        self._tasks.append(asyncio.create_task(self.announcer.run_forever()))
        if settings.bot_mode == "webhook":
            await self._start_webhook(bot, dp, me.id)
        else:
            if self.web_app is not None:
                app = await self.web_app(bot, self.bot_username)
                health.add_routes(app, self.store, self._redis)
                await self._serve(app, settings.web_host, settings.web_port)
            try:
                await until_reachable(bot.delete_webhook, "switch Telegram to polling")
            except TelegramAPIError as exc:  # a Bot API server without it: polling still works
                log.warning("deleteWebhook failed (%s): polling anyway", exc)
            self._tasks.append(
                asyncio.create_task(
                    dp.start_polling(
                        bot,
                        handle_signals=False,
                        close_bot_session=False,
                        tasks_concurrency_limit=settings.concurrent_updates,
                    )
                )
            )
        # The library, the dialogs and the imported code live as long as the process: keep
        # them out of the garbage collector's full passes, which would otherwise walk all
        # 360,000 of them (0.2 s, measured) every few hundred messages. Freezing is instant;
        # a collection first would cost those 0.2 s before the first answer to free the hundred
        # or so objects the start leaves in cycles. What the first answers load lazily (the
        # language models) is collected and frozen a few seconds later, a short pass now.
        gc.freeze()
        self._freezing = asyncio.get_running_loop().call_later(FREEZE_AFTER, _collect_and_freeze)
        log.info("bot @%s running (%s)", me.username, settings.bot_mode)

    async def _start_webhook(self, bot: Bot, dp: Dispatcher, bot_id: int) -> None:
        settings = self.settings
        assert settings.webhook_url and settings.webhook_secret  # checked in start()
        secret = settings.webhook_secret.get_secret_value()
        ledger: Ledger = (
            RedisLedger(self._redis, bot_id, self.redis_health)
            if self._redis is not None
            else MemoryLedger()
        )
        self.webhook = WebhookHandler(
            dp, bot, secret, ledger, concurrency=settings.concurrent_updates
        )
        # One aiohttp app, one port: Telegram's webhook and the web app beside it.
        app = await self.web_app(bot, self.bot_username) if self.web_app else web.Application()
        self.webhook.register(app, WEBHOOK_PATH)
        health.add_routes(app, self.store, self._redis)
        setup_application(app, dp, bot=bot)
        await self._serve(app, settings.webhook_host, settings.webhook_port)
        url = settings.webhook_url.rstrip("/") + WEBHOOK_PATH
        if settings.set_webhook:
            await until_reachable(
                lambda: bot.set_webhook(
                    url,
                    secret_token=secret,
                    drop_pending_updates=False,
                    # Only the kinds of update a handler takes, as polling asks for them.
                    allowed_updates=dp.resolve_used_update_types(),
                ),
                "set the webhook",
            )

    async def _serve(self, app: web.Application, host: str, port: int) -> None:
        self._web = web.AppRunner(app, access_log=None)
        await self._web.setup()
        await web.TCPSite(self._web, host, port).start()
        bound = self._web.addresses[0][1]
        self.web_url = f"http://{host}:{bound}"

    async def stop(self) -> None:
        if self.dp is not None:
            # Before stop_polling: its shutdown closes the FSM storage under running handlers.
            await self._drain(self.dp)
        if self.webhook is not None:
            await self.webhook.drain()
        if self.dp is not None and self.settings.bot_mode == "polling":
            with contextlib.suppress(RuntimeError):
                await self.dp.stop_polling()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._tasks.clear()
        with contextlib.suppress(Exception):
            await self.services.flush_usage()
        with contextlib.suppress(Exception):  # a clean stop hands the jobs over at once
            async with self.store.transaction() as session:
                await leases.release_all(session, self.holder)
        if self._web is not None:
            await self._web.cleanup()
        if self.dp is not None:
            await self.dp.storage.close()
        if self.bot is not None:
            await self.bot.session.close()
        if self._redis is not None:
            await self._redis.aclose()
        if self._freezing is not None:  # a stopped bot's objects may be collected again
            self._freezing.cancel()
            gc.unfreeze()

    @staticmethod
    async def _drain(dp: Dispatcher, grace: float = 10.0) -> None:
        """Let updates already being handled finish (replies sent, locks released)."""
        running = set(getattr(dp, "_handle_update_tasks", ()))
        if running:
            await asyncio.wait(running, timeout=grace)

    async def run_forever(self) -> None:
        try:
            # Inside the try: a start that fails half-way (a webhook Telegram will not set)
            # still cancels the jobs it started and closes the server and the session.
            await self.start()
            await asyncio.Event().wait()
        finally:
            await self.stop()


async def until_reachable(call: Callable[[], Awaitable[T]], what: str) -> T:
    """A start-up call to Telegram, tried until Telegram answers: a network outage at start
    (the session's own retries last seconds) delays the bot instead of stopping it with a
    trace. A refusal (a wrong token) is not retried."""
    pause, longest = REACH_PAUSE
    while True:
        try:
            return await call()
        except (TelegramNetworkError, TelegramServerError) as exc:
            log.warning("cannot %s (%s): trying again in %.0f s", what, exc, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest)


def check_webhook_settings(settings: Settings) -> None:
    """Refuse to start a webhook anyone could post to."""
    if not settings.webhook_url:
        raise ValueError("BOT_MODE=webhook needs WEBHOOK_URL (the public https address)")
    if settings.webhook_secret is None or not settings.webhook_secret.get_secret_value():
        raise ValueError(
            "BOT_MODE=webhook needs WEBHOOK_SECRET (12-256 letters, digits, _ or -), "
            "so that only Telegram can post updates"
        )
