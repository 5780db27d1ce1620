"""Everything that is not text or a command: a short localized word on what the bot can do."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog.utils import CB_SEP

from bot.filters import GroupChat
from flows.common import ID_MENU
from knowledge.i18n import Translator


async def group_message(message: Message, t: Translator, bot_username: str) -> None:
    """Silent in groups unless addressed; then point to the private chat."""
    text = message.text or message.caption or ""
    addressed = f"@{bot_username}".casefold() in text.casefold() or bool(
        message.reply_to_message
        and message.reply_to_message.from_user
        and message.reply_to_message.from_user.username == bot_username
    )
    if addressed:
        await message.reply(
            t.gettext("I answer in a private chat: {link}").format(
                link=f"https://t.me/{bot_username}"
            )
        )


async def not_text(message: Message, t: Translator) -> None:
    """Voice notes, photos, stickers…: say kindly what works, with the menu one tap away (a
    dialog-less button, see flows.revive)."""
    menu = InlineKeyboardButton(text=t.gettext("🏠 Menu"), callback_data=f"media{CB_SEP}{ID_MENU}")
    await message.answer(
        t.gettext(
            "I can only read text messages. Please type your question, in any language — "
            "or open the /menu."
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[menu]]),
    )


async def edited(message: Message) -> None:
    """An edited question is not asked again: the answer to the first version stands."""


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="other")
    router.message.register(group_message, GroupChat())
    router.message.register(not_text)
    router.edited_message.register(edited)
    return router
