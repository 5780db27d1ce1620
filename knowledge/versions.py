"""The content version: one counter bumped by every change to what the bot answers from.

Every replica compares it with the version its library was built from, so an edit made
anywhere reaches every process without a restart.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import ContentState, utcnow


async def content_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(ContentState.version).where(ContentState.id == 1)) or 0)


async def bump_content_version(session: AsyncSession) -> int:
    state = await session.get(ContentState, 1)
    if state is None:
        state = ContentState(id=1, version=0)
        session.add(state)
    state.version += 1
    state.changed_at = utcnow()
    await session.flush()
    return state.version
