"""The chosen language of each person, cached so that most updates never touch the database.

The cache is per process and short-lived (a language changed through another replica is seen
within `ttl` seconds); writes go straight to the database and update the cache.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from knowledge import people
from knowledge.store import Store

MAX_ENTRIES = 100_000


@dataclass
class Profiles:
    store: Store
    ttl: float = 60.0
    _cache: dict[str, tuple[str | None, float]] = field(default_factory=dict)

    async def language(self, key: str) -> str | None:
        hit = self._cache.get(key)
        now = time.monotonic()
        if hit is not None and hit[1] > now:
            return hit[0]
        # A plain connection, not an ORM session: read for most messages (a person's first in
        # a minute), and the session's own bookkeeping was a third of the read.
        async with self.store.engine.connect() as connection:
            lang = await people.get_language(connection, key)
        self._remember(key, lang, now)
        return lang

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
