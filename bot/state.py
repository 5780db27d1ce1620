"""Dialog state that survives Redis going away: shared in Redis, local while Redis is down.

Replicas share dialog state (and the per-user lock) through Redis. When Redis stops answering,
every update would otherwise fail before a handler runs and the person would hear nothing; here
each call falls back to this process's memory instead, and Redis is tried again a few seconds
later. A dialog begun during the outage lives on one replica only: a button pressed on another
one is a stale button, answered politely (see `bot.handlers.errors`). When Redis is back, new
dialogs are shared again without a restart.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from datetime import timedelta
from functools import cache
from typing import Any, Literal, TypeVar

from aiogram.fsm.storage.base import (
    BaseEventIsolation,
    BaseStorage,
    KeyBuilder,
    StateType,
    StorageKey,
)
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation

log = logging.getLogger(__name__)


@cache
def unreachable() -> tuple[type[BaseException], ...]:
    """What a Redis that went away raises, or one that answers but cannot serve: a replica
    left read-only by a failover (READONLY), out of memory (OOM), refusing writes after a
    failed save (MISCONF). Each is an answer, not a lost connection, and webhook updates got
    500s for as long as it lasted. Evaluated in `except` clauses, so redis-py (six megabytes)
    is loaded when Redis is used, never by a bot that runs without it."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import ResponseError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    return (RedisConnectionError, RedisTimeoutError, ResponseError, OSError, TimeoutError)


def _lock_error() -> type[BaseException]:
    from redis.exceptions import LockError

    return LockError


T = TypeVar("T")
DIALOG_TTL = timedelta(days=14)
"""Dialog state older than this is of no use to anyone: Redis lets it go."""


class PrivateKeyBuilder(KeyBuilder):
    """Redis keys that name no one: the Telegram ids are replaced by keyed hashes (HMAC with
    the server's secret), so a look at Redis does not show who talks to the bot. All keys of
    one person share a prefix, which is how /forget finds them."""

    def __init__(self, secret: bytes, prefix: str = "fsm") -> None:
        self.secret = secret
        self.prefix = prefix

    def _hash(self, text: str, size: int) -> str:
        return hmac.new(self.secret, text.encode(), hashlib.sha256).hexdigest()[:size]

    def person(self, bot_id: int, user_id: int) -> str:
        return f"{self.prefix}:{bot_id}:{self._hash(f'user:{user_id}', 24)}:"

    def build(self, key: StorageKey, part: Literal["data", "state", "lock"] | None = None) -> str:
        place = self._hash(f"{key.chat_id}:{key.thread_id}:{key.business_connection_id}", 16)
        name = f"{self.person(key.bot_id, key.user_id)}{place}:{key.destiny}"
        return f"{name}:{part}" if part else name


def open_redis(url: str, timeout: float = 1.0) -> Any:
    """A client that gives up within `timeout` seconds, so an outage costs one second, not all."""
    from redis.asyncio import Redis

    return Redis.from_url(
        url,
        protocol=2,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        health_check_interval=30,
    )


class Health:
    """Whether Redis is worth trying now; shared by everything that uses the same client."""

    def __init__(self, retry_after: float = 3.0) -> None:
        self.retry_after = retry_after
        self._down_until = 0.0
        self._down = False

    @property
    def usable(self) -> bool:
        return time.monotonic() >= self._down_until

    @property
    def down(self) -> bool:
        return self._down

    def failed(self, exc: BaseException) -> None:
        if not self._down:
            log.warning("Redis unreachable (%s): dialog state kept in memory for now", exc)
        self._down = True
        self._down_until = time.monotonic() + self.retry_after

    def worked(self) -> None:
        if self._down:
            log.warning("Redis reachable again: dialog state shared again")
        self._down = False

    async def attempt(
        self, call: Callable[[], Awaitable[T]], fallback: Callable[[], Awaitable[T]]
    ) -> T:
        if self.usable:
            try:
                result = await call()
            except unreachable() as exc:
                self.failed(exc)
            else:
                self.worked()
                return result
        return await fallback()


async def forget(storage: BaseStorage, bot_id: int, user_id: int) -> int:
    """Delete every piece of dialog state about one person (for /forget); returns how many."""
    if isinstance(storage, ResilientStorage):
        local = await forget(storage.local, bot_id, user_id)
        return local + await storage.health.attempt(
            lambda: forget(storage.primary, bot_id, user_id), _nothing
        )
    if isinstance(storage, MemoryStorage):
        keys = [k for k in storage.storage if k.user_id == user_id or k.chat_id == user_id]
        for key in keys:
            del storage.storage[key]
        return len(keys)
    builder = getattr(storage, "key_builder", None)
    redis = getattr(storage, "redis", None)
    if not isinstance(builder, PrivateKeyBuilder) or redis is None:
        raise TypeError(f"cannot forget dialog state in {type(storage).__name__}")
    found = [key async for key in redis.scan_iter(match=builder.person(bot_id, user_id) + "*")]
    if found:
        await redis.delete(*found)
    return len(found)


async def _nothing() -> int:
    return 0


class ResilientStorage(BaseStorage):
    def __init__(self, primary: BaseStorage, health: Health) -> None:
        self.primary = primary
        self.local = MemoryStorage()
        self.health = health

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        await self.health.attempt(
            lambda: self.primary.set_state(key, state), lambda: self.local.set_state(key, state)
        )

    async def get_state(self, key: StorageKey) -> str | None:
        return await self.health.attempt(
            lambda: self.primary.get_state(key), lambda: self.local.get_state(key)
        )

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        await self.health.attempt(
            lambda: self.primary.set_data(key, data), lambda: self.local.set_data(key, data)
        )

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return await self.health.attempt(
            lambda: self.primary.get_data(key), lambda: self.local.get_data(key)
        )

    async def close(self) -> None:
        await self.primary.close()
        await self.local.close()


LOCK_TTL = 20
"""Seconds a person's lock lives when its holder never lets it go (a replica that died)."""
LOCK_WAIT = 20
"""Seconds an update waits for the one before it of the same person, then goes on."""
UNSURE_LIMIT = 10_000


class RedisLocks(BaseEventIsolation):
    """The per-person lock, shared by the replicas through Redis — one a stall cannot orphan.

    A lock asked for while Redis stalls may still be set when Redis wakes, after the request
    timed out and the update went on under a local lock: nobody holds it, and every later update
    of that person waited for it to expire (a minute with aiogram's lock). Here each attempt
    carries its own token, and the attempts that may have landed are released (compare and
    delete: never someone else's) as soon as Redis answers again; no lock outlives LOCK_TTL.
    """

    def __init__(self, redis: Any, key_builder: KeyBuilder) -> None:
        self.redis = redis
        self.key_builder = key_builder
        self._unsure: list[tuple[str, str]] = []
        """(lock name, token) of attempts that failed but may still have been applied."""

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        name = self.key_builder.build(key, "lock")
        await self._release_unsure()
        lock = self.redis.lock(name, timeout=LOCK_TTL, blocking_timeout=LOCK_WAIT)
        token = uuid.uuid4().hex
        try:
            acquired = await lock.acquire(token=token)
        except unreachable():
            self._note_unsure(name, token)
            raise
        if not acquired:
            log.warning("a person's previous update held the lock for %d s: going on", LOCK_WAIT)
        try:
            yield None
        finally:
            if acquired:
                try:
                    await lock.release()
                except unreachable():
                    # Taken before Redis stalled, given back while it stalled: still set when
                    # it wakes, and that person's next update waited for it to expire.
                    self._note_unsure(name, token)
                    raise

    def _note_unsure(self, name: str, token: str) -> None:
        if len(self._unsure) < UNSURE_LIMIT:
            self._unsure.append((name, token))

    async def _release_unsure(self) -> None:
        pending, self._unsure = self._unsure, []  # taken whole: updates come concurrently
        for at, (name, token) in enumerate(pending):
            try:
                await self.redis.lock(name).do_release(token)
            except _lock_error():
                pass  # never set, or expired: nothing to release
            except unreachable():
                self._unsure.extend(pending[at:])  # Redis is away again: later
                raise

    async def close(self) -> None:
        pass


class ResilientIsolation(BaseEventIsolation):
    def __init__(self, primary: BaseEventIsolation, health: Health) -> None:
        self.primary = primary
        self.local = SimpleEventIsolation()
        self.health = health

    @asynccontextmanager
    async def lock(self, key: StorageKey) -> AsyncGenerator[None, None]:
        stack = AsyncExitStack()
        held = False
        if self.health.usable:
            try:
                await stack.enter_async_context(self.primary.lock(key))
                held = True
                self.health.worked()
            except unreachable() as exc:
                self.health.failed(exc)
        if not held:
            async with self.local.lock(key):
                yield None
            return
        try:
            yield None
        finally:
            try:
                await stack.aclose()
            except unreachable() as exc:
                self.health.failed(exc)
            except _lock_error():
                log.debug("a dialog lock expired before its update was handled")

    async def close(self) -> None:
        await self.primary.close()
        await self.local.close()
