"""`witaj run`, `witaj sandbox`, `witaj web`: the composition root of the running parts.

The bot, the workspace and the sandbox know nothing of each other; here they are wired: the
store and library are opened once, the workspace is handed to the bot's runner to serve on
its port, and the sandbox gives the runner its token and address like any Bot API server.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

import typer

from cli import prepare
from cli.base import (
    bot_username,
    explain,
    fail,
    load_settings,
    out,
)
from cli.logs import configure_logging
from cli.process import tune

if TYPE_CHECKING:
    from aiogram import Bot
    from aiohttp import web

    from bot.runner import BotRuntime
    from knowledge.library import Librarian
    from knowledge.settings import Settings
    from knowledge.store import Store

serve_app = typer.Typer()


def _serve_forever(main: Coroutine[Any, Any, None]) -> None:
    """Run until Ctrl-C or SIGTERM (`docker stop`), then shut down cleanly: updates being
    handled finish and leases are let go. A failure a person can fix becomes one line and
    exit status 2."""

    async def until_stopped() -> None:
        task = asyncio.current_task()
        assert task is not None
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError):  # not on Windows
            loop.add_signal_handler(signal.SIGTERM, task.cancel)
        with contextlib.suppress(asyncio.CancelledError):
            await main

    try:
        asyncio.run(until_stopped())
    except KeyboardInterrupt:
        pass
    except Exception as exc:
        message = explain(exc) or (str(exc) if isinstance(exc, ValueError) else None)
        if message is None:
            raise
        raise fail(message) from None


async def open_parts(
    settings: Settings, *, demo: bool, helper: subprocess.Popen[bytes] | None = None
) -> tuple[Store, Librarian]:
    """The store and the library; when a `cli.prepare` helper has already migrated and
    seeded the database (and left the index in the cache), only opened."""
    from knowledge.library import Librarian
    from knowledge.store import Store

    if await prepare.finished(helper):
        store = await Store.open(settings.database_url)
    else:
        store = await Store.open(settings.database_url, seed_dir=settings.content_dir, demo=demo)
    try:
        return store, await Librarian.open(store, demo=demo, cache=settings.index_cache)
    except BaseException:
        await store.close()
        raise


def load_runtime() -> None:
    """Import the Telegram side (aiogram: two seconds of one core) — while a helper prepares
    the database on the other."""
    import bot.runner  # noqa: F401


def runtime(
    settings: Settings,
    token: str,
    api_url: str | None,
    store: Store,
    librarian: Librarian,
    *,
    sandbox_url: str | None = None,
) -> BotRuntime:
    """The bot, with the workspace on its port when `WORKSPACE` is on."""
    from bot.handoff import BotMessenger
    from bot.runner import WEBHOOK_PATH, BotRuntime

    async def workspace(bot: Bot, username: str) -> web.Application:
        from workspace.app import build_workspace  # only when the workspace is on

        return await build_workspace(
            store,
            librarian,
            settings,
            username,
            sandbox_url,
            BotMessenger(bot),
            exempt=frozenset({WEBHOOK_PATH}),
            ops=False,  # the runtime serves /healthz (with Redis) and /metrics itself
        )

    return BotRuntime(
        settings,
        token,
        api_url,
        store,
        librarian,
        web_app=workspace if settings.workspace else None,
    )


@serve_app.command()
def run() -> None:
    """Run the bot against Telegram (or TELEGRAM_API_URL), in polling or webhook mode."""
    tune()
    settings = load_settings()
    configure_logging(settings)
    if settings.bot_token is None:
        raise fail("BOT_TOKEN is not set (try `witaj sandbox`)")
    token = settings.bot_token.get_secret_value()
    if settings.bot_mode == "webhook":
        from bot.runner import check_webhook_settings

        try:
            check_webhook_settings(settings)
        except ValueError as exc:
            raise fail(str(exc)) from None

    async def main() -> None:
        helper = prepare.start(settings, demo=settings.demo)
        load_runtime()
        store, librarian = await open_parts(settings, demo=settings.demo, helper=helper)
        try:
            bot = runtime(settings, token, settings.telegram_api_url, store, librarian)
            await bot.run_forever()
        finally:
            await store.close()

    _serve_forever(main())


@serve_app.command()
def sandbox() -> None:
    """The local Telegram sandbox with the real bot, and a web chat page to talk to it."""
    tune()
    settings = load_settings()
    configure_logging(settings)

    async def main() -> None:
        from sandbox.identity import DEFAULT_TOKEN, PRACTITIONERS_CHAT
        from sandbox.run import SandboxServer

        helper = prepare.start(settings, demo=True)
        server = await SandboxServer.start(settings.sandbox_host, settings.sandbox_port)
        local = settings.model_copy(
            update={
                "bot_mode": "polling",
                "demo": True,
                "practitioner_chat_id": settings.practitioner_chat_id or PRACTITIONERS_CHAT,
            }
        )
        load_runtime()
        store, librarian = await open_parts(local, demo=True, helper=helper)
        bot = runtime(local, DEFAULT_TOKEN, server.url, store, librarian, sandbox_url=server.url)
        try:
            await bot.start()
            out.print(f"Witaj sandbox: open {server.url} and chat with the bot (Ctrl-C to stop).")
            out.print(
                f"Practitioners' group (answer 'talk to a person'): {server.url}/?group=1&user=9001"
            )
            if bot.web_url:
                out.print(
                    f"Practitioners' workspace: {bot.web_url} (add a user: witaj user add NAME)."
                )
            await asyncio.Event().wait()
        finally:
            await bot.stop()
            await store.close()
            await server.stop()

    _serve_forever(main())


@serve_app.command("web")
def web_() -> None:
    """Only the practitioners' workspace (no bot), on WEB_HOST:WEB_PORT. With BOT_TOKEN set it
    can still send ready messages to migrants' chats (through the Bot API, no updates read)."""
    settings = load_settings()
    configure_logging(settings)

    async def main() -> None:
        from aiohttp import web

        from workspace.app import build_workspace

        store, librarian = await open_parts(settings, demo=settings.demo)
        runner = None
        bot = None
        try:
            messenger = None
            if settings.bot_token is not None:
                from bot.factory import build_bot
                from bot.handoff import BotMessenger

                bot = build_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
                messenger = BotMessenger(bot)
            app = await build_workspace(
                store, librarian, settings, await bot_username(settings), messenger=messenger
            )
            refresh = asyncio.create_task(_keep_fresh(librarian))
            runner = web.AppRunner(app, access_log=None)
            await runner.setup()
            await web.TCPSite(runner, settings.web_host, settings.web_port).start()
            out.print(f"Witaj workspace: http://{settings.web_host}:{settings.web_port}")
            try:
                await asyncio.Event().wait()
            finally:
                refresh.cancel()
        finally:
            if runner is not None:
                await runner.cleanup()
            if bot is not None:
                await bot.session.close()
            await store.close()

    _serve_forever(main())


async def _keep_fresh(librarian: Librarian, every: float = 5.0) -> None:
    """The workspace's previews follow edits made on other replicas."""
    import logging

    while True:
        await asyncio.sleep(every)
        try:
            await librarian.refresh()
        except Exception:
            logging.getLogger(__name__).warning("library refresh failed; will retry")
