"""Bot API requests whose body is written once: the answer card, sent again and again.

aiogram builds a `SendMessage` model for every message (validating each field, then dumping it
field by field back to JSON) and reads the whole sent message back into models. For the card —
the answer to nearly every question — that was about a tenth of the bot's time under load
(bench/bot.py), spent on work whose result is the same every time: the card's body is kept
ready as JSON-ready values, and only the sent message's id is read back. The requests still go
through the session's middlewares (retries, flood waits), like every other.
"""

from __future__ import annotations

from typing import Any, ClassVar

from aiogram import Bot
from aiogram.enums import ParseMode
from aiogram.methods import TelegramMethod
from aiogram.types import InlineKeyboardMarkup
from pydantic import BaseModel, ConfigDict

NO_PREVIEW = {"is_disabled": True}
"""A card links its sources; a preview of the first would push the answer out of sight."""


class Sent(BaseModel):
    """What the bot reads back from a sent or edited message: its id, nothing of its text."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    message_id: int


class Prepared(TelegramMethod[Any]):
    """A request whose JSON body is ready; the session posts it as it is (bot.session)."""

    body: dict[str, Any]


class SendPrepared(Prepared):
    __returning__: ClassVar[type] = Sent
    __api_method__: ClassVar[str] = "sendMessage"


class EditPrepared(Prepared):
    __returning__: ClassVar[Any] = Sent | bool  # True for a message sent through inline mode
    __api_method__: ClassVar[str] = "editMessageText"


def html_body(text: str, markup: InlineKeyboardMarkup | None) -> dict[str, Any]:
    """The parts of a sendMessage / editMessageText body that do not name the chat."""
    body: dict[str, Any] = {
        "text": text,
        "parse_mode": ParseMode.HTML.value,
        "link_preview_options": NO_PREVIEW,
    }
    if markup is not None:
        body["reply_markup"] = markup.model_dump(mode="json", exclude_none=True)
    return body


async def send(bot: Bot, chat_id: int, ready: dict[str, Any]) -> int:
    """Send a message from `html_body`'s values; the new message's id."""
    sent = await bot(SendPrepared(body={"chat_id": chat_id, **ready}))
    return int(sent.message_id)


async def edit(bot: Bot, chat_id: int, message_id: int, ready: dict[str, Any]) -> int:
    """Put `html_body`'s values in place of a message's; the message's id."""
    await bot(EditPrepared(body={"chat_id": chat_id, "message_id": message_id, **ready}))
    return message_id
