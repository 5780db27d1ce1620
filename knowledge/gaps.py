"""Closing the gaps: questions nobody answered, answers people found unhelpful, stale topics."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from rapidfuzz import fuzz
from sqlalchemy import case, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import selectinload

from knowledge.content import EXPIRY_NOTICE, SourceDoc, TranslationDoc
from knowledge.enums import Category
from knowledge.models import (
    Feedback,
    Practitioner,
    Source,
    Topic,
    Translation,
    UnansweredQuestion,
)
from knowledge.repository import save_translation, translation_doc
from knowledge.search.normalize import clean
from knowledge.versions import bump_content_version

_PERSONAL = re.compile(r"\S+@\S+|(?:https?://|www\.)\S+|(?<!\w)@\w+|\+?\d[\d\s().\-/]*\d")
"""E-mail addresses, links, @names and runs of digits (with their separators)…"""
PERSONAL_DIGITS = 7
"""…of which a run is personal from this many digits (a PESEL, a phone, a document number;
not "800+", "112" or "116 123")."""

SIMILAR = 72
"""rapidfuzz token-set ratio from which two questions count as the same question."""
MAX_INBOX = 5000


@dataclass
class Group:
    """Unanswered questions that ask the same thing, newest first."""

    lang: str
    questions: list[UnansweredQuestion] = field(default_factory=list)

    @property
    def ids(self) -> list[int]:
        return [q.id for q in self.questions]

    @property
    def text(self) -> str:
        return self.questions[0].text

    @property
    def last_asked(self) -> datetime:
        return self.questions[0].asked_at

    @property
    def guesses(self) -> list[str]:
        counts = Counter(slug for q in self.questions for slug in q.guesses[:1])
        return [slug for slug, _ in counts.most_common(3)]


async def unanswered_groups(
    session: AsyncSession, languages: Collection[str] | None = None
) -> list[Group]:
    """Group by language and similarity; the most asked first. `languages`: only questions
    asked in these (None: all), for who may read migrants' words in those languages only."""
    query = select(UnansweredQuestion)
    if languages is not None:
        query = query.where(UnansweredQuestion.lang.in_(list(languages)))
    rows = await session.scalars(
        query.order_by(UnansweredQuestion.asked_at.desc()).limit(MAX_INBOX)
    )
    groups: list[Group] = []
    keys: list[str] = []
    for row in rows:
        key = clean(row.text)
        lang = row.lang or "?"
        for i, group in enumerate(groups):
            if group.lang == lang and fuzz.token_set_ratio(key, keys[i]) >= SIMILAR:
                group.questions.append(row)
                break
        else:
            groups.append(Group(lang, [row]))
            keys.append(key)
    return sorted(groups, key=lambda g: (-len(g.questions), -g.last_asked.timestamp()))


async def _questions(session: AsyncSession, ids: list[int]) -> list[UnansweredQuestion]:
    return list(
        await session.scalars(select(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids)))
    )


def impersonal(question: str) -> str:
    """A question as a topic may keep it: without what identifies its asker (the topic is
    content, exported and backed up, and `/forget` cannot reach it there). Names stay: the
    practitioner who teaches the topic edits those out."""

    def drop(found: re.Match[str]) -> str:
        text = found.group()
        if text[0].isdigit() or text[0] == "+":
            return " " if sum(ch.isdigit() for ch in text) >= PERSONAL_DIGITS else text
        return " "

    return " ".join(_PERSONAL.sub(drop, question).split())[:300]


async def answer_with_topic(
    session: AsyncSession, ids: list[int], slug: str, *, actor: str
) -> list[str]:
    """Teach a topic these questions as phrasings, so the next person gets the answer.

    Each question goes to the topic's translation in its own language; the questions leave
    the inbox. Returns the languages that had no translation to learn from.
    """
    topic = await session.scalar(
        select(Topic)
        .where(Topic.slug == slug)
        .options(selectinload(Topic.translations).selectinload(Translation.sources))
    )
    if topic is None:
        raise LookupError(slug)
    by_lang = {tr.lang: tr for tr in topic.translations}
    missing: list[str] = []
    learned: dict[str, list[str]] = {}
    for question in await _questions(session, ids):
        lang = question.lang or ""
        if lang not in by_lang:
            missing.append(lang or "?")
            continue
        if text := impersonal(question.text):
            learned.setdefault(lang, []).append(text)
        await session.delete(question)
    for lang, texts in learned.items():
        row = by_lang[lang]
        doc = translation_doc(row)
        phrasings = tuple(dict.fromkeys([*doc.phrasings, *texts]))
        await save_translation(
            session,
            row,
            doc.model_copy(update={"phrasings": phrasings}),
            actor=actor,
            action="phrasing",
        )
    await bump_content_version(session)
    return sorted(set(missing))


async def new_topic(
    session: AsyncSession,
    ids: list[int],
    *,
    slug: str,
    category: Category,
    lang: str,
    title: str,
    answer: str,
    source: SourceDoc,
    actor: str,
) -> Topic:
    """A draft topic born from unanswered questions (they become its first phrasings)."""
    if await session.scalar(select(Topic.id).where(Topic.slug == slug)) is not None:
        raise ValueError(f"topic {slug!r} already exists")
    questions = await _questions(session, ids)
    position = int(await session.scalar(select(func.max(Topic.position))) or 0) + 1
    topic = Topic(slug=slug, category=category, position=position, related=[], translations=[])
    row = Translation(lang=lang, sources=[], revisions=[])
    topic.translations.append(row)
    session.add(topic)
    doc = TranslationDoc(
        title=title,
        answer=answer,
        phrasings=tuple(
            dict.fromkeys(text for q in questions if q.lang == lang if (text := impersonal(q.text)))
        ),
        sources=(source,),
    )
    await save_translation(session, row, doc, actor=actor, action="create", keep_old=False)
    for question in questions:
        await session.delete(question)
    await bump_content_version(session)
    return topic


async def dismiss(session: AsyncSession, ids: list[int]) -> int:
    result = await session.execute(delete(UnansweredQuestion).where(UnansweredQuestion.id.in_(ids)))
    return int(getattr(result, "rowcount", 0) or 0)


@dataclass(frozen=True)
class FeedbackLine:
    slug: str
    lang: str
    helpful: int
    unhelpful: int

    @property
    def share_unhelpful(self) -> float:
        return self.unhelpful / max(1, self.helpful + self.unhelpful)


async def feedback_report(session: AsyncSession) -> list[FeedbackLine]:
    """👍/👎 per topic and language, the worst first."""
    down = func.sum(case((Feedback.helpful.is_(False), 1), else_=0))
    up = func.sum(case((Feedback.helpful.is_(True), 1), else_=0))
    rows = await session.execute(
        select(Topic.slug, Feedback.lang, up, down)
        .join(Topic, Topic.id == Feedback.topic_id)
        .group_by(Topic.slug, Feedback.lang)
    )
    lines = [FeedbackLine(slug, lang, int(u or 0), int(d or 0)) for slug, lang, u, d in rows]
    return sorted(lines, key=lambda x: (-x.share_unhelpful, -x.unhelpful, x.slug, x.lang))


class ReviewState(StrEnum):
    """Where a topic's review plan stands on a given day."""

    OVERDUE = "overdue"
    """Its review date has passed."""
    NEVER_REVIEWED = "never-reviewed"
    """No review date, and nobody has ever vouched for any of its texts."""
    UNSCHEDULED = "unscheduled"
    """Reviewed once, but no date for the next review."""
    SCHEDULED = "scheduled"


@dataclass(frozen=True)
class Due:
    slug: str
    owner: str | None
    telegram_id: int | None
    review_due: date | None
    expires: date | None = None
    """The earliest `valid_until` among the topic's texts and sources: a fact that stops being
    right then (a deadline, a rule that ends)."""
    last_reviewed: datetime | None = None
    """When someone last vouched for one of the topic's texts (None: never)."""

    def expiring(self, today: date) -> bool:
        return self.expires is not None and self.expires - today <= EXPIRY_NOTICE

    def state(self, today: date) -> ReviewState:
        """Only a review date that has passed makes a topic overdue: a topic without one was
        never planned, which is not the same as late."""
        if self.review_due is not None:
            return ReviewState.OVERDUE if self.review_due < today else ReviewState.SCHEDULED
        if self.last_reviewed is None:
            return ReviewState.NEVER_REVIEWED
        return ReviewState.UNSCHEDULED


_ORDER = {
    ReviewState.OVERDUE: 0,
    ReviewState.NEVER_REVIEWED: 1,
    ReviewState.UNSCHEDULED: 1,
    ReviewState.SCHEDULED: 2,
}


async def review_plan(session: AsyncSession, today: date | None = None) -> list[Due]:
    """Every topic with its owner and review date: facts about to expire first, then the
    overdue (the most overdue first), then those without a review date, then the rest."""
    today = today or date.today()
    # Only the dates: loading whole topics (answers, phrasings) for them would leave ten
    # megabytes in a bot process that reads this once a day.
    expires: dict[int, list[date]] = {}
    reviewed: dict[int, list[datetime]] = {}
    translations = await session.execute(
        select(Translation.topic_id, Translation.valid_until, Translation.reviewed_at)
    )
    for topic_id, valid_until, reviewed_at in translations:
        if valid_until is not None:
            expires.setdefault(topic_id, []).append(valid_until)
        if reviewed_at is not None:
            reviewed.setdefault(topic_id, []).append(reviewed_at)
    sources = await session.execute(
        select(Translation.topic_id, Source.valid_until)
        .join(Source, Source.translation_id == Translation.id)
        .where(Source.valid_until.is_not(None))
    )
    for topic_id, valid_until in sources:
        if valid_until is not None:
            expires.setdefault(topic_id, []).append(valid_until)
    topics = await session.execute(
        select(
            Topic.id, Topic.slug, Topic.review_due, Practitioner.name, Practitioner.telegram_id
        ).outerjoin(Practitioner, Topic.owner_id == Practitioner.id)
    )
    plan = [
        Due(
            slug,
            owner,
            telegram_id,
            review_due,
            min(expires.get(topic_id, ()), default=None),
            max(reviewed.get(topic_id, ()), default=None),
        )
        for topic_id, slug, review_due, owner, telegram_id in topics
    ]
    return sorted(
        plan,
        key=lambda d: (
            d.expires or date.max,
            _ORDER[d.state(today)],
            d.review_due or date.min,
            d.slug,
        ),
    )


def overdue(plan: list[Due], today: date) -> list[Due]:
    """Topics whose review date has passed (not those that have none)."""
    return [d for d in plan if d.state(today) is ReviewState.OVERDUE]


def expiring(plan: list[Due], today: date) -> list[Due]:
    """Topics whose facts expire within `EXPIRY_NOTICE` or already have."""
    return [d for d in plan if d.expiring(today)]


async def plan_review(
    session: AsyncSession, slug: str, owner: str | None, review_due: date | None
) -> None:
    topic = await session.scalar(select(Topic).where(Topic.slug == slug))
    if topic is None:
        raise LookupError(slug)
    owner_row = None
    if owner:
        owner_row = await session.scalar(select(Practitioner).where(Practitioner.name == owner))
        if owner_row is None:
            raise LookupError(owner)
    topic.owner_id = owner_row.id if owner_row else None
    topic.review_due = review_due
    await session.flush()


def reminders(plan: list[Due], today: date) -> dict[int, list[Due]]:
    """Overdue or expiring topics by their owner's Telegram id (owners without one get none)."""
    out: dict[int, list[Due]] = {}
    for due in plan:
        late = due.state(today) is ReviewState.OVERDUE
        if due.telegram_id and (late or due.expiring(today)):
            out.setdefault(due.telegram_id, []).append(due)
    return out
