"""Button presses with nothing to act on are answered at once and go no further."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import CallbackQuery, TelegramObject


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
