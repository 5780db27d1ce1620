"""Per update: a database session, the person's pseudonymous key, language and translator."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

from bot.config import Settings
from bot.i18n import I18n
from bot.profiles import Profiles
from knowledge import people
from knowledge.languages import from_telegram
from knowledge.service import Knowledge


class ContextMiddleware(BaseMiddleware):
    def __init__(self, knowledge: Knowledge, i18n: I18n, settings: Settings, secret: bytes) -> None:
        self.knowledge = knowledge
        self.i18n = i18n
        self.settings = settings
        self.secret = secret
        self.profiles = Profiles(knowledge)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is None:
            return None
        fallback = from_telegram(user.language_code) or self.settings.default_language
        data.update(
            knowledge=self.knowledge,
            i18n=self.i18n,
            settings=self.settings,
            telegram_lang=from_telegram(user.language_code),
            t=self.i18n.get(fallback),
            lang=fallback,
        )
        key = people.user_key(self.secret, user.id)
        stored = await self.profiles.language(key)
        lang = stored or fallback
        data.update(
            profiles=self.profiles,
            user_key=key,
            stored_lang=stored,
            lang=lang,
            t=self.i18n.get(lang),
        )
        # The session connects lazily: updates that only read the in-memory index never
        # take a database connection at all.
        async with self.knowledge.sessions() as session:
            data["session"] = session
            result = await handler(event, data)
            await session.commit()
            return result
