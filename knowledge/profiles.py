"""The chosen language of each person, cached so that most updates never touch the database.

The cache is per process and short-lived (a language changed through another replica is seen
within `ttl` seconds); writes go straight to the database and update the cache.

Reads are made together: while one query runs, the reads that arrive wait for the next, which
carries them all. A burst of first messages (an announcement, a school sharing the link) is
then a few `SELECT … IN` rather than one query each, and those first messages are what a
burst's slowest answers wait behind. The queries are made by a task of their own, so that a
reader that goes away (its update cancelled) takes no one's read with it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from itertools import islice

from knowledge import people
from knowledge.store import Store

log = logging.getLogger(__name__)
MAX_ENTRIES = 100_000
BATCH = 500
"""At most this many people's languages in one read."""


class ReadAbandonedError(RuntimeError):
    """The reads were stopped before they were made (the bot is shutting down)."""


@dataclass
class Profiles:
    store: Store
    ttl: float = 60.0
    _cache: dict[str, tuple[str | None, float]] = field(default_factory=dict)
    _queued: dict[str, asyncio.Future[str | None]] = field(default_factory=dict)
    """Reads for the next query."""
    _reading: dict[str, asyncio.Future[str | None]] = field(default_factory=dict)
    """Reads of the query under way."""
    _reader: asyncio.Task[None] | None = None

    async def language(self, key: str) -> str | None:
        hit = self._cache.get(key)
        if hit is not None and hit[1] > time.monotonic():
            return hit[0]
        future = self._reading.get(key) or self._queued.get(key)
        if future is None:
            future = self._queued[key] = asyncio.get_running_loop().create_future()
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read_queued())
                self._reader.add_done_callback(self._stopped)
        return await asyncio.shield(future)  # a reader cancelled leaves the read to others

    async def _read_queued(self) -> None:
        await asyncio.sleep(0)  # the updates that came with the first reach here meanwhile
        while self._queued:
            self._reading = dict(islice(self._queued.items(), BATCH))
            for key in self._reading:
                del self._queued[key]
            await self._read(self._reading)
            self._reading = {}

    def _stopped(self, reader: asyncio.Task[None]) -> None:
        """The reader was cancelled (the bot stopping), maybe before it began: no one is
        left waiting."""
        if reader is not self._reader or (not reader.cancelled() and reader.exception() is None):
            return  # done with every read, or another reader has taken over
        for future in (*self._reading.values(), *self._queued.values()):
            _settle(future, ReadAbandonedError())
        self._reading, self._queued = {}, {}

    async def _read(self, reads: dict[str, asyncio.Future[str | None]]) -> None:
        try:
            # A plain connection, not an ORM session: read for a person's first message in a
            # minute, and the session's own bookkeeping was a third of the read.
            async with self.store.engine.connect() as connection:
                found = await people.get_languages(connection, list(reads))
        except Exception as exc:  # every reader hears of it (and apologises); the next
            log.warning("reading %d languages failed: %s", len(reads), exc)  # reads go on
            for future in reads.values():
                _settle(future, exc)
            return
        now = time.monotonic()
        for key, future in reads.items():
            self._remember(key, found.get(key), now)
            if not future.done():
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


def _settle(future: asyncio.Future[str | None], exc: BaseException) -> None:
    if not future.done():
        future.set_exception(exc)
        future.exception()  # marked as seen: a reader gone away would not see it
