"""What every `witaj` command shares: the consoles, one-line errors, opening the database."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import typer
from rich.console import Console
from sqlalchemy.exc import DBAPIError, SQLAlchemyError

from bot.config import Settings
from knowledge.content import ContentError
from knowledge.db import DatabaseUrlError
from knowledge.service import Knowledge

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


class CliError(Exception):
    """A failure explained to the user in one line."""


def one_line(exc: BaseException) -> str:
    if isinstance(exc, DBAPIError) and exc.orig is not None:
        exc = exc.orig
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def command(func: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """Run an async command; known failures become `witaj: error: ...` and exit status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return asyncio.run(func(*args, **kwargs))
        except (ContentError, DatabaseUrlError, CliError) as exc:
            err.print(f"witaj: error: {exc}", markup=False, highlight=False)
        except (SQLAlchemyError, OSError) as exc:
            err.print(f"witaj: error: database: {one_line(exc)}", markup=False, highlight=False)
        raise typer.Exit(2)

    return wrapper


def load_settings() -> Settings:
    try:
        return Settings()
    except ValueError as exc:
        raise CliError(f"configuration: {one_line(exc)}") from None


async def open_knowledge(*, seed: bool = True) -> Knowledge:
    settings = load_settings()
    return await Knowledge.open(
        settings.database_url, seed_dir=settings.content_dir if seed else None
    )


async def with_knowledge(use: Callable[[Knowledge], Awaitable[R]], *, seed: bool = True) -> R:
    knowledge = await open_knowledge(seed=seed)
    try:
        return await use(knowledge)
    finally:
        await knowledge.close()


async def bot_username(settings: Settings) -> str:
    """The bot's @name for t.me links: as configured, as Telegram says, or the sandbox's."""
    from aiogram.exceptions import TelegramAPIError

    from bot.factory import build_bot
    from bot.sandbox.server import BOT_USERNAME

    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None:
        return BOT_USERNAME
    bot = build_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        me = await bot.get_me()
    except (TelegramAPIError, OSError) as exc:
        problem = f"cannot ask Telegram for the bot's name ({exc}); set BOT_USERNAME"
        raise CliError(problem) from None
    finally:
        await bot.session.close()
    return me.username or BOT_USERNAME
