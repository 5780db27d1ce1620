"""Leases on periodic jobs, held in the database every replica shares.

A replica runs a job (sending an announcement, the daily reminders, the retention purge) only
while it holds that job's lease; it renews the lease as it goes. If it dies, the lease runs out
and another replica takes the job over where the database says it stopped. The compare-and-set
is one UPDATE, so it is atomic on PostgreSQL and SQLite alike.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import JobLease, utcnow


async def acquire(
    session: AsyncSession,
    name: str,
    holder: str,
    ttl: timedelta,
    *,
    now: datetime | None = None,
) -> bool:
    """Take or renew the lease on `name` for `ttl`; False while someone else holds it."""
    now = now or utcnow()
    if await session.get(JobLease, name) is None:
        try:
            async with session.begin_nested():
                session.add(JobLease(name=name, holder="", expires_at=now))
        except IntegrityError:
            pass  # another replica created it a moment ago
    taken = await session.execute(
        update(JobLease)
        .where(
            JobLease.name == name,
            or_(JobLease.holder == holder, JobLease.expires_at <= now),
        )
        .values(holder=holder, expires_at=now + ttl)
        .execution_options(synchronize_session=False)
    )
    return getattr(taken, "rowcount", 0) == 1


async def release(session: AsyncSession, name: str, holder: str) -> None:
    await session.execute(
        update(JobLease)
        .where(JobLease.name == name, JobLease.holder == holder)
        .values(holder="", expires_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def release_all(session: AsyncSession, holder: str) -> None:
    await session.execute(
        update(JobLease)
        .where(JobLease.holder == holder)
        .values(holder="", expires_at=utcnow())
        .execution_options(synchronize_session=False)
    )


async def finished(session: AsyncSession, name: str, *, when: datetime | None = None) -> None:
    await session.execute(
        update(JobLease)
        .where(JobLease.name == name)
        .values(last_done=when or utcnow())
        .execution_options(synchronize_session=False)
    )


async def last_done(session: AsyncSession, name: str) -> datetime | None:
    done: datetime | None = await session.scalar(
        select(JobLease.last_done).where(JobLease.name == name)
    )
    if done is not None and done.tzinfo is None:  # SQLite keeps no offset; we write UTC
        done = done.replace(tzinfo=UTC)
    return done
