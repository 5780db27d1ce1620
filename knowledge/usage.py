"""Anonymous usage figures: counts per week and event, for the city team's reports.

Nothing here can identify a person: no user key, no text, no time finer than a week.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import UsageCount

SAFETY = "safety"
"""A message tripped the safety check and got 112 and a helpline."""
ANSWER = "answer"
"""`answer:<topic>:<language>`: a question got that topic's answer."""
ABSTAIN = "abstain"
"""`abstain:<language>`: a question got "I don't know this yet"."""
HANDOFF = "handoff"
"""`handoff:<language>`: a person asked to talk to a practitioner."""
FIRST_REPLY = "first-reply"
"""`first-reply:<bucket>`: how soon a practitioner first answered a handoff."""
REPLY_BUCKETS = ((1, "1h"), (4, "4h"), (24, "24h"))


def answered(slug: str, lang: str) -> str:
    return f"{ANSWER}:{slug}:{lang}"


def abstained(lang: str) -> str:
    return f"{ABSTAIN}:{lang}"


def handed_over(lang: str) -> str:
    return f"{HANDOFF}:{lang}"


def first_reply(hours: float) -> str:
    bucket = next((name for limit, name in REPLY_BUCKETS if hours <= limit), "later")
    return f"{FIRST_REPLY}:{bucket}"


class Tally:
    """Counts kept in memory and added to the database now and then, so that counting every
    question costs no write on the question's path (a crash loses seconds of counts)."""

    def __init__(self) -> None:
        self._counts: Counter[tuple[date, str]] = Counter()

    def add(self, event: str, *, today: date | None = None) -> None:
        self._counts[(week_of(today or date.today()), event)] += 1

    def take(self) -> Counter[tuple[date, str]]:
        counts, self._counts = self._counts, Counter()
        return counts

    def put_back(self, counts: Counter[tuple[date, str]]) -> None:
        self._counts.update(counts)


async def add_counts(session: AsyncSession, counts: Counter[tuple[date, str]]) -> None:
    for (week, event), n in sorted(counts.items()):
        row = await session.get(UsageCount, (week, event))
        if row is None:
            session.add(UsageCount(week=week, event=event, count=n))
        else:
            row.count += n
    await session.flush()


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def count(session: AsyncSession, event: str, *, today: date | None = None) -> None:
    """Add one to this week's count of `event` (the caller commits)."""
    await add_counts(session, Counter({(week_of(today or date.today()), event): 1}))


async def weekly(session: AsyncSession, event: str) -> dict[date, int]:
    rows = await session.execute(
        select(UsageCount.week, UsageCount.count)
        .where(UsageCount.event == event)
        .order_by(UsageCount.week)
    )
    return {week: n for week, n in rows}
