"""The topic × language matrix: missing, draft, reviewed or outdated, one rule for everyone.

The workspace draws it and `witaj kb check` reports from it, so the two always agree. A
translation is outdated when the Polish text it was made from (its `source_hash`) has changed
since; Polish is the source language and is never outdated.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge import reviewing
from knowledge.languages import LANGUAGES, SOURCE_LANGUAGE
from knowledge.models import Topic, Translation
from knowledge.repository import TRANSLATIONS
from knowledge.reviewing import Cell


def cell(tr: Translation | None, polish: Translation | None) -> Cell:
    return reviewing.cell(TRANSLATIONS, tr, polish)


@dataclass(frozen=True)
class Row:
    slug: str
    category: str
    title: str
    owner: str | None
    review_due: date | None
    cells: dict[str, Cell]


async def load_matrix(session: AsyncSession) -> list[Row]:
    topics = await session.scalars(
        select(Topic)
        .options(selectinload(Topic.translations), selectinload(Topic.owner))
        .order_by(Topic.category, Topic.position, Topic.slug)
    )
    rows = []
    for topic in topics:
        by_lang = {tr.lang: tr for tr in topic.translations}
        polish = by_lang.get(SOURCE_LANGUAGE)
        shown = polish or next(iter(by_lang.values()), None)
        rows.append(
            Row(
                slug=topic.slug,
                category=topic.category.value,
                title=shown.title if shown else topic.slug,
                owner=topic.owner.name if topic.owner else None,
                review_due=topic.review_due,
                cells={lang: cell(by_lang.get(lang), polish) for lang in LANGUAGES},
            )
        )
    return rows


def outdated(rows: list[Row]) -> set[tuple[str, str]]:
    return {(r.slug, lang) for r in rows for lang, c in r.cells.items() if c is Cell.OUTDATED}
