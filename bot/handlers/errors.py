"""What goes wrong is handled once, logged once, and never leaves the user without a reply."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from aiogram import Bot, Router
from aiogram.dispatcher.event.handler import CallableObject
from aiogram.exceptions import TelegramBadRequest, TelegramForbiddenError
from aiogram.filters import ExceptionTypeFilter
from aiogram.types import ErrorEvent, Message
from aiogram_dialog import DialogManager, ShowMode, StartMode
from aiogram_dialog.api.exceptions import OutdatedIntent, UnknownIntent, UnknownState
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.handlers import questions
from flows.revive import carry_out
from flows.states import MainSG
from knowledge import metrics
from knowledge.i18n import I18n
from knowledge.languages import from_telegram

log = logging.getLogger(__name__)


def _chat_id(event: ErrorEvent) -> int | None:
    update = event.update
    if update.message:
        return update.message.chat.id
    if update.callback_query and update.callback_query.message:
        return update.callback_query.message.chat.id
    return None


async def stale_button(event: ErrorEvent, i18n: I18n, bot: Bot, **data: Any) -> None:
    """A button from an old message or from before a restart: do what it says, or, when that
    needs its lost dialog, start over politely."""
    dialog_manager: DialogManager | None = data.get("dialog_manager")
    if dialog_manager is None:  # the failure came before the dialogs' middleware
        await _apologise(event, i18n, bot)
        return
    try:
        message = event.update.message
        if message is not None and message.text and not message.text.startswith("/"):
            # Typed text is a question whatever state the dialogs were in (a stack Redis
            # lost half of while it stalled, a dialog gone): it was dropped for the menu, a
            # message about danger included.
            await _answer_anyway(message, i18n, bot, data)
            return
        callback = event.update.callback_query
        if callback is not None:
            await carry_out(callback, dialog_manager)
            return
        await dialog_manager.start(MainSG.menu, mode=StartMode.RESET_STACK, show_mode=ShowMode.SEND)
    except Exception:
        log.warning("could not restart a dialog after a stale button", exc_info=True)
        await _apologise(event, i18n, bot)


async def _answer_anyway(message: Message, i18n: I18n, bot: Bot, data: dict[str, Any]) -> None:
    """The question handler, run from here: the update's own middleware has already let its
    database session go, so what the handler uses of it is committed and closed here."""
    session: AsyncSession | None = data.get("session")
    try:
        await CallableObject(questions.question).call(message, i18n=i18n, bot=bot, **data)
        if session is not None and session.in_transaction():
            await session.commit()
    finally:
        if session is not None:
            await session.close()


async def bad_request(event: ErrorEvent) -> None:
    if "message is not modified" in str(event.exception):
        return
    metrics.ERRORS.labels("telegram").inc()
    log.warning("Telegram refused a request: %s", event.exception)


async def blocked(event: ErrorEvent) -> None:
    log.info("user blocked the bot: %s", event.exception)


async def database_down(event: ErrorEvent, i18n: I18n, bot: Bot) -> None:
    metrics.ERRORS.labels("database").inc()
    log.error("database error: %s", type(event.exception).__name__)
    await _apologise(event, i18n, bot)


async def unexpected(event: ErrorEvent, i18n: I18n, bot: Bot) -> None:
    metrics.ERRORS.labels("unexpected").inc()
    log.error("unhandled error", exc_info=event.exception)
    await _apologise(event, i18n, bot)


async def _apologise(event: ErrorEvent, i18n: I18n, bot: Bot) -> None:
    """Say sorry in the person's language. If even that cannot be sent, raise: a webhook
    then answers 5xx and Telegram delivers the update again later, instead of silence."""
    chat_id = _chat_id(event)
    if chat_id is None:
        return
    t = i18n.get(_language(event))
    callback = event.update.callback_query
    sorry = t.gettext("Sorry, something went wrong on my side. Please try again in a minute.")
    if callback is not None:
        with contextlib.suppress(Exception):
            await callback.answer(sorry[:200])
    try:
        await bot.send_message(chat_id, sorry)
    except TelegramForbiddenError:
        return
    except Exception as exc:
        log.warning("could not send an apology either: %s", type(exc).__name__)
        raise


def _language(event: ErrorEvent) -> str | None:
    update = event.update
    user = None
    if update.message:
        user = update.message.from_user
    elif update.callback_query:
        user = update.callback_query.from_user
    return from_telegram(user.language_code if user else None)


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="errors")
    router.error.register(
        stale_button, ExceptionTypeFilter(UnknownIntent, OutdatedIntent, UnknownState)
    )
    router.error.register(bad_request, ExceptionTypeFilter(TelegramBadRequest))
    router.error.register(blocked, ExceptionTypeFilter(TelegramForbiddenError))
    router.error.register(database_down, ExceptionTypeFilter(SQLAlchemyError))
    router.error.register(unexpected)
    return router
