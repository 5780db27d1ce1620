"""What a conversation may ask of the knowledge base during one Telegram update.

The bot's middleware opens one database session per update (it connects only when first used)
and commits it once the update is handled; dialogs and handlers call these use cases and never
see the session, build a query or commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from knowledge import announcements, people, schools, usage


@dataclass(frozen=True)
class Following:
    """What a person chose to hear about."""

    news: bool
    categories: tuple[str, ...]
    topics: tuple[str, ...]

    @property
    def anything(self) -> bool:
        return self.news or bool(self.categories)


class Services:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def record_feedback(self, key: str, slug: str, lang: str, *, helpful: bool) -> bool:
        """One vote per person, topic and language (a new vote replaces the old)."""
        return await people.record_feedback(self._session, key, slug, lang, helpful=helpful)

    async def log_unanswered(
        self, key: str, text: str, lang: str | None, score: float, guesses: list[str]
    ) -> None:
        await people.log_unanswered(self._session, key, text, lang, score, guesses)

    async def count(self, event: str) -> None:
        """An anonymous weekly count (no person, no text)."""
        await usage.count(self._session, event)

    async def record_school_open(self, code: str, channel: str) -> bool:
        return await schools.record_open(self._session, code, channel, date.today())

    async def following(self, key: str) -> Following:
        row = await announcements.subscription(self._session, key)
        if row is None:
            return Following(False, (), ())
        return Following(row.news, tuple(row.categories), tuple(row.topics))

    async def subscribe(
        self,
        key: str,
        chat_id: int,
        lang: str,
        *,
        news: bool | None = None,
        category: str | None = None,
        follow: str | None = None,
        unfollow: str | None = None,
    ) -> None:
        await announcements.subscribe(
            self._session,
            key,
            chat_id,
            lang,
            news=news,
            category=category,
            follow=follow,
            unfollow=unfollow,
        )

    async def unsubscribe(self, key: str) -> None:
        """No news and no followed answers any more: the chat id is deleted."""
        await announcements.unsubscribe(self._session, key)
