"""A person's language, read for their first message in a minute: reads that come together
(a burst of first messages) are made together, and none is left waiting."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from knowledge import people
from knowledge.profiles import Profiles, ReadAbandonedError
from knowledge.store import Store


def _selects(store: Store) -> list[str]:
    seen: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT") and "person" in statement:
            seen.append(statement)

    event.listen(store.engine.sync_engine, "before_cursor_execute", count)
    return seen


async def test_a_burst_of_first_messages_is_one_read(store: Store) -> None:
    keys = [f"{n:064x}" for n in range(60)]
    chose = Profiles(store)
    for key in keys[::3]:
        await chose.set_language(key, "uk")
    profiles = Profiles(store)
    selects = _selects(store)
    found = await asyncio.gather(*(profiles.language(key) for key in keys))
    assert found == ["uk" if n % 3 == 0 else None for n in range(60)]
    assert len(selects) == 1
    assert await profiles.language(keys[0]) == "uk" and len(selects) == 1  # kept a minute


async def test_when_the_database_is_away_every_reader_hears_of_it(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def away(*_: Any) -> dict[str, str]:
        raise OperationalError("SELECT", {}, ConnectionRefusedError())

    monkeypatch.setattr(people, "get_languages", away)
    profiles = Profiles(store)
    reads = [profiles.language(f"{n:064x}") for n in range(5)]
    results = await asyncio.wait_for(asyncio.gather(*reads, return_exceptions=True), 5)
    assert all(isinstance(r, OperationalError) for r in results)


async def test_reads_that_come_during_a_read_are_made_together_next(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """People's first messages trickle in while a read is under way (the Bot API hands
    updates over as they come): they wait for the next read, which carries them all."""
    original = people.get_languages
    sizes: list[int] = []
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(connection: Any, keys: list[str]) -> dict[str, str]:
        sizes.append(len(keys))
        started.set()
        await release.wait()
        return await original(connection, keys)

    monkeypatch.setattr(people, "get_languages", slow)
    profiles = Profiles(store)
    first = asyncio.create_task(profiles.language("a" * 64))
    await started.wait()  # the first read is under way
    later = [asyncio.create_task(profiles.language(f"{n:064x}")) for n in range(30)]
    await asyncio.sleep(0.01)
    release.set()
    assert await asyncio.wait_for(asyncio.gather(first, *later), 5) == [None] * 31
    assert sizes == [1, 30]


async def test_a_reader_gone_away_takes_no_one_s_read_with_it(store: Store) -> None:
    chose = Profiles(store)
    await chose.set_language("b" * 64, "pl")
    profiles = Profiles(store)
    first = asyncio.create_task(profiles.language("a" * 64))
    others = [asyncio.create_task(profiles.language(c * 64)) for c in "bcd"]
    await asyncio.sleep(0)  # all four are waiting for one read now
    first.cancel()
    results = await asyncio.wait_for(asyncio.gather(*others), 5)
    assert results == ["pl", None, None]


async def test_when_the_bot_stops_no_reader_is_left_waiting(store: Store) -> None:
    profiles = Profiles(store)
    readers = [asyncio.create_task(profiles.language(c * 64)) for c in "abc"]
    await asyncio.sleep(0)
    assert profiles._reader is not None
    profiles._reader.cancel()
    results = await asyncio.wait_for(asyncio.gather(*readers, return_exceptions=True), 5)
    assert all(isinstance(r, ReadAbandonedError) for r in results)
    assert await profiles.language("b" * 64) is None  # and the next read works
