"""Anonymous usage figures: counts per week and event, for the city team's reports.

Nothing here can identify a person: no user key, no text, no time finer than a week.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import UsageCount

SAFETY = "safety"
"""A message tripped the safety check and got 112 and a helpline."""


def week_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def count(session: AsyncSession, event: str, *, today: date | None = None) -> None:
    """Add one to this week's count of `event` (the caller commits)."""
    week = week_of(today or date.today())
    row = await session.get(UsageCount, (week, event))
    if row is None:
        session.add(UsageCount(week=week, event=event, count=1))
    else:
        row.count += 1
    await session.flush()


async def weekly(session: AsyncSession, event: str) -> dict[date, int]:
    rows = await session.execute(
        select(UsageCount.week, UsageCount.count)
        .where(UsageCount.event == event)
        .order_by(UsageCount.week)
    )
    return {week: n for week, n in rows}
