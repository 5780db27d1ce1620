"""Message filters as coroutines.

aiogram runs a plain callable filter — a magic `F.…` expression included — through
`asyncio.to_thread`, one thread hop per filter per update. These checks are attribute reads,
so they are written as `Filter` subclasses, which aiogram awaits in the event loop.
"""

from __future__ import annotations

from aiogram.enums import ChatType
from aiogram.filters import Filter
from aiogram.types import Message


class PrivateChat(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.chat.type == ChatType.PRIVATE


class GroupChat(Filter):
    async def __call__(self, message: Message) -> bool:
        return message.chat.type != ChatType.PRIVATE


class HasText(Filter):
    def __init__(self, *, captions: bool = False) -> None:
        self.captions = captions
        """Also a photo's or a file's caption."""

    async def __call__(self, message: Message) -> bool:
        return message.text is not None or (self.captions and bool(message.caption))


class SlashCommand(Filter):
    """Any "/word" (also a photo's caption, as aiogram's `Command` reads it)."""

    async def __call__(self, message: Message) -> bool:
        return (message.text or message.caption or "").startswith("/")
