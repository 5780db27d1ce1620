"""A reply in a private chat is read as what it says, not as a press on the replied message."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram.types import Message, TelegramObject


async def replies_read_as_text(
    handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
    message: TelegramObject,
    data: dict[str, Any],
) -> Any:
    """aiogram-dialog routes a reply to the dialog of the message it answers. People reply to
    an older card to ask about it ("and for my child?"); when that card's dialog was no longer
    the current one (a newer card, a restart), the text was dropped for the menu — a message
    saying someone was in danger included. Here free text goes where all free text goes: the
    safety check, then the search, in the current dialog. (In the practitioners' group a reply
    names the conversation it answers, and is kept.)"""
    if (
        isinstance(message, Message)
        and message.chat.type == "private"
        and message.reply_to_message is not None
    ):
        message = message.model_copy(update={"reply_to_message": None})
    return await handler(message, data)
