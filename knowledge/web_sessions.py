"""Workspace sessions kept on the server, so that they can end: on logout, when an account is
disabled or removed, when its password changes, after two idle hours or twelve in all."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_
from sqlalchemy.ext.asyncio import AsyncSession

from knowledge.models import Practitioner, WebSession, utcnow

IDLE = timedelta(hours=2)
ABSOLUTE = timedelta(hours=12)
TOUCH_EVERY = timedelta(minutes=1)
"""`seen_at` is written at most this often (not on every page)."""


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


async def start(session: AsyncSession, user: Practitioner) -> str:
    """A new session for `user`; returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    session.add(WebSession(digest=_digest(token), practitioner_id=user.id))
    await session.flush()
    return token


async def user_of(
    session: AsyncSession, token: str, *, now: datetime | None = None
) -> Practitioner | None:
    """The account a token belongs to, or None when the session ended or never was."""
    now = now or utcnow()
    row = await session.get(WebSession, _digest(token))
    if row is None:
        return None
    if now - _aware(row.seen_at) > IDLE or now - _aware(row.created_at) > ABSOLUTE:
        await session.delete(row)
        return None
    user = await session.get(Practitioner, row.practitioner_id)
    if user is None or user.disabled:
        return None
    if now - _aware(row.seen_at) > TOUCH_EVERY:
        row.seen_at = now
    return user


async def end(session: AsyncSession, token: str) -> None:
    await session.execute(delete(WebSession).where(WebSession.digest == _digest(token)))


async def end_all(session: AsyncSession, user_id: int) -> int:
    result = await session.execute(delete(WebSession).where(WebSession.practitioner_id == user_id))
    return int(getattr(result, "rowcount", 0) or 0)


async def purge(session: AsyncSession, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    result = await session.execute(
        delete(WebSession).where(
            or_(WebSession.seen_at < now - IDLE, WebSession.created_at < now - ABSOLUTE)
        )
    )
    return int(getattr(result, "rowcount", 0) or 0)
