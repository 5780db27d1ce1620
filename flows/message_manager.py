"""How dialog windows reach the chat: like aiogram-dialog's, except that old keyboards stay.

aiogram-dialog strips the inline keyboard off a dialog's previous message whenever it sends a
new one. An answer card's keyboard holds its official sources, though, and a migrant scrolls back
to show an earlier answer at an office; stripping it would also cost a second Bot API call per
answer. So old keyboards stay, and `flows.revive` makes their buttons work after their dialog
has gone.
"""

from __future__ import annotations

from aiogram import Bot
from aiogram.types import Message
from aiogram_dialog.api.entities import OldMessage
from aiogram_dialog.manager.message_manager import MessageManager


class KeepingMessageManager(MessageManager):
    async def remove_inline_kbd(self, bot: Bot, old_message: OldMessage | None) -> Message | None:
        return None
