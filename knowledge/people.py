"""Queries about the people who talk to the bot: language, feedback, unanswered questions.

Everything is keyed by a keyed hash of the Telegram user id (`user_key`), never by the id itself,
so the tables say nothing about who someone is; `forget` removes every row a person left.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from knowledge.models import (
    AppSecret,
    Delivery,
    Feedback,
    PathProgress,
    Person,
    Subscription,
    Ticket,
    Topic,
    UnansweredQuestion,
    utcnow,
)

USER_KEY_SECRET = "user-key"  # noqa: S105 - the secret's name, not the secret


async def user_key_secret(session: AsyncSession) -> bytes:
    """The HMAC key of user ids, shared through the database by every replica."""
    return await app_secret(session, USER_KEY_SECRET)


async def app_secret(session: AsyncSession, name: str) -> bytes:
    """A random key made once, on first use, and shared through the database. Two replicas
    starting on a new database both make one: the second insert fails, and that replica takes
    the first's (it used to stop with a duplicate-key error)."""
    stored = select(AppSecret.value).where(AppSecret.name == name)
    value = await session.scalar(stored)
    if value is None:
        value = secrets.token_hex(32)
        try:
            async with session.begin_nested():
                session.add(AppSecret(name=name, value=value))
        except IntegrityError:
            value = await session.scalar(stored)
            if value is None:
                raise
    return bytes.fromhex(value)


def user_key(secret: bytes, telegram_user_id: int) -> str:
    return hmac.new(secret, str(telegram_user_id).encode(), hashlib.sha256).hexdigest()


async def get_language(session: AsyncSession, key: str) -> str | None:
    return await session.scalar(select(Person.language).where(Person.user_key == key))


_LANGUAGES_OF = select(Person.user_key, Person.language).where(
    Person.user_key.in_(bindparam("keys", expanding=True)), Person.language.is_not(None)
)
"""Built once: building the statement cost more than running it, for every batch of reads."""


async def get_languages(connection: AsyncConnection, keys: Collection[str]) -> dict[str, str]:
    """The chosen languages of those of `keys` who chose one."""
    rows = await connection.execute(_LANGUAGES_OF, {"keys": list(keys)})
    return {key: lang for key, lang in rows if lang is not None}


async def _profile(session: AsyncSession, key: str) -> Person:
    """The person's row, made now if they had none (choosing something makes a profile)."""
    person = await session.scalar(select(Person).where(Person.user_key == key))
    if person is None:
        person = Person(user_key=key)
        session.add(person)
    return person


async def set_language(session: AsyncSession, key: str, language: str) -> None:
    person = await _profile(session, key)
    person.language = language
    person.seen_at = utcnow()
    await session.flush()


async def translation_consent(session: AsyncSession, key: str) -> bool | None:
    """None: never asked."""
    return await session.scalar(select(Person.translation_consent).where(Person.user_key == key))


async def set_translation_consent(session: AsyncSession, key: str, consent: bool) -> None:
    person = await _profile(session, key)
    person.translation_consent = consent
    await session.flush()


async def record_feedback(
    session: AsyncSession, key: str, slug: str, lang: str, *, helpful: bool
) -> bool:
    """Store a vote (replacing an earlier one); False when the topic does not exist."""
    topic_id = await session.scalar(select(Topic.id).where(Topic.slug == slug))
    if topic_id is None:
        return False
    vote = await session.scalar(
        select(Feedback).where(
            Feedback.user_key == key, Feedback.topic_id == topic_id, Feedback.lang == lang
        )
    )
    if vote is None:
        session.add(Feedback(user_key=key, topic_id=topic_id, lang=lang, helpful=helpful))
    else:
        vote.helpful = helpful
        vote.created_at = utcnow()
    await session.flush()
    return True


async def log_unanswered(
    session: AsyncSession,
    key: str,
    text: str,
    lang: str | None,
    score: float,
    guesses: list[str],
) -> None:
    session.add(
        UnansweredQuestion(
            user_key=key, text=text[:2000], lang=lang, score=score, guesses=guesses[:3]
        )
    )
    await session.flush()


@dataclass(frozen=True)
class Forgotten:
    profile: int
    feedback: int
    questions: int
    tickets: int = 0
    subscriptions: int = 0
    paths: int = 0


async def forget(session: AsyncSession, key: str, chat_id: int | None = None) -> Forgotten:
    """Delete everything stored about one person: profile, votes, questions, conversations
    (with their messages), subscriptions, guided paths and — by the chat's id — announcement
    deliveries."""
    counts = []
    models = (Person, Feedback, UnansweredQuestion, Ticket, Subscription, PathProgress)
    for model in models:
        result = await session.execute(delete(model).where(model.user_key == key))
        counts.append(int(result.rowcount or 0))  # type: ignore[attr-defined]
    if chat_id is not None:
        await session.execute(delete(Delivery).where(Delivery.chat_id == chat_id))
        await session.execute(delete(Ticket).where(Ticket.chat_id == chat_id))
    return Forgotten(*counts)


async def purge_unanswered(session: AsyncSession, older_than: timedelta) -> int:
    """Questions are kept only as long as practitioners need them."""
    result = await session.execute(
        delete(UnansweredQuestion).where(UnansweredQuestion.asked_at < utcnow() - older_than)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
