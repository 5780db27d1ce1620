"""Everything that is not text or a command: a short localized word on what the bot can do."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram_dialog.utils import CB_SEP

from bot.filters import GroupChat
from flows.common import ID_MENU
from knowledge.i18n import Translator
from knowledge.schools import OncePerDay


async def group_message(message: Message, t: Translator, bot_username: str) -> None:
    """Silent in groups unless addressed; then point to the private chat."""
    text = message.text or message.caption or ""
    if not bot_username:  # a server that gave no @name: "@" alone would match every mention
        return
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


async def not_text(message: Message, t: Translator, albums: OncePerDay) -> None:
    """Voice notes, photos, stickers…: say kindly what works, with the menu one tap away (a
    dialog-less button, see flows.revive). An album is one note, not one per photo."""
    if not first_of_album(message, albums):
        return
    menu = InlineKeyboardButton(text=t.gettext("🏠 Menu"), callback_data=f"media{CB_SEP}{ID_MENU}")
    await message.answer(
        t.gettext(
            "I can only read text messages. Please type your question, in any language — "
            "or open the /menu."
        ),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=[[menu]]),
    )


def first_of_album(message: Message, albums: OncePerDay) -> bool:
    """Whether a message is the first of its album to be answered (Telegram sends each photo
    of an album as a message of its own); True for a message that is not in one."""
    album = message.media_group_id
    return album is None or albums.first(str(message.chat.id), album)


async def edited(message: Message) -> None:
    """An edited question is not asked again: the answer to the first version stands."""


def make_router() -> Router:
    """A fresh router (a router can belong to one dispatcher only)."""
    router = Router(name="other")
    router.message.register(group_message, GroupChat())
    router.message.register(not_text)
    router.edited_message.register(edited)
    return router
