"""What every `witaj` command shares: the consoles, one-line errors, opening the store.

Imports stay light here and in every command module: a command imports what it uses when it
runs, so `witaj --help` loads neither aiogram nor SQLAlchemy nor the search.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable, Coroutine
from functools import wraps
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import typer
from rich.console import Console

if TYPE_CHECKING:
    from pydantic import ValidationError

    from knowledge.library import Librarian
    from knowledge.settings import Settings
    from knowledge.store import Store

out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

P = ParamSpec("P")
R = TypeVar("R")


class CliError(Exception):
    """A failure explained to the user in one line."""


def one_line(exc: BaseException) -> str:
    orig = getattr(exc, "orig", None)  # a DBAPI error wraps the driver's, which says more
    if isinstance(orig, BaseException):
        exc = orig
    text = " ".join(str(exc).split())
    return text[:300] or type(exc).__name__


def fail(message: str) -> typer.Exit:
    err.print(f"witaj: error: {message}", markup=False, highlight=False)
    return typer.Exit(2)


def explain(exc: BaseException) -> str | None:
    """The one line for a failure a person can fix, or None for a bug."""
    from sqlalchemy.exc import SQLAlchemyError

    from knowledge.content import ContentError
    from knowledge.db import DatabaseUrlError

    if isinstance(exc, ContentError | DatabaseUrlError | CliError):
        return str(exc)
    if isinstance(exc, SQLAlchemyError | OSError):
        return f"database: {one_line(exc)}"
    if "aiogram" in sys.modules:  # only the bot's commands talk to Telegram
        from aiogram.exceptions import TelegramAPIError, TelegramUnauthorizedError

        if isinstance(exc, TelegramUnauthorizedError):
            return "Telegram refused BOT_TOKEN (Unauthorized): copy it again from @BotFather"
        if isinstance(exc, TelegramAPIError):  # at start: an answer never gets this far
            return f"Telegram: {one_line(exc)}"
    return None


def command(func: Callable[P, Coroutine[Any, Any, R]]) -> Callable[P, R]:
    """Run an async command; known failures become `witaj: error: ...` and exit status 2."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return asyncio.run(func(*args, **kwargs))
        except Exception as exc:
            message = explain(exc)
            if message is None:
                raise
            raise fail(message) from None

    return wrapper


def load_settings() -> Settings:
    from pydantic import ValidationError

    from knowledge.settings import Settings

    try:
        return Settings()
    except ValidationError as exc:
        raise CliError(f"configuration: {settings_problems(exc)}") from None
    except ValueError as exc:
        raise CliError(f"configuration: {one_line(exc)}") from None


def settings_problems(exc: ValidationError) -> str:
    """Each wrong setting by its variable's name, without the value given: a malformed
    BOT_TOKEN or password must not end up on a terminal or in a log."""
    problems = []
    for error in exc.errors(include_url=False, include_input=False, include_context=False):
        name = "_".join(str(part) for part in error["loc"]).upper() or "settings"
        problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)


async def open_store(*, seed: bool = True) -> Store:
    """Connect and migrate; with `seed`, bring in the YAML seed's changes first."""
    from knowledge.store import Store

    settings = load_settings()
    return await Store.open(settings.database_url, seed_dir=settings.content_dir if seed else None)


async def with_store(use: Callable[[Store], Awaitable[R]], *, seed: bool = True) -> R:
    store = await open_store(seed=seed)
    try:
        return await use(store)
    finally:
        await store.close()


async def with_library(use: Callable[[Librarian], Awaitable[R]]) -> R:
    """For the commands that search: the store and the library built from it."""
    from knowledge.library import Librarian

    cache = load_settings().index_cache

    async def build(store: Store) -> R:
        return await use(await Librarian.open(store, cache=cache))

    return await with_store(build)


async def bot_username(settings: Settings) -> str:
    """The bot's @name for t.me links: as configured, as Telegram says, or the sandbox's."""
    from sandbox.identity import BOT_USERNAME

    if settings.bot_username:
        return settings.bot_username.lstrip("@")
    if settings.bot_token is None:
        return BOT_USERNAME
    from aiogram.exceptions import TelegramAPIError

    from bot.factory import build_bot

    bot = build_bot(settings.bot_token.get_secret_value(), settings.telegram_api_url)
    try:
        me = await bot.get_me()
    except (TelegramAPIError, OSError) as exc:
        problem = f"cannot ask Telegram for the bot's name ({exc}); set BOT_USERNAME"
        raise CliError(problem) from None
    finally:
        await bot.session.close()
    return me.username or BOT_USERNAME
