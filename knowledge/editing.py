"""Finding the topic and the translation the workspace editor works on; saving, reviewing and
restoring go through the reviewed-editing core (`knowledge.reviewing`, with
`repository.TRANSLATIONS`), shared with the schools' texts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge import reviewing
from knowledge.models import Topic, Translation


async def get_topic(session: AsyncSession, slug: str) -> Topic | None:
    return await session.scalar(
        select(Topic)
        .where(Topic.slug == slug)
        .options(
            selectinload(Topic.translations).selectinload(Translation.sources),
            selectinload(Topic.translations).selectinload(Translation.revisions),
        )
    )


def translation(topic: Topic, lang: str) -> Translation | None:
    return reviewing.find(topic.translations, lang)
