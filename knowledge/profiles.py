"""The chosen language of each person, cached so that most updates never touch the database.

The cache is per process and short-lived (a language changed through another replica is seen
within `ttl` seconds); writes go straight to the database and update the cache.

Reads that arrive together are made together: a burst of first messages (an announcement, a
school sharing the link) is one `SELECT … IN` rather than one query each, and those first
messages are what a burst's slowest answers wait behind.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from knowledge import people
from knowledge.store import Store

MAX_ENTRIES = 100_000
BATCH = 500
"""At most this many people's languages in one read."""


class ReadAbandonedError(RuntimeError):
    """The update that was reading for several was cancelled before it read."""


@dataclass
class Profiles:
    store: Store
    ttl: float = 60.0
    _cache: dict[str, tuple[str | None, float]] = field(default_factory=dict)
    _waiting: dict[str, asyncio.Future[str | None]] | None = None
    """The reads gathered for the next query, while its first reader lets the others join."""

    async def language(self, key: str) -> str | None:
        hit = self._cache.get(key)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        if self._waiting is not None and (key in self._waiting or len(self._waiting) < BATCH):
            if key not in self._waiting:
                self._waiting[key] = asyncio.get_running_loop().create_future()
            return await asyncio.shield(self._waiting[key])
        mine: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        waiting = self._waiting = {key: mine}
        try:
            await asyncio.sleep(0)  # the updates that came with this one reach here meanwhile
            self._waiting = None
            await self._read(waiting)
        finally:
            if self._waiting is waiting:
                self._waiting = None
            for future in waiting.values():
                if not future.done():  # this update was cancelled: the others are not left
                    future.set_exception(ReadAbandonedError())  # waiting (they apologise)
                future.exception()  # marked as seen: each waiter raises its own copy
        return mine.result()

    async def _read(self, waiting: dict[str, asyncio.Future[str | None]]) -> None:
        try:
            # A plain connection, not an ORM session: read for a person's first message in a
            # minute, and the session's own bookkeeping was a third of the read.
            async with self.store.engine.connect() as connection:
                found = await people.get_languages(connection, list(waiting))
        except Exception as exc:
            for future in waiting.values():
                future.set_exception(exc)
            raise
        now = time.monotonic()
        for key, future in waiting.items():
            self._remember(key, found.get(key), now)
            future.set_result(found.get(key))

    async def set_language(self, key: str, lang: str) -> None:
        async with self.store.sessions.begin() as session:
            await people.set_language(session, key, lang)
        self._remember(key, lang, time.monotonic())

    async def translation_consent(self, key: str) -> bool | None:
        async with self.store.sessions() as session:
            return await people.translation_consent(session, key)

    async def set_translation_consent(self, key: str, consent: bool) -> None:
        async with self.store.sessions.begin() as session:
            await people.set_translation_consent(session, key, consent)

    async def forget(self, key: str, chat_id: int | None = None) -> people.Forgotten:
        async with self.store.sessions.begin() as session:
            forgotten = await people.forget(session, key, chat_id)
        self._cache.pop(key, None)
        return forgotten

    def _remember(self, key: str, lang: str | None, now: float) -> None:
        if len(self._cache) >= MAX_ENTRIES:
            self._cache = {k: v for k, v in self._cache.items() if v[1] > now}
        self._cache[key] = (lang, now + self.ttl)
