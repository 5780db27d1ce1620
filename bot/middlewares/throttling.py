"""Per-user token buckets: one flooding user is dropped early and cannot slow anyone else."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import TelegramObject, User

MAX_TRACKED = 50_000


@dataclass
class Bucket:
    tokens: float
    updated: float
    warned: float = 0.0


class ThrottlingMiddleware(BaseMiddleware):
    """Allow bursts of `burst` updates, refilled at one per `interval` seconds.

    Dropped updates cost nothing downstream (no session, no search), which is what keeps one
    flooding user from slowing the others. The burst is generous so that a person tapping
    through menus quickly is never dropped.
    """

    def __init__(self, interval: float, burst: int = 15) -> None:
        self.interval = interval
        self.burst = burst
        self.buckets: dict[int, Bucket] = {}

    def allow(self, user_id: int, now: float | None = None) -> bool:
        if self.interval <= 0:
            return True
        now = time.monotonic() if now is None else now
        bucket = self.buckets.get(user_id)
        if bucket is None:
            if len(self.buckets) >= MAX_TRACKED:
                self._prune(now)
            bucket = self.buckets[user_id] = Bucket(float(self.burst), now)
        bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) / self.interval)
        bucket.updated = now
        if bucket.tokens >= 1:
            bucket.tokens -= 1
            return True
        return False

    def _prune(self, now: float) -> None:
        full = [
            uid for uid, b in self.buckets.items() if now - b.updated > self.burst * self.interval
        ]
        for uid in full:
            del self.buckets[uid]

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        if user is not None and not self.allow(user.id):
            return None
        return await handler(event, data)
