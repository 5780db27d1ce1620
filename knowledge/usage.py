"""Anonymous usage figures: counts per week and event, for the city team's reports.

Nothing here can identify a person: no user key, no text, no time finer than a week.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
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
    """Add to the counts with one upsert statement for all of them: two updates (or replicas)
    counting the first event of a week both create its row otherwise, and one of them fails.
    Sent as one batch: a flush under load holds a couple of hundred counts."""
    if not counts:
        return
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(UsageCount)
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[UsageCount.week, UsageCount.event],
            set_={"count": UsageCount.count + statement.excluded["count"]},
        ),
        [{"week": week, "event": event, "count": n} for (week, event), n in sorted(counts.items())],
    )


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


@dataclass(frozen=True)
class Week:
    monday: date
    answered: int
    abstained: int
    handoffs: int
    safety: int
    first_replies: dict[str, int]

    @property
    def questions(self) -> int:
        return self.answered + self.abstained

    @property
    def abstention_rate(self) -> float:
        return self.abstained / self.questions if self.questions else 0.0


@dataclass(frozen=True)
class Overview:
    """Anonymous figures for the city team's reports, over the last few weeks."""

    weeks: list[Week]
    topics: list[tuple[str, int]]
    languages: list[tuple[str, int]]

    @property
    def totals(self) -> Week:
        buckets: Counter[str] = Counter()
        for week in self.weeks:
            buckets.update(week.first_replies)
        return Week(
            self.weeks[0].monday if self.weeks else date.today(),
            sum(w.answered for w in self.weeks),
            sum(w.abstained for w in self.weeks),
            sum(w.handoffs for w in self.weeks),
            sum(w.safety for w in self.weeks),
            dict(buckets),
        )


REPLY_BUCKET_NAMES = (*(name for _, name in REPLY_BUCKETS), "later")


async def overview(session: AsyncSession, *, weeks: int = 8, today: date | None = None) -> Overview:
    """Questions by week, topic and language; abstentions; handoffs and how soon a person
    answered; safety replies. Counts only."""
    first = week_of(today or date.today()) - timedelta(weeks=weeks - 1)
    rows = await session.execute(
        select(UsageCount.week, UsageCount.event, UsageCount.count).where(UsageCount.week >= first)
    )
    per_week: dict[date, Counter[str]] = {
        first + timedelta(weeks=i): Counter() for i in range(weeks)
    }
    topics: Counter[str] = Counter()
    languages: Counter[str] = Counter()
    for week, event, n in rows:
        kind, _, rest = event.partition(":")
        tally = per_week.setdefault(week, Counter())
        if kind == ANSWER:
            slug, _, lang = rest.rpartition(":")
            tally["answered"] += n
            topics[slug] += n
            languages[lang] += n
        elif kind == ABSTAIN:
            tally["abstained"] += n
            languages[rest] += n
        elif kind == HANDOFF:
            tally["handoffs"] += n
        elif kind == SAFETY:
            tally["safety"] += n
        elif kind == FIRST_REPLY:
            tally[f"reply:{rest}"] += n
    return Overview(
        [
            Week(
                monday,
                tally["answered"],
                tally["abstained"],
                tally["handoffs"],
                tally["safety"],
                {name: tally[f"reply:{name}"] for name in REPLY_BUCKET_NAMES},
            )
            for monday, tally in sorted(per_week.items(), reverse=True)
        ],
        topics.most_common(),
        languages.most_common(),
    )
