"""What is dropped before any handler: updates with nothing to act on (answered at once where
there is something to answer)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import CallbackQuery, TelegramObject, Update
from aiogram.types.update import UpdateTypeLookupError

log = logging.getLogger(__name__)


async def answerable_callbacks(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """A press without data (a game's button) broke inside aiogram-dialog, with an apology for
    a fault that was not there; one on an inline message (no chat message) was never
    answered, leaving the person's spinner turning. Both are answered empty and dropped."""
    if isinstance(event, CallbackQuery) and (event.data is None or event.message is None):
        await event.answer()
        return None
    return await handler(event, data)


async def known_updates(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    event: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """An update of no kind this aiogram knows (a newer Bot API's, or one that could not be
    read: `bot.session.UnreadableUpdates`) is dropped, with a line in the log."""
    if isinstance(event, Update):
        try:
            event.event_type  # noqa: B018  # raises for a kind aiogram does not know
        except UpdateTypeLookupError:
            log.info("update %d is of no kind this bot handles: dropped", event.update_id)
            return None
    return await handler(event, data)
