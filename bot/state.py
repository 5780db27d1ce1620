"""Dialog state that survives Redis going away: shared in Redis, local while Redis is down.

Replicas share dialog state (and the per-user lock) through Redis. When Redis stops answering,
every update would otherwise fail before a handler runs and the person would hear nothing; here
each call falls back to this process's memory instead, and Redis is tried again a few seconds
later. A dialog begun during the outage lives on one replica only: a button pressed on another
one is a stale button, answered politely (see `bot.handlers.errors`). When Redis is back, new
dialogs are shared again without a restart.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, TypeVar

from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage, StateType, StorageKey
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import LockError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)
UNREACHABLE: tuple[type[BaseException], ...] = (
    RedisConnectionError,
    RedisTimeoutError,
    OSError,
    TimeoutError,
)
T = TypeVar("T")


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
            except UNREACHABLE as exc:
                self.failed(exc)
            else:
                self.worked()
                return result
        return await fallback()


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
            except UNREACHABLE as exc:
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
            except UNREACHABLE as exc:
                self.health.failed(exc)
            except LockError:
                log.debug("a dialog lock expired before its update was handled")

    async def close(self) -> None:
        await self.primary.close()
        await self.local.close()
