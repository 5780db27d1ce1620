"""The per-person lock shared through Redis: a stall must not leave a lock that nobody holds."""

from __future__ import annotations

from typing import Any

import pytest
from aiogram.fsm.storage.base import StorageKey
from redis.exceptions import LockNotOwnedError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.state import PrivateKeyBuilder, RedisLocks


class FakeRedis:
    """Locks as redis-py's, in a dict; while `stalled`, every command times out."""

    def __init__(self) -> None:
        self.keys: dict[str, str] = {}
        self.stalled = False
        self.late: list[tuple[str, str]] = []
        """Locks asked for during the stall: set when Redis wakes, after the client gave up."""

    def wake(self) -> None:
        self.stalled = False
        for name, token in self.late:
            self.keys.setdefault(name, token)

    def lock(self, name: str, **_: Any) -> FakeLock:
        return FakeLock(self, name)


class FakeLock:
    def __init__(self, redis: FakeRedis, name: str) -> None:
        self.redis, self.name, self.token = redis, name, ""

    async def acquire(self, token: str) -> bool:
        if self.redis.stalled:
            self.redis.late.append((self.name, token))
        self._answer()
        if self.name in self.redis.keys:
            return False
        self.redis.keys[self.name] = self.token = token
        return True

    async def release(self) -> None:
        await self.do_release(self.token)

    async def do_release(self, token: str) -> None:
        self._answer()
        if self.redis.keys.get(self.name) != token:
            raise LockNotOwnedError("not owned")
        del self.redis.keys[self.name]

    def _answer(self) -> None:
        if self.redis.stalled:
            raise RedisTimeoutError("Timeout reading from redis")


async def test_a_lock_given_back_while_redis_stalls_is_released_when_it_answers() -> None:
    """The person's next update waited for it to expire (20 s) — found by the e2e stall test,
    one run in four."""
    redis = FakeRedis()
    locks = RedisLocks(redis, PrivateKeyBuilder(b"s" * 32))
    with pytest.raises(RedisTimeoutError):
        async with locks.lock(StorageKey(bot_id=1, chat_id=2, user_id=2)):
            redis.stalled = True  # Redis stops while the update is being handled
    assert len(redis.keys) == 1  # still set, and nobody holds it
    redis.wake()
    async with locks.lock(StorageKey(bot_id=1, chat_id=3, user_id=3)):  # anyone's next update
        pass
    assert redis.keys == {}


async def test_a_lock_asked_for_while_redis_stalls_is_released_when_it_answers() -> None:
    redis = FakeRedis()
    locks = RedisLocks(redis, PrivateKeyBuilder(b"s" * 32))
    redis.stalled = True
    with pytest.raises(RedisTimeoutError):
        async with locks.lock(StorageKey(bot_id=1, chat_id=2, user_id=2)):
            pass
    redis.wake()
    assert len(redis.keys) == 1  # set now, and nobody holds it
    async with locks.lock(StorageKey(bot_id=1, chat_id=3, user_id=3)):  # anyone's next update
        pass
    assert redis.keys == {}
