"""What a conversation may ask of the knowledge base during one Telegram update.

Dialogs and handlers call these use cases and never see a session, build a query or commit.
Each call is its own short unit of work: the connection goes back to the pool (and SQLite's
write lock is released) before the bot talks to Telegram, so one slow send never holds up
another person's answer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from sqlalchemy.exc import SQLAlchemyError

from knowledge import announcements, path_store, people, schools, usage
from knowledge.store import Store

log = logging.getLogger(__name__)


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
    def __init__(self, store: Store, tally: usage.Tally | None = None) -> None:
        self._store = store
        self._tally = tally or usage.Tally()
        self._visits = schools.OncePerDay()

    async def record_feedback(self, key: str, slug: str, lang: str, *, helpful: bool) -> bool:
        """One vote per person, topic and language (a new vote replaces the old)."""
        async with self._store.transaction() as session:
            return await people.record_feedback(session, key, slug, lang, helpful=helpful)

    async def log_unanswered(
        self, key: str, text: str, lang: str | None, score: float, guesses: list[str]
    ) -> bool:
        """Put a question without an answer in the practitioners' inbox; False when the
        database is away (the person still gets "I don't know yet", not an apology)."""
        try:
            async with self._store.transaction() as session:
                await people.log_unanswered(session, key, text, lang, score, guesses)
        except SQLAlchemyError:
            log.warning("an unanswered question could not be kept: the database is away")
            return False
        return True

    async def path_progress(self, key: str, slug: str) -> path_store.Progress | None:
        async with self._store.sessions() as session:
            return await path_store.progress(session, key, slug)

    async def started_paths(self, key: str) -> list[str]:
        async with self._store.sessions() as session:
            return await path_store.started_paths(session, key)

    async def save_path_progress(
        self, key: str, slug: str, answers: dict[str, str], done: set[str] | frozenset[str]
    ) -> None:
        async with self._store.transaction() as session:
            await path_store.save_progress(session, key, slug, answers, done)

    async def set_path_reminders(self, key: str, slug: str, chat_id: int | None) -> bool:
        async with self._store.transaction() as session:
            return await path_store.set_reminders(session, key, slug, chat_id)

    def note(self, event: str) -> None:
        """An anonymous weekly count, written with the next `flush_usage`."""
        self._tally.add(event)

    async def flush_usage(self) -> None:
        counts = self._tally.take()
        if not counts:
            return
        try:
            async with self._store.transaction() as session:
                await usage.add_counts(session, counts)
        except BaseException:
            self._tally.put_back(counts)
            raise

    async def record_school_open(self, code: str, channel: str, visitor: str = "") -> bool:
        """Count a link opened; the same visitor counts once a day."""
        if visitor and not self._visits.first(visitor, code):
            return False
        try:  # a count: the school's page opens all the same when it cannot be written
            async with self._store.transaction() as session:
                return await schools.record_open(session, code, channel, date.today())
        except SQLAlchemyError:
            log.warning("a school link's opening could not be counted: the database is away")
            return False

    async def following(self, key: str) -> Following:
        async with self._store.sessions() as session:
            row = await announcements.subscription(session, key)
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
        async with self._store.transaction() as session:
            await announcements.subscribe(
                session,
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
        async with self._store.transaction() as session:
            await announcements.unsubscribe(session, key)
