"""The content version: one counter bumped by every change to what the bot answers from.

Every replica compares it with the version its library was built from, so an edit made
anywhere reaches every process without a restart.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import ContentState, utcnow


async def content_version(session: AsyncSession) -> int:
    return int(await session.scalar(select(ContentState.version).where(ContentState.id == 1)) or 0)


async def _state(session: AsyncSession) -> ContentState:
    state = await session.get(ContentState, 1)
    if state is None:
        state = ContentState(id=1, version=0)
        session.add(state)
    return state


async def bump_content_version(session: AsyncSession) -> int:
    state = await _state(session)
    state.version += 1
    state.changed_at = utcnow()
    await session.flush()
    return state.version


SEED_FORMAT = "1"
"""Part of the fingerprint: bump it when the way a seed is brought in changes."""


def seed_fingerprint(directory: Path) -> str:
    """The seed's files (names and bytes) and `SEED_FORMAT`, hashed: a few milliseconds,
    where reading them takes half a second."""
    digest = hashlib.sha256(SEED_FORMAT.encode())
    for path in sorted(p for p in directory.rglob("*") if p.is_file()):
        digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


async def seeded(session: AsyncSession) -> str | None:
    """The fingerprint of the seed last brought in completely."""
    return await session.scalar(select(ContentState.seed_hash).where(ContentState.id == 1))


async def mark_seeded(session: AsyncSession, fingerprint: str) -> None:
    (await _state(session)).seed_hash = fingerprint
